"""The compiler: dispatch by event type, generated source in linecache, one place per effect."""

from __future__ import annotations

import gc
import linecache
import traceback
from typing import Any

import pytest

import svcrules
from svcrules.effects import EffectSpec
from svcrules.pack.schema import EFFECTS, RuleSpec


def _pack(types: list[str]) -> dict[str, Any]:
    return {
        "pack": "collide",
        "version": "1",
        "title": "event types whose names flatten alike",
        "events": {t: {"fields": {"case": {"type": "string"}}} for t in types},
        "rules": [
            {
                "id": f"r{i}",
                "on": t,
                "cite": {"doc": "d"},
                "escalate": {"to": f"role-{t}", "reason": t},
            }
            for i, t in enumerate(types)
        ],
    }


def test_event_types_that_flatten_alike_each_run_their_own_rules() -> None:
    types = ["a.b.c", "a.b.c_2", "a.b_c", "a_b.c", "a.b_c_2"]
    engine = svcrules.Engine(_pack(types))
    for t in types:
        d = engine.evaluate({"id": "1", "type": t, "at": "2024-01-01T00:00:00+08:00"})
        assert [e.to for e in d.escalations] == [f"role-{t}"], t


def _svcrules_entries() -> set[str]:
    return {k for k in linecache.cache if k.startswith("<svcrules")}


def test_fifty_engines_leave_linecache_no_bigger() -> None:
    gc.collect()
    before = _svcrules_entries()
    for _ in range(50):
        svcrules.Engine("power-grid")
    gc.collect()
    assert _svcrules_entries() <= before


def test_generated_source_is_in_linecache_while_the_engine_lives() -> None:
    engine = svcrules.Engine("power-grid")
    (compiled,) = engine.compiled
    assert "".join(linecache.getlines(compiled.filename)) == compiled.source
    shape = compiled.shapes["fault.reported"]
    fast_files = [k for k in linecache.cache if k.startswith("<svcrules event fault.reported ")]
    assert fast_files, "the fast-path validator's source is registered too"
    assert shape is not None


def test_a_failing_rule_shows_its_generated_line_in_the_traceback() -> None:
    pack = _pack(["a.b"])
    pack["rules"][0] = {
        "id": "boom",
        "on": "a.b",
        "when": "case > 1",  # a string compared with an int: fails at event time
        "cite": {"doc": "d"},
        "escalate": {"to": "x"},
    }
    engine = svcrules.Engine(pack)
    (compiled,) = engine.compiled
    with pytest.raises(svcrules.EventError) as err:
        engine.evaluate({"id": "1", "type": "a.b", "at": "2024-01-01T00:00Z", "case": "x"})
    assert err.value.diagnostics[0].rule == "boom"
    frames = traceback.extract_tb(err.value.__traceback__)
    generated = [f for f in frames if f.filename == compiled.filename]
    assert generated and "_rule_failed" in (generated[-1].line or "")


def test_every_effect_kind_is_one_field_of_rule_spec_holding_an_effect_spec() -> None:
    assert EFFECTS == ("deadline", "deduct", "escalate", "check", "count", "schedule")
    for name in EFFECTS:
        annotation = RuleSpec.model_fields[name].annotation
        kinds = [t for t in getattr(annotation, "__args__", ()) if isinstance(t, type)]
        spec_cls = next(t for t in kinds if issubclass(t, EffectSpec))
        assert spec_cls.key == name
        # one module holds the spec, its checks and its emitter
        assert spec_cls.emit is not EffectSpec.emit
        assert spec_cls.__module__ == f"svcrules.effects.{name}"
