"""The provincial overlay example in examples/ loads, and its own cases pass."""

from __future__ import annotations

from pathlib import Path

import svcrules
from svcrules.testing import run_cases

OVERLAY = Path(__file__).resolve().parents[1] / "examples" / "guangdong-overlay"


def test_overlay_cases_pass() -> None:
    report = run_cases(OVERLAY)
    assert len(report.results) >= 6
    failures = [r.render() for r in report.results if not r.ok]
    assert not failures, "\n".join(failures)
    assert "gd.temporary-notice" not in report.unexercised


def test_overlay_changes_the_figure_in_both_editions_and_drops_one_rule() -> None:
    pack = svcrules.load_pack(OVERLAY)
    ids = {r.id for r in pack.spec.rules}
    assert "arrival.sgcc-2003.not-evaluated" not in ids and "gd.temporary-notice" in ids
    assert pack.spec.params["arrival_minutes"]["urban"] == 30
    assert pack.spec.edition_params["sgcc-2003"]["arrival_minutes"]["urban"] == 30
