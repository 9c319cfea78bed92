"""A deterministic news corpus for throughput benchmarks: real page templates, generated article texts.

    python bench/corpus.py --pages 1000 --out /tmp/corpus-1k

Every page is one of the dev-set pages (../shared/corpora/fundus-eval and readability-news: 120
pages from ~45 outlets) with its article replaced: the long paragraphs of the body, the headline
(<title>, <h1>, og/twitter titles), the description and the publication time are slots filled with
a generated article. So a page keeps its outlet's real size and markup (navigation, rails,
scripts, footers: what extraction has to wade through) while its text is new. JSON blobs in
<script> are dropped, since they carry the original article's text.

Texts are sentences of the fundus-eval ground truth drawn at random (seeded), so every article is
distinct but reads like news in English. One page in ten is a syndicated copy of a recent article
in another outlet's template, one in twenty an edited copy (a dateline added, the last paragraph
dropped). Page i is the same for every corpus size, so the 1k corpus is the first 1k pages of the
50k one. The dev pages are read from ../shared/corpora at run time; none of their text is kept in
the repository.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSION = 1  # bump when the output changes, so cached corpora are rebuilt
SEED = 20250101
PER_DAY = 150  # articles per day of publication time: stories form within days, as in real feeds
COPY_SHARE, EDIT_SHARE = 0.10, 0.05
MIN_PARAGRAPH_WORDS = 12  # shorter <p> elements are page furniture (captions, bylines, teasers)
_SLOT = re.compile(r"NFSLOT(\d{4})|NFTITLE|NFDESC|NFDATE")
_T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def corpora_dir() -> Path:
    # ../shared/corpora beside the checkout (/work/main), or two levels up from a worktree (/work/wt/<name>)
    for candidate in (REPO.parent / "shared" / "corpora", REPO.parent.parent / "shared" / "corpora",
                      Path("/work/shared/corpora")):
        if (candidate / "fundus-eval").is_dir():
            return candidate
    raise SystemExit("the dev-set corpora (fundus-eval, readability-news) were not found")


@dataclass
class Template:
    name: str
    parts: list[str]  # literal HTML between slots
    slots: list[str]  # slot names, len(parts) - 1
    paragraphs: int


def _template(name: str, page: bytes) -> Template | None:
    """The page with its article turned into slots, or None when it has too few body paragraphs."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(page)
    except Exception:
        return None
    for script in tree.xpath("//script"):
        kind = (script.get("type") or "").lower()
        if "json" in kind or "__NEXT_DATA__" in (script.get("id") or "") or "articleBody" in (script.text or ""):
            script.drop_tree()
    paragraphs = [p for p in tree.xpath("//body//p") if len(p.text_content().split()) >= MIN_PARAGRAPH_WORDS]
    if len(paragraphs) < 4:
        return None
    for i, p in enumerate(paragraphs):
        for child in list(p):
            p.remove(child)
        p.text, p.tail = f"NFSLOT{i:04d}", p.tail
    for node in tree.xpath("//title|//h1")[:2]:
        for child in list(node):
            node.remove(child)
        node.text = "NFTITLE"
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key.endswith("title"):
            meta.set("content", "NFTITLE")
        elif key.endswith("description"):
            meta.set("content", "NFDESC")
        elif "published" in key or key in ("date", "pubdate", "dc.date.issued"):
            meta.set("content", "NFDATE")
    head = tree.find("head")
    if head is not None and not tree.xpath("//meta[@content='NFDATE']"):
        head.append(lxml.html.Element("meta", property="article:published_time", content="NFDATE"))
    text = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    parts, slots, at = [], [], 0
    for m in _SLOT.finditer(text):
        parts.append(text[at:m.start()])
        slots.append(m.group(0))
        at = m.end()
    parts.append(text[at:])
    return Template(name, parts, slots, len(paragraphs))


def templates() -> list[Template]:
    root = corpora_dir()
    pages = sorted((root / "fundus-eval" / "html").glob("*.html.gz")) + \
        sorted((root / "readability-news" / "pages").glob("*/source.html.gz"))
    out = []
    for path in pages:
        name = path.name if path.parent.name == "html" else path.parent.name
        if t := _template(name, gzip.decompress(path.read_bytes())):
            out.append(t)
    return out


