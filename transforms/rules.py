"""The boilerplate rule table: data, not code. `transforms.clean` applies it to paragraphs.

Each rule matches one whole paragraph (case-insensitive `re.search`) and says what to drop:
  line  - the paragraph itself;
  block - the paragraph and the headline-like teaser paragraphs that follow it;
  cut   - the paragraph and everything after it (a link rail or footer starts here);
  label - the paragraph and, when the one before it is a short label (a name, a
          heading), that one too (author bios under their name).
`max_words` keeps a rule off long body paragraphs; `tail` limits it to the end of the text.
Write rules for the pattern, never for one outlet's sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsflow.transforms.literals import required_literals
from newsflow.transforms.markers import CONTINUES, RAIL_HEADERS_EN, RAIL_HEADERS_INTL, READ_ALSO_INTL

ACTIONS = ("line", "block", "cut", "label")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    action: str = "line"
    max_words: int = 40
    tail: bool = False
    case_sensitive: bool = False
    regex: re.Pattern = field(init=False, repr=False, compare=False)
    # strings one of which a matching paragraph contains (lowercased; None = unknown): clean() skips
    # the regex on a paragraph without any (transforms/literals.py)
    needs: tuple[str, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"rule {self.name}: action must be one of {ACTIONS}, not {self.action!r}")
        flags = 0 if self.case_sensitive else re.IGNORECASE
        object.__setattr__(self, "regex", re.compile(self.pattern, flags))
        object.__setattr__(self, "needs", required_literals(self.regex))


_END = r"\s*[:.!|»›>\-–—]*\s*$"  # a header may end with a colon, arrow or dash
_SOCIAL = r"(?:facebook|twitter|x|linkedin|whatsapp|reddit|email|e-mail|mail|print|copy link|copy|flipboard|pinterest|telegram|threads|bluesky|messenger|sms|link)"

RULES: tuple[Rule, ...] = (
    # Link rails and footers: a bare header, then teasers to the end of the page.
    Rule("related_rail",
         r"^(?:" + RAIL_HEADERS_EN
         + r"|about the authors?|more from the author|other stories by [\w .'’-]+)" + _END,
         action="cut", max_words=8),
    # "Read also:" style headers over a few teaser headlines, often mid-article.
    Rule("read_also_header",
         r"^(?:(?:read|see) (?:also|more)|also (?:read|see)|must read|don['’]?t miss|related)" + _END,
         action="block", max_words=4),
    Rule("read_also_inline",
         r"^(?:(?:read|see) (?:also|more)|also (?:read|see|on \w+(?: \w+){0,2})|must read|related(?: article| story)?|recommended|read next|watch)"
         r"\s*[:|»›>\-–—]+\s*\S",
         max_words=30),
    # Disclaimers and disclosures.
    Rule("disclaimer", r"^(?:legal |important |risk )?(?:disclaimer|disclosure)s?\b\s*[:.\-–—]", max_words=200),
    Rule("disclaimer",
         r"(?:for (?:general )?(?:informational|information|educational|entertainment) purposes only"
         r"|(?:does|do|should) not (?:constitute|be (?:considered|construed|relied (?:up)?on|taken|treated) as|represent) (?:an? )?(?:financial|investment|legal|tax|trading)"
         r"|not (?:financial|investment) advice|not (?:a )?substitute for (?:professional )?(?:medical|legal|financial) advice"
         r"|(?:conduct|do) your own (?:research|due diligence)"  # addressed to the reader: "experts advise buyers to do their own research" is a story
         r"|(?:we|the (?:author|publisher)) (?:may|might|could) (?:earn|receive) (?:a )?(?:commission|compensation|affiliate)"
         r"|affiliate links?\b.{0,60}\b(?:commission|earn)"
         r"|views expressed (?:here|in this article|herein|above) are (?:those of|solely))",
         max_words=150),
    # Newsletter and subscription prompts; a newsletter's name often sits above its prompt as a label.
    Rule("newsletter",  # never a paragraph that opens with a quotation mark: that is somebody speaking
         r"^(?![\"“‘„«]).*?(?:\b(?:sign up|sign-up|signup|subscribe|register|join)\b.{0,80}\b(?:newsletters?|inbox)\b"
         # "join"/"register" + "briefing"/"alerts" is also a story's sentence ("Officials will join the mayor at
         # a briefing", "Residents can register for flood alerts"): only as a prompt, i.e. opening a sentence
         r"|(?:^|[.!?:–—]\s+)(?:please |click here to |tap here to )?(?:sign up|sign-up|signup|subscribe|register|join)\b.{0,80}\b(?:briefing|digest|alerts?)\b"
         r"|\b(?:newsletters?|inbox)\b.{0,80}\b(?:sign up|sign-up|subscribe)\b"
         r"|(?:^|[.?!]\s+)(?:get|receive|try|read)\b[^.?!]{0,60}\bour (?:[\w-]+ ){0,4}(?:newsletter|briefing|digest|round-?up|bulletin)s?\b"
         r"|(?:^|[.?!:–—-]\s*)subscribe\b.{0,80}(?:[$£€]\s?\d|\b(?:a|per) (?:week|month|year)\b)"
         r"|delivered (?:straight |directly )?to your inbox|^don['’]?t miss (?:another|a single|the next|out on)\b"
         r"|^see all newsletters|^(?:get|enjoy) (?:unlimited|full) access\b|^already (?:a subscriber|have an account)"
         r"|^(?:subscribe|sign up|become a (?:member|subscriber|supporter))(?: now| today| here| for free)?\b"
         r"|^join us(?: now| today| for free)?\s*[.!:]?\s*$|^join us as an? (?:member|subscriber|supporter)\b"
         r"|^support (?:our|independent|quality) journalism)",
         action="label", max_words=45),
    # Share and follow prompts.
    Rule("share",
         r"^(?:share(?: this| the)?(?: article| story| post| page| video)?(?: on| via| with)?|click to share|tweet this|email this|copy (?:the )?link"
         r"|print this(?: article| page)?|" + _SOCIAL + r")(?:\s*(?:[|,/•·:]\s*|\s)\s*(?:share )?(?:on |via )?" + _SOCIAL + r")*" + _END,
         max_words=12),
    # "Like us / The Riverside Echo on Facebook", never "Like many farmers on Facebook, she ...": a name is capitalized
    Rule("share", r"^(?:follow (?:us|@\w+|[\w .]{2,30})|like (?:us|@\w+|(?-i:[A-Z][\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,4}))) on (?:twitter|x|facebook|instagram|linkedin|threads|bluesky|tiktok|youtube|google news|whatsapp|telegram)\b",
         max_words=30),
    # Ad slots and "continues below" markers.
    Rule("continues_below",
         r"^(?:(?:the )?(?:story|article|content|text|post) continues (?:below|after (?:this )?(?:the )?(?:advertisement|ad|video))"
         r"|continue reading(?: below| the (?:main )?story| after (?:the )?ad(?:vertisement)?)?"
         r"|advertisement|advertising|sponsored|ad|scroll (?:down )?to (?:continue|keep)(?: with content| reading)?|skip (?:this )?ad)" + _END,
         max_words=8),
    # Image captions, credits and media placeholders.
    Rule("image_credit",
         r"^(?:(?:photo|image|picture|video|illustration|graphic|photograph|file photo|top image|main image|lead image|header image)s?"
         r"(?: credits?)?\s*(?::|\bby\b|/|©)|credits?\s*:)",
         max_words=30),
    Rule("image_credit",
         r"^[^.!?]{0,160}\((?:[^()]*\b(?:photos?|images?|archives?|getty|file|credits?|illustrations?|shutterstock|ap|afp|reuters|epa|via|courtesy|handout|pool|screenshot|screengrab)\b[^()]*)\)\s*$",
         max_words=25),
    # A caption in full sentences closed by its credit: "(Photo courtesy of ...)", "(Agency/Name)".
    Rule("image_credit",
         r"^.{10,240}[.!?]\s*\((?:(?i:photo(?:graph)?s?|images?|pictures?|file|courtesy|credits?|illustrations?|graphics?|video)\b[^()]*"
         r"|[A-Z][\w.&'’-]*(?: [A-Z][\w.&'’-]*){0,3}\s*/\s*[A-Z][\w.&'’-]*(?: [A-Z][\w.&'’-]*){0,3})\)\s*$",
         max_words=40, case_sensitive=True),
    Rule("image_credit",
         r"^(?:(?:getty images|shutterstock|istock|ap photo|afp|reuters|epa|alamy|unsplash)(?:\s*(?:/|via|for)\s*[\w .]+)?"
         r"|(?:image|photo|video|picture|gallery|thumbnail|placeholder)(?: \d+ of \d+)?|\d+\s*[:x]\s*\d+\s+(?:image|photo|video|thumbnail)"
         r"|(?:hide|show|toggle|expand) caption|(?:enlarge|expand|view|zoom) (?:this )?(?:image|photo|picture|gallery))" + _END,
         max_words=8),
    # Author bios, usually under the author's name at the foot of the page.
    # "<Name> is a / the / CNBC's <role>": the role is what the name *is* ("Johnson was arrested after a reporter
    # filmed ...", "The Senate is expected to vote, reporters were told" are story sentences; so is the past
    # tense: "Khashoggi was a columnist for the Post" is about the story's subject, a bio says what one is)
    Rule("author_bio",
         r"^(?:[A-Z][\w'’.-]+ ){1,3}(?:(?:is|has been) (?:an? |the |(?:[A-Z][\w&.-]* ){0,3}[A-Z][\w&.-]*['’]s? )"
         r"|has been (?:covering|writing|reporting)|covers|writes|reports)[^.]{0,200}\b(?:writers?|journalists?|reporters?|editors?|correspondents?|columnists?|contributors?|authors?|analysts?|enthusiasts?|bloggers?|freelancers?|producers?|researchers?|covering|covers|writes about|reporting on)\b",
         action="label", max_words=90, tail=True, case_sensitive=True),
    # "<Name> covers schools for the Gazette": a beat and the outlet, no job title.
    Rule("author_bio",
         r"^(?:[A-Z][\w'’.-]+ ){1,3}(?:covers|reports on|writes about|writes on)\b[^.]{0,160}\bfor (?:the )?[A-Z]",
         action="label", max_words=90, tail=True, case_sensitive=True),
    Rule("author_bio", r"^(?:about the author|author bio|author)\s*:\s*\S", max_words=90, tail=True),
    Rule("author_contact",
         # the name is case-sensitive: "Contact tracing teams were sent to the school at ..." is a story
         r"^(?:contact|email|e-mail|reach|write to|send tips to) (?:the )?(?:author|reporter|writer|us|(?-i:[A-Z][a-z]+ [A-Z][a-z]+))\b.{0,80}(?:@|\bat\b)",
         max_words=30),
    Rule("author_contact",
         r"^(?:got|have) (?:a )?(?:news |story )?(?:tip|story idea|question for (?:us|our reporters?))\b.{0,100}(?:@|\b(?:email|e-mail|contact|call|send|write to)\b)",
         max_words=30),
    # Navigation, cookie banners, reading aids.
    Rule("back_to_top", r"^(?:back|return|go|scroll|jump) to (?:the )?top(?: of (?:the )?page)?(?: button)?" + _END, max_words=8),
    Rule("navigation",
         r"^(?:skip to (?:main )?(?:content|navigation)|skip navigation|main menu|menu|open menu|close menu|search|home|sign in|log ?in|log ?out|register"
         r"|close|toggle navigation|next article|previous article|next|previous|prev|open in app|download (?:the|our) app|get the app)" + _END,
         max_words=6),
    Rule("navigation", r"^[\w&'’ ]{1,30}(?:\s+[>›»/|]\s+[\w&'’ ]{1,30}){2,}$", max_words=15),
    Rule("cookie_banner",
         r"(?:\b(?:we|this (?:web)?site|our (?:web)?site|our partners) (?:and our partners )?uses? cookies\b|^(?:accept|reject|allow|manage|decline) (?:all |optional )?cookies\b"
         r"|\bcookie (?:policy|settings|preferences|consent)\b.{0,40}$|^by (?:continuing|using) (?:to (?:use|browse) )?(?:this|our) (?:web)?site)",
         max_words=80),
    Rule("reading_aid",
         r"^(?:listen to (?:this|the) (?:article|story)(?:\s*[·•|,:\-–—]?\s*\d+(?::\d\d)? min(?:ute)?s?)?|\d+\s*min(?:ute)?s?\s*read|reading time\s*:?.{0,20}|print (?:article|story)"
         r"|text size|font size|view comments|show comments|\d+ comments?|comments?(?: \(\d+\))?|join the conversation|leave a comment"
         r"|report an? (?:error|typo|mistake|correction)|(?:submit|suggest) a correction"
         r"|add (?:us|\w+) as a preferred source on google|save (?:this )?(?:article|story)|bookmark|gift (?:this )?article)" + _END,
         max_words=10),
    Rule("tags", r"^(?:tags?|topics?|filed under|categories|category|keywords)\s*:", max_words=40),
    # Copyright and syndication notices.
    Rule("copyright",
         r"(?:^(?:©|\(c\)|copyright\s*(?:©|\(c\)|\d{4}|(?:of|by)\b))|\ball rights reserved\b|^this (?:material|article|story|content) (?:may|must) not be (?:published|reproduced|broadcast|rewritten|redistributed|copied)"
         r"|^this (?:story|article|piece|post|content) (?:was|is|has been) (?:originally |first )?(?:published|republished|reprinted|produced)"
         r" (?:by|in|on|at|with|under|in (?:partnership|collaboration) with)\b"
         # "this report": only the syndication wording ("This report was produced by the auditor in 2019 and
         # found ..." is a story about a report)
         r"|^this report (?:was|is|has been) (?:originally |first )?(?:published|produced) in (?:partnership|collaboration) with\b)",
         max_words=45),
    # App and subscription upsells and comment-section invitations, for plain text: on an HTML page the
    # structural stage takes them first (crosslink, hidden, comments), by shape and markup.
    Rule("app_promo",
         r"^(?:click|tap) here (?:to|for) (?:get|download|install|read|watch|listen|subscribe|sign up|follow|more)\b"
         r"|^(?:get|download|install) (?:the|our) (?:[\w'’&-]+ ){0,3}app\b",
         max_words=20),
    Rule("subscribe_prompt",
         r"\b(?:start|begin|try|activate|upgrade to|unlock) (?:your|a|our) (?:[\w'’-]+ ){0,3}(?:subscription|membership|free trial)\b"
         r"|^(?:want|like) to (?:bookmark|save|keep reading|read more)\b.{0,80}\b(?:subscri|sign in|log in|register|premium)",
         max_words=40),
    Rule("comments_prompt",
         r"^(?:join|start|continue) (?:our |the )?(?:[\w'’-]+ ){0,2}(?:conversations?|discussions?|debates?|commenting forum|comments?(?: section)?)\b",
         max_words=25),
    # A bare widget header ("Popular", "Latest") over a few teasers; it may sit mid-article, so
    # it drops only the teaser lines that follow it, not the rest of the text.
    Rule("related_rail", r"^(?:popular|most recent|latest|more)" + _END, action="block", max_words=2),
    # A byline left in the text as its own line ("By Ana Ruiz", "Von Jana Vogt", "Par Claire Dumas").
    Rule("byline", r"^(?i:by|von|par|por|di)\s+[A-ZÀ-Ý][\w'’.-]+(?:\s+(?:[A-ZÀ-Ý][\w'’.-]+|(?i:and|und|et|y|e|&))){1,6}$",
         max_words=8, case_sensitive=True),
    # --- German, French, Spanish, Portuguese, Italian: the same families, same actions -------------
    Rule("related_rail", rf"^(?:{RAIL_HEADERS_INTL})" + _END, action="cut", max_words=8),
    Rule("read_also_header", rf"^(?:{READ_ALSO_INTL})" + _END, action="block", max_words=5),
    Rule("read_also_inline", rf"^(?:{READ_ALSO_INTL})\s*[:|»›>\-–—]+\s*\S", max_words=30),
    Rule("continues_below", rf"^(?:{CONTINUES})" + _END, max_words=12),
    Rule("newsletter",
         r"^(?![\"“‘„«]).*?(?:\b(?:abonnieren sie|melden sie sich|jetzt anmelden|abonnez-vous|inscrivez-vous|recevez|"
         r"suscr[ií]bete|susc[ií]base|ap[uú]ntate|reg[ií]strate|assine|inscreva-se|cadastre-se|receba|iscriviti|abbonati|ricevi)\b"
         r".{0,80}\b(?:newsletters?|lettre d['’]information|boletín|boletim|briefing|e-mail-alerts?)\b"
         r"|\bnewsletters?\b.{0,60}\b(?:abonnieren|bestellen|anmelden|s['’]abonner|s['’]inscrire|suscribirse|suscríbete|assinar|assine|inscrever|iscriviti|iscriversi)\b"
         r"|^(?:jetzt |gratis |kostenlos )?(?:abonnieren|abonnez-vous|suscr[ií]bete|assine(?: já)?|abbonati|iscriviti)(?: (?:jetzt|maintenant|ahora|agora|ora|gratis|gratuitement))?\b)",
         action="label", max_words=45),
    Rule("share",
         r"^(?:(?:auf|sur|en|em|no|na|su) (?:facebook|twitter|x|whatsapp|linkedin) (?:teilen|partager|compartir|compartilhar|condividere)"
         r"|(?:teilen|partager|compartir|compartilhar|compartilhe|partilhar|condividi)(?: (?:auf|sur|en|em|no|su|per|par|por) [\w-]+)?"
         r"|(?:artikel|beitrag) (?:teilen|drucken|versenden)|partager (?:l['’]article|cet article)|compartir (?:la noticia|el art[ií]culo|esta noticia)"
         r"|compartilhe (?:esta )?(?:notícia|matéria|reportagem)|condividi (?:l['’]articolo|questo articolo|la notizia)"
         r"|link kopieren|copier le lien|copiar (?:el |o )?(?:enlace|link)|copia (?:il )?link|drucken|imprimer|imprimir|stampa)"
         r"(?:\s*[|,/•·:]\s*(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|mail|telegram|imprimir|drucken|imprimer|stampa))*" + _END,
         max_words=12),
    Rule("share",
         r"^(?:folgen sie uns|suivez-nous|s[ií]guenos|siga-nos|segue-nos|seguici)\b.{0,40}\b(?:auf|sur|en|em|no|nas|na|su)\b",
         max_words=30),
    Rule("disclaimer",
         r"^(?:hinweis|haftungsausschluss|offenlegung|avertissement|clause de non-responsabilité|aviso(?: legal)?|descargo de responsabilidad"
         r"|isenção de responsabilidade|avvertenza|disclaimer)\s*[:.\-–—]",
         max_words=200),
    Rule("disclaimer",
         r"(?:(?:stellt|ist) keine (?:anlage|finanz|rechts)beratung dar|keine (?:anlage|kauf)empfehlung|ersetzt (?:keine|nicht die) (?:ärztliche|medizinische)"
         r"|ne constitue (?:pas )?(?:un |une )?(?:conseil|recommandation) (?:en |d['’])?(?:investissement|financier|juridique)|ne remplace pas (?:l['’]avis|une consultation)"
         r"|no constituye (?:una )?(?:asesor[ií]a|asesoramiento|recomendación) (?:financier[oa]|de inversión|legal)|no sustituye (?:el consejo|la consulta|el diagnóstico)"
         r"|não constitui (?:uma )?(?:recomendação|consultoria|aconselhamento) (?:de investimento|financeir[oa]|jurídic[oa])|não substitui (?:a )?(?:orientação|consulta|avaliação)"
         r"|non costituisce (?:una )?(?:consulenza|sollecitazione|raccomandazione) (?:finanziaria|all['’]investimento|d['’]investimento|legale)|non sostituisce (?:il parere|la consulenza|il consulto))",
         max_words=150),
    Rule("image_credit",
         r"^(?:(?:foto|fotos|bild|bilder|bildquelle|fotografía|fotografia|imagen|imagem|immagine|crédito|crédit photo|crédits? photo|credito|photo)"
         r"\s*(?::|/|©))",
         max_words=30),
    Rule("image_credit",
         r"^[^.!?]{0,160}\((?:[^()]*\b(?:foto|fotos|bild|imagen|imagem|immagine|crédito|credito|archiv|archive|archivo|arquivo|archivio|dpa|efe|ansa|lusa|afp|ap|reuters)\b[^()]*)\)\s*$",
         max_words=25),
    Rule("author_bio",
         r"^(?:[A-ZÀ-Ý][\w'’.-]+ ){1,3}(?:ist|war|est|était|es|fue|é|foi|è|era)\b[^.]{0,200}\b"
         r"(?i:redakteur(?:in)?|korrespondent(?:in)?|journalist(?:in)?|autor(?:in)?|reporter(?:in)?|journaliste|rédact(?:eur|rice)|correspondante?|chroniqueu(?:r|se)"
         r"|periodista|redactor(?:a)?|corresponsal|columnista|jornalista|repórter|correspondente|colunista|editor(?:a)?|giornalista|redattore|redattrice|corrispondente|inviat[oa])\b",
         action="label", max_words=90, tail=True, case_sensitive=True),
)
