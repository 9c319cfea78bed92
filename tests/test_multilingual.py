"""Boilerplate rules in German, French, Spanish, Portuguese and Italian (plain text through clean()).

Every sentence here was written for these tests. For each language: the body paragraphs stay,
each planted piece of boilerplate is removed under its rule family, and body sentences that use
the same words in running prose are kept.
"""

from __future__ import annotations

import pytest

from newsflow.transforms.clean import clean

CASES = {
    "de": {
        "body": [
            "Die Gemeinde hat am Montag beschlossen, die alte Steinbrücke für Fußgänger und Radfahrer offen zu halten.",
            "Die Bauarbeiten an der neuen Brücke sollen im April beginnen und etwa zwei Jahre dauern, sagte die Bürgermeisterin.",
            "Anwohner hatten mehr als dreitausend Unterschriften gesammelt und sie im Rathaus übergeben, um den Abriss zu verhindern.",
            "Ob die alte Brücke danach saniert wird, soll der Gemeinderat im Herbst nach einem Gutachten entscheiden.",
        ],
        "planted": {
            "read_also_inline": "Lesen Sie auch: Neue Buslinie fährt ab März bis zum Bahnhof",
            "continues_below": "Weiter nach der Anzeige",
            "share": "Artikel teilen",
            "newsletter": "Abonnieren Sie unseren kostenlosen Newsletter für die Region.",
            "image_credit": "Foto: Stadtarchiv / Müller",
            "disclaimer": "Hinweis: Dieser Beitrag stellt keine Anlageberatung dar.",
        },
        "tail": ("author_bio", "Jana Vogt ist Redakteurin im Lokalressort und schreibt über Verkehr und Bauen."),
        "rail": ("related_rail", "Mehr zum Thema", ["Brückensanierung kostet mehr als geplant", "Radweg am Fluss wird verbreitert"]),
        "prose": "Die Leser konnten den Artikel teilen und im Newsletter der Gemeinde mehr zum Thema lesen, sagte sie.",
    },
    "fr": {
        "body": [
            "Le conseil municipal a décidé lundi de garder l'ancien pont de pierre ouvert aux piétons et aux cyclistes.",
            "Les travaux du nouveau pont commenceront en avril et dureront environ deux ans, a précisé la maire lors de la séance.",
            "Les riverains avaient réuni plus de trois mille signatures pour empêcher la démolition de l'ouvrage centenaire.",
            "Une étude sur la rénovation de l'ancien pont sera présentée au conseil à l'automne, selon la mairie.",
        ],
        "planted": {
            "read_also_inline": "À lire aussi : Une nouvelle ligne de bus desservira la gare dès mars",
            "continues_below": "La suite après cette publicité",
            "share": "Partager sur Facebook",
            "newsletter": "Inscrivez-vous à notre newsletter régionale gratuite.",
            "image_credit": "Photo : Archives municipales",
            "disclaimer": "Avertissement : cet article ne constitue pas un conseil en investissement.",
        },
        "tail": ("author_bio", "Claire Dumas est journaliste au service local et suit les questions de transport."),
        "rail": ("related_rail", "Sur le même sujet", ["La rénovation du quai coûtera plus cher que prévu", "La piste cyclable sera élargie"]),
        "prose": "Les habitants peuvent partager leurs remarques et lire aussi le rapport complet sur le site de la mairie.",
    },
    "es": {
        "body": [
            "El ayuntamiento decidió el lunes mantener abierto el viejo puente de piedra para peatones y ciclistas.",
            "Las obras del nuevo puente empezarán en abril y durarán unos dos años, explicó la alcaldesa en el pleno municipal.",
            "Los vecinos habían reunido más de tres mil firmas para evitar la demolición de la estructura centenaria.",
            "Un estudio sobre la restauración del puente antiguo se presentará al pleno en otoño, según el consistorio.",
        ],
        "planted": {
            "read_also_inline": "Lee también: Una nueva línea de autobús llegará a la estación en marzo",
            "continues_below": "La noticia continúa debajo",
            "share": "Compartir en Facebook",
            "newsletter": "Suscríbete a nuestro boletín semanal y recibe las noticias de tu barrio.",
            "image_credit": "Foto: Archivo municipal",
            "disclaimer": "Aviso legal: este contenido no constituye asesoramiento financiero.",
        },
        "tail": ("author_bio", "Lucía Romero es periodista de la sección local y cubre transporte y urbanismo."),
        "rail": ("related_rail", "Noticias relacionadas", ["La reforma del muelle costará más de lo previsto", "El carril bici se ampliará"]),
        "prose": "Los vecinos pueden compartir sus propuestas y leer también el informe completo en la web municipal.",
    },
    "pt": {
        "body": [
            "A câmara municipal decidiu na segunda-feira manter a velha ponte de pedra aberta a peões e ciclistas.",
            "As obras da nova ponte começam em abril e devem durar cerca de dois anos, disse a presidente da câmara.",
            "Os moradores tinham reunido mais de três mil assinaturas para impedir a demolição da estrutura centenária.",
            "Um estudo sobre a recuperação da ponte antiga será apresentado à assembleia no outono, segundo a autarquia.",
        ],
        "planted": {
            "read_also_inline": "Leia também: Nova linha de autocarro chega à estação em março",
            "continues_below": "Continua após a publicidade",
            "share": "Compartilhar no Facebook",
            "newsletter": "Assine a nossa newsletter semanal e receba as notícias do seu bairro.",
            "image_credit": "Foto: Arquivo municipal",
            "disclaimer": "Aviso: este conteúdo não constitui recomendação de investimento.",
        },
        "tail": ("author_bio", "Marta Costa é jornalista da secção local e acompanha transportes e urbanismo."),
        "rail": ("related_rail", "Notícias relacionadas", ["Obras no cais vão custar mais do que o previsto", "Ciclovia será alargada"]),
        "prose": "Os moradores podem compartilhar as suas propostas e ler também o relatório completo no site da câmara.",
    },
    "it": {
        "body": [
            "Il consiglio comunale ha deciso lunedì di lasciare aperto il vecchio ponte di pietra a pedoni e ciclisti.",
            "I lavori del nuovo ponte inizieranno ad aprile e dureranno circa due anni, ha spiegato la sindaca in aula.",
            "I residenti avevano raccolto più di tremila firme per impedire la demolizione della struttura centenaria.",
            "Uno studio sul restauro del ponte antico sarà presentato al consiglio in autunno, secondo il municipio.",
        ],
        "planted": {
            "read_also_inline": "Leggi anche: Una nuova linea di autobus arriverà alla stazione a marzo",
            "continues_below": "L'articolo continua sotto",
            "share": "Condividi su Facebook",
            "newsletter": "Iscriviti alla nostra newsletter settimanale per le notizie del quartiere.",
            "image_credit": "Foto: Archivio comunale",
            "disclaimer": "Avvertenza: questo contenuto non costituisce consulenza finanziaria.",
        },
        "tail": ("author_bio", "Giulia Ferri è giornalista della redazione locale e segue trasporti e urbanistica."),
        "rail": ("related_rail", "Articoli correlati", ["I lavori al molo costeranno più del previsto", "La pista ciclabile sarà allargata"]),
        "prose": "I cittadini possono condividere le loro proposte e leggere anche la relazione completa sul sito del comune.",
    },
}


