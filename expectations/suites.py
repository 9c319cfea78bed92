"""The expectation suites, one per queried table, as reviewable data (no GX import here).

Each `Check` names a GX Core 1.x expectation class and its arguments, plus what a failure means:
  critical   - the batch is not committed and the run fails with the check's reason;
  warning    - recorded in `dq_results`, the run goes on;
  quarantine - (warning checks on `articles` only) the failing rows go to quarantine instead of
               `articles`, tagged with the check's name.
`runner.validate` turns these into GX suites. Thresholds come from `QualityConfig`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[str, ...] = ("critical", "warning")

SUITES: tuple[str, ...] = ("articles", "documents", "rejects", "runs")
# Only article rows can be quarantined (kept out of `articles`), and they are named by this column.
QUARANTINE_TABLE = "articles"
QUARANTINE_ID = "article_id"

# Columns each frame must have (the warehouse table's columns that the checks read).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "articles": ("article_id", "content_hash", "title", "text", "word_count", "language", "language_prob",
                 "published_at"),
    "documents": ("document_id", "run_id", "kind", "url", "canonical_url", "raw_sha256", "article_id"),
    "rejects": ("run_id", "origin", "stage", "reason"),
    "runs": ("run_id", "status", "inputs", "new_articles", "duplicates", "rejected"),
}

STAGES = ("discover", "fetch", "acquire", "decode", "extract", "clean", "normalize", "dedup", "validate", "load")
RUN_STATUSES = ("completed", "failed")
DOCUMENT_KINDS = ("html", "text")

# Boilerplate that cleaning should have removed. Generic markers, not one outlet's sentences, and
# written independently of transforms/rules.py so this is a second opinion, not the same regex twice.
# Each marker is matched at the start of a line (a paragraph: extraction puts rails, prompts and ad
# slots on lines of their own), so body prose that mentions "related articles" mid-sentence does not
# match. Anchoring is also what keeps the check fast: an unanchored `\bnewsletter\b`-style search
# cost 4.5 s per 10k articles, line-anchored ones cost ~0.5 s (docs/quality.md).
_END = r"[ \t]*[:.!|»›>\-–—]*[ \t]*$"  # a header line may end with a colon, arrow or dash
_LEAD = r"(?:\S+[ \t]+){0,8}?"  # up to eight words before a prompt's keyword ("Get the best ... delivered")
RESIDUE_MARKERS: dict[str, str] = {
    "rail_header": (
        r"(?:more (?:for you|stories|news|articles|to read|like this|from [\w .&'’-]{2,40})"
        r"|related (?:articles?|stories|posts|news|content|coverage|reading)"
        r"|you (?:may|might|could) also (?:like|enjoy|be interested in)"
        r"|recommended (?:for you|stories|articles|reading)"
        r"|(?:most|the most) (?:read|popular|viewed|shared)|top stories|read next|what to read next"
        r"|further reading|editor'?s picks|around the web)" + _END
    ),
    "disclaimer": r"(?:legal |important |risk )?(?:disclaimer|disclosure)s?[ \t]*[:\-–—]",
    "newsletter": (
        _LEAD + r"(?:sign[ -]?up|subscribe|register)\b[^\n]{0,60}?\b(?:newsletters?|inbox|daily briefing)\b"
        r"|" + _LEAD + r"newsletters?\b[^\n]{0,60}?\b(?:sign[ -]?up|subscribe)\b"
        r"|" + _LEAD + r"delivered (?:straight |directly )?to your inbox\b"
    ),
    "share": (
        r"(?:share (?:this|the) (?:article|story|post|page)|click to share|tweet this|email this"
        r"|share on (?:facebook|twitter|x|linkedin|whatsapp))\b"
    ),
    "continues_below": (
        r"(?:the )?(?:story|article|content) continues (?:below|after (?:this |the )?(?:advertisement|ad))\b"
        r"|(?:advertisement|continue reading below|scroll to continue(?: with content)?)" + _END
    ),
}
RESIDUE_REGEX = r"(?im)^[ \t]*(?:" + "|".join(f"(?:{p})" for p in RESIDUE_MARKERS.values()) + ")"
re.compile(RESIDUE_REGEX)  # fail at import, not in the middle of a run, if a marker is malformed

# Mojibake: UTF-8 bytes decoded as Latin-1/cp1252 ("CafÃ©", "ownerâ€™s", "Â£5"). A UTF-8 lead byte's
# character (Â, Ã, or â followed by €) followed by a continuation byte's character is almost never
# real text in any language. Literal characters, not \u escapes, so any regex engine reads it.
_CONTINUATION = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
MOJIBAKE_REGEX = f"(?:[ÂÃ][{_CONTINUATION}]|â€[{_CONTINUATION}]?)"
re.compile(MOJIBAKE_REGEX)

# A URL we can fetch and show: http(s), a host without spaces, optional port, then path/query/fragment.
URL_REGEX = r"^https?://[^\s/?#:@]+(?::\d{1,5})?(?:[/?#]\S*)?$"
SHA256_REGEX = r"^[0-9a-f]{64}$"


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid", use_attribute_docstrings=True))
class QualityConfig:
    """Data-quality switches and thresholds the suites check against (settings group `quality`)."""

    enabled: bool = True
    """validate each run's batch with the GX suites before loading"""
    languages: tuple[str, ...] = ()
    """language codes an article may have (langdetect codes); empty = any language, none quarantined for it"""
    min_language_prob: Annotated[float, Field(ge=0, le=1)] = 0.80
    """below this langdetect probability the language guess is not trusted"""
    min_words: int = field(default=25, init=False)
    """fewer words = quarantined; not set here: it follows the top-level setting min_words (`with_min_words`)"""
    max_words: Annotated[int, Field(ge=1)] = 50_000
    """more words = quarantined (a whole page or a concatenated feed, not one article)"""
    min_title_rate: Annotated[float, Field(ge=0, le=1)] = 0.80
    """share of a batch's articles that must have a title (warning below)"""
    earliest_published: datetime = datetime(1990, 1, 1, tzinfo=timezone.utc)
    """published_at before this is a parse error, not an old article"""
    future_tolerance: timedelta = timedelta(hours=14)
    """published_at may be this far ahead of now: date-only values from UTC+14 parse as midnight UTC"""
    max_duplicate_rate: Annotated[float, Field(ge=0, le=1)] = 0.5
    """duplicates / inputs per run above this is a warning; inputs read again with the text they gave before (reprocess, --refresh) are left out of both"""
    max_reject_rate: Annotated[float, Field(ge=0, le=1)] = 0.25
    """rejected / (inputs + unchanged) per run above this is a warning"""
    severity: dict[str, str] = field(default_factory=dict)  # checked in __post_init__, naming the allowed values
    """per-check severity overrides, e.g. {"text_no_residue" = "critical"}"""
    docs_dir: Path | None = None
    """build GX Data Docs for each ingest run into this folder"""
    project: Path | None = None
    """folder holding the GX project (its gx/) that `newsflow validate` and each ingest run; unset = expectations/ in the working directory (in a checkout: the shipped project; elsewhere `newsflow validate` creates it as a copy of the shipped one)"""

    def __post_init__(self):
        object.__setattr__(self, "languages", tuple(self.languages))
        for name, sev in self.severity.items():
            if sev not in SEVERITIES:
                raise ValueError(f"severity override for {name!r} must be one of {SEVERITIES}, not {sev!r}")
        if self.earliest_published.tzinfo is None:
            object.__setattr__(self, "earliest_published", self.earliest_published.replace(tzinfo=timezone.utc))

    def with_min_words(self, min_words: int) -> QualityConfig:
        """A copy whose word-count check uses `min_words` (the app passes its one min_words setting)."""
        copy = replace(self)
        object.__setattr__(copy, "min_words", min_words)
        return copy


