"""Wordings shared by the HTML rules (transforms/structure.py) and the text rules (transforms/rules.py).

Each is a regex alternation, matched case-insensitively against a whole heading or paragraph.
English first, then German, French, Spanish, Portuguese and Italian. Write the pattern a CMS
uses for the widget, never one outlet's sentence.
"""

from __future__ import annotations

# The header of a link rail: what follows it is other stories, not this one.
RAIL_HEADERS_EN = (
    r"related(?: articles?| stories| posts| news| content| coverage| reading| links| topics)?"
    r"|more (?:for you|stories|news|articles|to (?:read|explore)|like this|on this (?:story|topic)|from [\w .&'’-]{2,40})"
    r"|(?:you|we think you) (?:may|might|could|will) (?:also )?(?:like|love|enjoy|be interested in|have missed)"
    r"|in case you missed it|elsewhere (?:on|in|at|from) [\w .&'’-]{2,40}"
    r"|recommended(?: for you| stories| articles| reading| videos)?|trending(?: now| stories| news| topics| on \w+)?"
    r"|(?:most|the most) (?:read|popular|viewed|shared)|popular (?:right now|now|stories|articles|today)"
    r"|top stories|latest (?:news|stories|articles|headlines)|what to read next|read (?:this )?next|up next"
    r"|further reading|editor['’]?s picks|(?:sponsored|partner|promoted) (?:content|stories|links)"
    r"|from (?:our|the) partners|around the web|(?:explore|discover) more|keep reading|today on [\w .&'’-]{2,40}"
)
RAIL_HEADERS_INTL = (
    # de
    r"mehr (?:zum thema|zu diesem thema|aus (?:der|dem) [\w .&'’-]{2,30}|artikel|nachrichten|news)"
    r"|(?:das|dies) (?:könnte|dürfte) sie (?:auch |ebenfalls )?interessieren|auch interessant|ebenfalls interessant"
    r"|weitere (?:artikel|nachrichten|meldungen|themen|beiträge)|(?:ähnliche|verwandte|empfohlene) (?:artikel|beiträge|themen)"
    r"|meistgelesen(?:e(?: artikel)?)?|am meisten gelesen|top[- ]themen|neueste (?:artikel|nachrichten|beiträge)|empfehlungen(?: der redaktion)?"
    # fr
    r"|(?:à|a) lire (?:aussi|également|egalement)|(?:à|a) voir (?:aussi|également)|sur le même sujet|dans la même rubrique"
    r"|les (?:articles |contenus )?(?:plus lus|plus partagés|plus populaires)|articles? (?:similaires|liés|recommandés)"
    r"|nos (?:articles|contenus) recommandés|vous aimerez (?:aussi|également)|(?:à|a) découvrir(?: aussi)?|plus d['’]articles"
    r"|recommandés? pour vous|les dernières (?:actualités|infos|nouvelles)"
    # es
    r"|(?:te|le) puede interesar|también te (?:puede|podría) interesar|noticias relacionadas|art[ií]culos relacionados"
    r"|contenidos? relacionados?|lo más (?:leído|visto|compartido)|(?:más|mas) noticias|te recomendamos|recomendado(?:s)? para ti"
    r"|últimas noticias"
    # pt
    r"|mais (?:lidas|lidos|vistas|notícias)|notícias relacionadas|(?:matérias|artigos) relacionad[oa]s|relacionadas"
    r"|você (?:pode|também pode) gostar|recomendad[oa]s? para você|últimas notícias"
    # it
    r"|potrebbe interessarti|ti potrebbe(?:ro)? interessare|(?:i |gli )?(?:più|piu) (?:letti|lette|visti|condivisi)"
    r"|(?:articoli|notizie) correlat[ie]|altre notizie|da non perdere|consigliati per te|ultime notizie"
)
RAIL_HEADERS = f"{RAIL_HEADERS_EN}|{RAIL_HEADERS_INTL}"

