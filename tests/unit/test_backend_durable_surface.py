"""The durable_rules backend's surface: what power-grid refuses and why, `omit`, rejections."""

from __future__ import annotations

import pytest

import svcrules
from svcrules.errors import PackError

pytest.importorskip("durable.lang", reason="durable_rules is not installed (svcrules[durable])")

from svcrules.backends.durable import DurableEngine

VOLTAGE = (
    "voltage.single-phase.over",
    "voltage.single-phase.under",
    "voltage.three-phase.over",
    "voltage.three-phase.under",
    "voltage.hv-sum",
    "voltage.abnormal.over",
    "voltage.abnormal.under",
)


def _refused() -> tuple[str, ...]:
    with pytest.raises(PackError) as info:
        DurableEngine("power-grid")
    return tuple(d.rule for d in info.value.diagnostics if d.rule is not None)


FAULT = {
    "id": "e1",
    "type": "fault.reported",
    "at": "2024-06-03T21:10:00+08:00",
    "case": "F1",
    "area": "rural",
}


LEDGER_SCHEDULES_WITH_HELPERS = ("inspection.spring", "inspection.autumn", "assessment-plan.annual")


def test_power_grid_refuses_only_check_assertions_with_located_diagnostics() -> None:
    with pytest.raises(PackError) as info:
        DurableEngine("power-grid")
    diagnostics = info.value.diagnostics
    assert {d.code for d in diagnostics} == {"backend.untranslatable"}
    refused = [d.rule for d in diagnostics]
    assert set(VOLTAGE) <= set(refused)  # exact decimal arithmetic on the readings
    for d in diagnostics:
        assert d.file is not None and d.file.endswith("pack.yaml") and d.line is not None
        # checks, and three schedules whose `when` reads the local month (PM-150) or a list (PS-041)
        assert d.path.endswith(".check.assert") or (
            d.path.endswith(".when") and d.rule in LEDGER_SCHEDULES_WITH_HELPERS
        ), d
        assert "cannot run on durable_rules" in d.message
    voltage = [d for d in diagnostics if d.rule in VOLTAGE]
    assert all("arithmetic on event fields" in d.message for d in voltage)
    # every clock (deadline) rule translates: only checks are refused
    deadlines = {r.id for r in svcrules.load_pack("power-grid").spec.rules if r.deadline}
    assert deadlines.isdisjoint(refused)


def test_omit_leaves_rules_out_of_the_backend_and_of_its_reference() -> None:
    refused = _refused()
    backend = DurableEngine("power-grid", omit=refused)
    rules = {r.id for cp in backend.engine.compiled for r in cp.rules}
    assert rules.isdisjoint(refused)
    decision = backend.evaluate(FAULT)
    assert decision == svcrules.Engine("power-grid").evaluate(FAULT)
    assert [d.rule for d in decision.deadlines] == ["dispatch", "arrival.commitments"]
    assert "DurableEngine" not in svcrules.__all__
    assert "power-grid" in repr(backend)


def test_omit_names_only_rules_that_exist() -> None:
    with pytest.raises(PackError) as info:
        DurableEngine("power-grid", omit=[*_refused(), "voltage.nope"])
    assert info.value.codes == ("backend.unknown-rule",)


def test_rejections_are_the_compiled_evaluators() -> None:
    backend = DurableEngine("power-grid", edition="sgcc-2003", omit=_refused())
    bad = dict(FAULT, area="suburb")
    out = list(backend.evaluate_many([FAULT, bad, {"type": "nope"}]))
    want = list(backend.engine.evaluate_many([FAULT, bad, {"type": "nope"}]))
    assert [type(o).__name__ for o in out] == ["Decision", "Rejection", "Rejection"]
    assert out[0] == want[0]
    rejected = [o for o in out[1:] if isinstance(o, svcrules.Rejection)]
    wanted = [w for w in want[1:] if isinstance(w, svcrules.Rejection)]
    assert [o.error.diagnostics for o in rejected] == [w.error.diagnostics for w in wanted]
    # extra_remote has no 2003 figure: the condition (translated to durable) does not apply
    remote = backend.evaluate(dict(FAULT, area="extra_remote"))
    assert [d.clock for d in remote.deadlines] == ["dispatch"]  # but no 2003 arrival figure
