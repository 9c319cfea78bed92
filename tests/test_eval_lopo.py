"""The eval's leave-one-outlet-out table: a rule that fires only on one outlet's pages is switched off for it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import eval_extraction as E  # noqa: E402
from test_structure import BODY, TEASERS, cards, page  # noqa: E402


def _pages(tmp_path: Path, outlet: str, n: int, extra: str) -> list[E.Page]:
    pages = []
    for i in range(n):
        path = tmp_path / f"{outlet}_{i}.html"
        path.write_text(page("", extra=extra), encoding="utf-8")
        pages.append(E.Page(f"{outlet}_{i}", outlet, path, None, "\n".join(BODY), "en"))
    return pages


def test_an_outlets_own_rule_is_switched_off_for_it(tmp_path):
    """Teaser cards appear only on alpha's pages: the card rule is alpha's own, and alpha scores worse without it."""
    rail = f'<div class="stack">{cards("div", "unit")}</div>'
    pages = _pages(tmp_path, "alpha", 2, rail) + _pages(tmp_path, "beta", 2, "")
    result = E.score_set("toy", pages, fast=True)
    loo = E.leave_one_out([result])
    rows = {row[0]: row for row in loo["rows"]}
    assert set(rows) == {"alpha"} and "html:teaser_cards" in rows["alpha"][6]
    ours, without = rows["alpha"][3], rows["alpha"][4]
    assert without["precision"] < ours["precision"] == 1.0
    assert loo["sets"]["toy"]["f1"] < E.summarize(result["ours"])["f1"]
    assert any(TEASERS[0][0] in text for text in E.inprocess_texts(pages[:1], html_rules=())[0].values())


def test_outlet_names_match_across_sets():
    assert E.outlet("TheGuardian") == E.outlet("guardian") == "guardian"
    assert E.outlet("TheTelegraph") == E.outlet("telegraph") and E.outlet("bbc") == "bbc"