def sentences() -> list[str]:
    """The sentence pool: the fundus-eval ground-truth paragraphs split into sentences."""
    truth = json.loads((corpora_dir() / "fundus-eval" / "ground_truth.json").read_text(encoding="utf-8"))
    pool = set()
    for page in truth.values():
        for para in page["body"]:
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", para):
                if 6 <= len(s.split()) <= 60:
                    pool.add(s.strip())
    return sorted(pool)


@dataclass
class Article:
    title: str
    description: str
    paragraphs: list[str]


def _article(rng: random.Random, pool: list[str], paragraphs: int) -> Article:
    paras = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 4))) for _ in range(paragraphs)]
    title_words = rng.choice(pool).rstrip(".!?").split()[:rng.randint(6, 12)]
    return Article(" ".join(title_words), rng.choice(pool), paras)


def _fill(template: Template, article: Article, published: datetime) -> str:
    """The template with the article in its slots; extra paragraphs go into the last slot."""
    n = template.paragraphs
    paras = [html.escape(p, quote=False) for p in article.paragraphs]
    body = paras[:n - 1] + ["</p>\n<p>".join(paras[n - 1:])] if len(paras) >= n else paras + [""] * (n - len(paras))
    values = {"NFTITLE": html.escape(article.title), "NFDESC": html.escape(article.description),
              "NFDATE": published.isoformat()}
    out = [template.parts[0]]
    for slot, part in zip(template.slots, template.parts[1:]):
        out.append(body[int(slot[6:])] if slot.startswith("NFSLOT") else values[slot])
        out.append(part)
    return "".join(out)


def plain_page(article: Article, published: datetime) -> str:
    """The article alone in a minimal page (no outlet template): what extraction finds, at a fraction
    of the cost. For measurements of the stages after extraction (the commit) at large sizes."""
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in article.paragraphs)
    title = html.escape(article.title)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"description\" content=\"{html.escape(article.description)}\">"
            f"<meta property=\"article:published_time\" content=\"{published.isoformat()}\"></head>"
            f"<body><article><h1>{title}</h1>\n{body}\n</article></body></html>\n")


def generate(out: Path, pages: int, seed: int = SEED, plain: bool = False) -> dict:
    """Write `pages` pages to `out` (page-000000.html ...); returns counts. Reuses a complete earlier run.

    `plain`: the same articles, dates and copies, each in a minimal page instead of its outlet's template.
    """
    manifest = out.parent / f"{out.name}.manifest.json"  # beside, not in: inputs are all pages
    if manifest.is_file():
        done = json.loads(manifest.read_text())
        if done.get("version") == VERSION and done.get("pages") == pages and done.get("seed") == seed \
                and done.get("plain", False) == plain:
            return done
    out.mkdir(parents=True, exist_ok=True)
    tpls, pool = templates(), sentences()
    rng = random.Random(seed)
    recent: list[Article] = []
    counts = {"distinct": 0, "copies": 0, "edited_copies": 0}
    size = 0
    for i in range(pages):
        template = tpls[rng.randrange(len(tpls))]
        roll = rng.random()
        if recent and roll < COPY_SHARE:
            article = rng.choice(recent)
            counts["copies"] += 1
        elif recent and roll < COPY_SHARE + EDIT_SHARE:
            base = rng.choice(recent)
            paras = list(base.paragraphs[:-1] if len(base.paragraphs) > 4 else base.paragraphs)
            paras[0] = f"{rng.choice(('LONDON', 'NEW YORK', 'WASHINGTON', 'SYDNEY'))} (Wire) - {paras[0]}"
            article = Article(base.title, base.description, paras)
            counts["edited_copies"] += 1
        else:
            article = _article(rng, pool, template.paragraphs + rng.randint(-2, 4))
            recent = (recent + [article])[-200:]
            counts["distinct"] += 1
        published = _T0 + timedelta(days=i / PER_DAY, minutes=rng.randint(0, 600))
        page = (plain_page(article, published) if plain else _fill(template, article, published)).encode("utf-8")
        size += len(page)
        (out / f"page-{i:06d}.html").write_bytes(page)
    done = {"version": VERSION, "seed": seed, "pages": pages, "templates": len(tpls), "bytes": size, **counts,
            **({"plain": True} if plain else {})}
    manifest.write_text(json.dumps(done, indent=1))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plain", action="store_true", help="minimal pages instead of the outlets' templates")
    args = parser.parse_args()
    print(json.dumps(generate(args.out, args.pages, plain=args.plain)))


if __name__ == "__main__":
    main()