def _text(case: dict) -> str:
    body, planted = case["body"], list(case["planted"].values())
    rule, header, teasers = case["rail"]
    lines = [body[0], planted[0], body[1], planted[1], planted[2], body[2], planted[3], planted[4], body[3], planted[5],
             case["tail"][1], header, *teasers]
    return "\n".join(lines)


@pytest.mark.parametrize("lang", sorted(CASES))
def test_boilerplate_is_removed_and_body_kept(lang):
    case = CASES[lang]
    cleaned = clean(_text(case))
    assert cleaned.text.split("\n\n") == case["body"]
    by_rule = {}
    for r in cleaned.removed:
        by_rule.setdefault(r.rule, []).append(r.segment)
    for rule, segment in [*case["planted"].items(), case["tail"]]:
        assert segment in by_rule.get(rule, []), (lang, rule, segment)
    rail_rule, header, teasers = case["rail"]
    assert [header, *teasers] == by_rule[rail_rule][-3:]


@pytest.mark.parametrize("lang", sorted(CASES))
def test_prose_with_the_same_words_is_kept(lang):
    case = CASES[lang]
    text = "\n".join([*case["body"][:2], case["prose"], *case["body"][2:]])
    assert case["prose"] in clean(text).text.split("\n\n")


def test_text_in_a_script_without_case_is_never_a_capitals_crosslink():
    """A Chinese paragraph with a Latin acronym in it has no lower-case letters: it is body, not a cross-link."""
    para = ("据报道，市政府周一宣布，旧石桥在新桥建设期间，继续向行人和骑车人开放，该计划由NTA交通局负责，"
            "预计两年内完成，费用约为三千万元，居民表示欢迎，商户也表示支持，工程将于明年春天开始")
    text = "\n".join(CASES["de"]["body"][:2] + [para] + CASES["de"]["body"][2:])
    assert para in clean(text).text.split("\n\n")
