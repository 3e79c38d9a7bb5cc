"""Every built-in pack loads in every edition, and every case shipped beside it passes."""

from __future__ import annotations

import pytest

import svcrules
from svcrules.testing import run_cases

BUILTIN = [p.name for p in svcrules.list_packs() if p.origin == "builtin"]


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_pack_compiles_in_every_edition(name: str) -> None:
    pack = svcrules.load_pack(name)
    for edition in pack.spec.editions or [None]:
        engine = svcrules.Engine(name, edition=edition)
        assert engine.compiled[0].rules


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_pack_cases_pass(name: str) -> None:
    report = run_cases(name)
    assert report.results, f"{name} ships no cases"
    failures = [r.render() for r in report.results if not r.ok]
    assert not failures, "\n".join(failures)


def test_every_rule_carries_a_cite_and_catalog_ids() -> None:
    for name in BUILTIN:
        for rule in svcrules.load_pack(name).spec.rules:
            assert rule.cite.doc and rule.cite.line is not None, rule.id
            assert rule.catalog, f"{name}: rule {rule.id} lists no catalog ids"