@dataclass(frozen=True)
class Check:
    """One expectation: GX class name and arguments, severity, and whether it quarantines rows."""

    name: str
    table: str
    expectation: str
    kwargs: dict[str, Any]
    severity: Severity
    description: str
    quarantine: bool = False

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name}: severity must be one of {SEVERITIES}")
        if self.quarantine and self.table != QUARANTINE_TABLE:
            raise ValueError(f"check {self.name}: only {QUARANTINE_TABLE} rows can be quarantined")

    @property
    def column(self) -> str | None:
        """The column(s) checked, as one string for `dq_results.column_name`."""
        kw = self.kwargs
        if "column" in kw:
            return kw["column"]
        if "column_A" in kw:
            return f"{kw['column_A']},{kw['column_B']}"
        if "column_list" in kw:
            return ",".join(kw["column_list"])
        return None

    @property
    def quarantines(self) -> bool:
        """Row failures go to quarantine only for warning checks: a critical failure stops the batch."""
        return self.quarantine and self.severity == "warning"


def checks(config: QualityConfig | None = None, now: datetime | None = None) -> list[Check]:
    """Every check of every suite, with thresholds from `config` and 'the future' measured from `now`."""
    c = config or QualityConfig()
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    latest = now + c.future_tolerance
    completed = ("status", "completed")  # runner turns this into a GX row condition
    out = [
        # articles
        Check("article_id_not_null", "articles", "ExpectColumnValuesToNotBeNull", {"column": "article_id"},
              "critical", "every article has an id"),
        Check("article_id_unique", "articles", "ExpectColumnValuesToBeUnique", {"column": "article_id"},
              "critical", "article ids are unique in the batch (the primary key)"),
        Check("content_hash_not_null", "articles", "ExpectColumnValuesToNotBeNull", {"column": "content_hash"},
              "critical", "every article has a content hash"),
        Check("content_hash_unique", "articles", "ExpectColumnValuesToBeUnique", {"column": "content_hash"},
              "critical", "one article per content hash (exact dedup held)"),
        Check("text_not_null", "articles", "ExpectColumnValuesToNotBeNull", {"column": "text"},
              "critical", "text is never NULL (NOT NULL column)"),
        Check("word_count_not_null", "articles", "ExpectColumnValuesToNotBeNull", {"column": "word_count"},
              "critical", "word_count is never NULL (NOT NULL column)"),
        Check("text_not_blank", "articles", "ExpectColumnValuesToMatchRegex", {"column": "text", "regex": r"\S"},
              "warning", "text has at least one non-space character", quarantine=True),
        Check("word_count_in_bounds", "articles", "ExpectColumnValuesToBeBetween",
              {"column": "word_count", "min_value": c.min_words, "max_value": c.max_words},
              "warning", f"word_count within [{c.min_words}, {c.max_words}]", quarantine=True),
        Check("title_present_rate", "articles", "ExpectColumnValuesToNotBeNull",
              {"column": "title", "mostly": c.min_title_rate},
              "warning", f"at least {c.min_title_rate:.0%} of articles have a title"),
        # Language is recorded for every article; it holds one back only when the user lists languages.
        Check("language_detected", "articles", "ExpectColumnValuesToNotBeNull", {"column": "language"},
              "warning", "a language was detected", quarantine=bool(c.languages)),
        *([Check("language_allowed", "articles", "ExpectColumnValuesToBeInSet",
                 {"column": "language", "value_set": list(c.languages)},
                 "warning", f"language in {list(c.languages)}", quarantine=True),
           Check("language_prob_floor", "articles", "ExpectColumnValuesToBeBetween",
                 {"column": "language_prob", "min_value": c.min_language_prob, "max_value": 1.0},
                 "warning", f"language_prob >= {c.min_language_prob}", quarantine=True)] if c.languages else []),
        Check("published_at_plausible", "articles", "ExpectColumnValuesToBeBetween",
              {"column": "published_at", "min_value": c.earliest_published, "max_value": latest},
              "warning", f"published_at (where known) after {c.earliest_published:%Y-%m-%d} and not in the future",
              quarantine=True),
        Check("text_no_residue", "articles", "ExpectColumnValuesToNotMatchRegex",
              {"column": "text", "regex": RESIDUE_REGEX},
              "warning", "no rail header, disclaimer, newsletter, share or 'continues below' marker left in text",
              quarantine=True),
        Check("text_no_mojibake", "articles", "ExpectColumnValuesToNotMatchRegex",
              {"column": "text", "regex": MOJIBAKE_REGEX},
              "warning", "no mojibake (UTF-8 read as Latin-1: 'CafÃ©', 'â€™') in text", quarantine=True),
        # documents
        Check("document_id_not_null", "documents", "ExpectColumnValuesToNotBeNull", {"column": "document_id"},
              "critical", "every document has an id"),
        Check("document_id_unique", "documents", "ExpectColumnValuesToBeUnique", {"column": "document_id"},
              "critical", "document ids are unique (the primary key)"),
        Check("document_article_id_not_null", "documents", "ExpectColumnValuesToNotBeNull",
              {"column": "article_id"}, "critical", "every document points at an article"),
        Check("document_run_id_not_null", "documents", "ExpectColumnValuesToNotBeNull", {"column": "run_id"},
              "critical", "every document belongs to a run"),
        Check("raw_sha256_well_formed", "documents", "ExpectColumnValuesToMatchRegex",
              {"column": "raw_sha256", "regex": SHA256_REGEX}, "warning", "raw_sha256 is 64 lowercase hex digits"),
        Check("kind_allowed", "documents", "ExpectColumnValuesToBeInSet",
              {"column": "kind", "value_set": list(DOCUMENT_KINDS)}, "warning", f"kind in {list(DOCUMENT_KINDS)}"),
        Check("url_well_formed", "documents", "ExpectColumnValuesToMatchRegex",
              {"column": "url", "regex": URL_REGEX}, "warning", "url (where present) is an http(s) URL"),
        Check("canonical_url_well_formed", "documents", "ExpectColumnValuesToMatchRegex",
              {"column": "canonical_url", "regex": URL_REGEX}, "warning",
              "canonical_url (where present) is an http(s) URL"),
        # rejects
        Check("reject_run_id_not_null", "rejects", "ExpectColumnValuesToNotBeNull", {"column": "run_id"},
              "critical", "every reject belongs to a run"),
        Check("reject_origin_not_null", "rejects", "ExpectColumnValuesToNotBeNull", {"column": "origin"},
              "critical", "every reject names its input"),
        Check("reject_reason_not_null", "rejects", "ExpectColumnValuesToNotBeNull", {"column": "reason"},
              "critical", "every reject has a reason"),
        Check("reject_stage_allowed", "rejects", "ExpectColumnValuesToBeInSet",
              {"column": "stage", "value_set": list(STAGES)}, "warning", f"stage in {list(STAGES)}"),
        # runs
        Check("run_id_not_null", "runs", "ExpectColumnValuesToNotBeNull", {"column": "run_id"},
              "critical", "every run has an id"),
        Check("run_id_unique", "runs", "ExpectColumnValuesToBeUnique", {"column": "run_id"},
              "critical", "run ids are unique (the primary key)"),
        Check("run_status_allowed", "runs", "ExpectColumnValuesToBeInSet",
              {"column": "status", "value_set": list(RUN_STATUSES)}, "critical", f"status in {list(RUN_STATUSES)}"),
        Check("run_counts_add_up", "runs", "ExpectColumnPairValuesToBeEqual",
              {"column_A": "inputs", "column_B": "counts_total", "row_condition": completed},
              "critical", "completed runs: inputs = new_articles + duplicates + rejected (+ quarantined)"),
        Check("run_documents_add_up", "runs", "ExpectColumnPairValuesToBeEqual",
              {"column_A": "inputs", "column_B": "documents_and_rejects", "row_condition": completed},
              "critical", "completed runs: inputs = documents rows + rejects rows of the run"),
        Check("duplicate_rate_in_bounds", "runs", "ExpectColumnValuesToBeBetween",
              {"column": "duplicate_rate", "min_value": 0.0, "max_value": c.max_duplicate_rate,
               "row_condition": completed},
              "warning", f"(duplicates - rereads) / (inputs - rereads) <= {c.max_duplicate_rate}"),
        Check("reject_rate_in_bounds", "runs", "ExpectColumnValuesToBeBetween",
              {"column": "reject_rate", "min_value": 0.0, "max_value": c.max_reject_rate,
               "row_condition": completed},
              "warning", f"rejected / (inputs + unchanged) <= {c.max_reject_rate}"),
    ]
    unknown = set(c.severity) - {ch.name for ch in out}
    if unknown:
        raise ValueError(f"severity overrides name unknown checks: {sorted(unknown)}; "
                         f"see docs/quality.md for the check names")
    return [Check(ch.name, ch.table, ch.expectation, ch.kwargs, c.severity.get(ch.name, ch.severity),
                  ch.description, ch.quarantine) for ch in out]