# "Read also"-style lead-ins to one cross-link, and bare headers over a few teasers.
READ_ALSO_EN = r"(?:read|see) (?:also|more)|also (?:read|see)|must read"
READ_ALSO_INTL = (
    r"lesen sie (?:auch|mehr|weiter)|(?:siehe|lies) auch|auch interessant|mehr zum thema|zum thema"
    r"|(?:à|a) lire (?:aussi|également)|lire (?:aussi|également|la suite)|voir aussi|(?:à|a) voir (?:aussi|également)"
    r"|lee (?:también|más)|lea (?:también|más)|ver (?:también|más)|te puede interesar|le puede interesar"
    r"|leia (?:também|mais)|veja (?:também|mais)|saiba mais"
    r"|leggi (?:anche|pure)|vedi anche|potrebbe interessarti"
)
READ_ALSO = f"{READ_ALSO_EN}|{READ_ALSO_INTL}"

# Share and print tools.
SHARE_WORDS = (
    r"share(?: this| the)?(?: article| story| post| page| video)?|click to share|tweet this|email this|copy (?:the )?link"
    r"|print this(?: article| page)?|teilen|artikel teilen|beitrag teilen|link kopieren|drucken"
    r"|partager(?: l['’]article| cet article)?|copier le lien|imprimer|compartir(?: (?:la )?noticia| art[ií]culo)?"
    r"|copiar (?:el )?enlace|compartilh(?:ar|e)(?: (?:esta )?(?:notícia|matéria))?|partilhar|copiar (?:o )?link"
    r"|condividi(?: (?:l['’]articolo|questo articolo))?|copia (?:il )?link|stampa"
)

# Ad slots and "the article continues below" markers.
CONTINUES = (
    r"(?:the )?(?:story|article|content|text|post) continues (?:below|after (?:this )?(?:the )?(?:advertisement|ad|video))"
    r"|continue reading(?: below| the (?:main )?story| after (?:the )?ad(?:vertisement)?)?"
    r"|advertisement|advertising|sponsored|ad|scroll (?:down )?to (?:continue|keep)(?: with content| reading)?|skip (?:this )?ad"
    r"|anzeige|werbung|weiter (?:nach|unter) der (?:anzeige|werbung)|(?:der )?artikel (?:wird )?(?:geht )?(?:unten |unter der (?:anzeige|werbung) )?(?:weiter|fortgesetzt)(?: unten)?"
    r"|(?:lesen sie )?weiter nach der (?:anzeige|werbung)"
    r"|publicité|la suite (?:de l['’]article )?(?:après|ci-dessous)(?: (?:cette|la) publicité)?|l['’]article continue (?:ci-dessous|après (?:la|cette) publicité)"
    r"|suite de l['’]article (?:après|ci-dessous)(?: (?:la|cette) publicité)?"
    r"|publicidad|anuncio|sigue leyendo|contin[uú]a leyendo|la noticia contin[uú]a (?:debajo|abajo|tras la publicidad)"
    r"|el art[ií]culo contin[uú]a (?:debajo|abajo|después de la publicidad)"
    r"|publicidade|an[uú]ncio|continua (?:após|depois d[ao]) (?:a )?(?:publicidade|anúncio)|continue lendo(?: após (?:o|a) (?:anúncio|publicidade))?"
    r"|pubblicità|annuncio|continua a leggere(?: dopo la pubblicità)?|l['’]articolo continua (?:sotto|dopo la pubblicità)"
)

# The heading of an article's own summary box ("Key points" over a few bullet sentences): part of the story.
KEY_POINTS = (
    r"key (?:points|takeaways|facts)|(?:the )?takeaways|highlights|summary|at a glance|in brief|the big picture"
    r"|das wichtigste(?: in kürze)?|auf einen blick|in kürze|zusammenfassung"
    r"|l['’]essentiel|en bref|(?:ce qu['’]il faut )?(?:à|a) retenir|résumé|points clés"
    r"|lo (?:más|mas) importante|en resumen|resumen|claves|puntos clave"
    r"|resumo|destaques|pontos-chave|o que (?:você precisa )?saber"
    r"|in sintesi|in breve|punti chiave|riassunto"
)
