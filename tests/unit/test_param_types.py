"""Typed params: declared in `param_types` or inferred from their defaults; overlays,
`edition_params` and `Engine(params=...)` are checked against them when the pack loads or the
Engine is built, never at event time. Also: exact fractional `within`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import svcrules
from svcrules import PackError
from svcrules.pack.params import ParamTypeSpec, infer

AT = "2024-06-03T10:00:00+08:00"


def _pack(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "pack": "typed",
        "version": "1",
        "title": "typed params",
        "editions": {"old": {}, "new": {"default": True}},
        "params": {"minutes": {"urban": 45, "remote": 120}, "reply_days": 5, "pct": Decimal("7")},
        "edition_params": {"old": {"minutes": {"remote": None}}},
        "events": {
            "fault.reported": {"fields": {"area": {"type": "enum", "values": ["urban", "remote"]}}},
        },
        "rules": [
            {
                "id": "arrival",
                "on": "fault.reported",
                "when": "params.minutes[area] is not None",
                "cite": {"doc": "d"},
                "deadline": {
                    "clock": "arrival",
                    "within": "params.minutes[area]",
                    "unit": "minutes",
                },
            },
            {
                "id": "reply",
                "on": "fault.reported",
                "cite": {"doc": "d"},
                "deadline": {"clock": "reply", "within": "params.reply_days", "unit": "days"},
            },
        ],
    }
    spec.update(extra)
    return spec


def _codes(exc: pytest.ExceptionInfo[PackError]) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in exc.value.diagnostics]


def test_inference_from_defaults_and_edition_values() -> None:
    t = infer({"urban": 45, "remote": 120}, [{"remote": None}])
    assert t.type == "map"
    assert t.fields is not None
    assert t.fields["urban"] == ParamTypeSpec(type="int", min=Decimal(0))
    assert t.fields["remote"].nullable
    assert infer(Decimal("1.5")).type == "decimal"
    assert infer(3, [Decimal("2.5")]).type == "decimal"
    assert infer(-1).min is None
    assert infer(None).type == "any"


@pytest.mark.parametrize(
    ("override", "code", "path"),
    [
        ({"minutes": {"urbn": 30}}, "params.unknown-key", "$.params.minutes.urbn"),
        ({"reply_days": "3"}, "params.bad-type", "$.params.reply_days"),
        ({"reply_days": 2.5}, "params.bad-type", "$.params.reply_days"),
        ({"reply_days": Decimal("2.5")}, "params.bad-type", "$.params.reply_days"),
        ({"reply_days": -5}, "params.out-of-range", "$.params.reply_days"),
        ({"reply_days": None}, "params.null", "$.params.reply_days"),
        ({"minutes": 30}, "params.bad-type", "$.params.minutes"),
        ({"minutes": {"urban": None}}, "params.null", "$.params.minutes.urban"),
    ],
)
def test_engine_overrides_are_checked_at_construction(
    override: dict[str, Any], code: str, path: str
) -> None:
    with pytest.raises(PackError) as exc:
        svcrules.Engine(_pack(), params=override)
    assert _codes(exc) == [(code, path)]


def test_unknown_key_hint_and_good_overrides() -> None:
    with pytest.raises(PackError) as exc:
        svcrules.Engine(_pack(), params={"minutes": {"urbn": 30}})
    assert exc.value.diagnostics[0].hint == "did you mean 'urban'?"
    # nullable where an edition sets null; decimals for a decimal param; ints too
    engine = svcrules.Engine(
        _pack(), params={"minutes": {"remote": None, "urban": 30}, "pct": 2.5, "reply_days": 0}
    )
    d = engine.evaluate({"id": "e", "type": "fault.reported", "at": AT, "area": "urban"})
    assert [x.clock for x in d.deadlines] == ["arrival", "reply"]


def test_edition_values_are_checked_against_the_default_s_type() -> None:
    bad = _pack(edition_params={"old": {"minutes": {"remot": 1}, "reply_days": "10"}})
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(bad)
    assert _codes(exc) == [
        ("params.unknown-key", "$.edition_params.old.minutes.remot"),
        ("params.bad-type", "$.edition_params.old.reply_days"),
    ]


def test_declared_types_open_a_map_over_an_enum_and_bound_values() -> None:
    types = {
        "minutes": {
            "type": "map",
            "keys": "fault.reported.area",
            "items": {"type": "int", "min": 1, "max": 600, "nullable": True, "unit": "minutes"},
        },
        "reply_days": {"type": "int", "min": 1, "unit": "days"},
    }
    pack = svcrules.load_pack(_pack(param_types=types))
    svcrules.Engine(pack, params={"minutes": {"remote": 600}})
    with pytest.raises(PackError) as exc:
        svcrules.Engine(pack, params={"minutes": {"rural": 5, "urban": 0}, "reply_days": 0})
    assert sorted(_codes(exc)) == [
        ("params.out-of-range", "$.params.minutes.urban"),
        ("params.out-of-range", "$.params.reply_days"),
        ("params.unknown-key", "$.params.minutes.rural"),
    ]


def test_bad_declarations_are_located() -> None:
    types = {
        "minutes": {"type": "map", "keys": "fault.reported.aria"},
        "reply_days": {"type": "decimal", "unit": "days", "min": 5, "max": 1},
        "nope": {"type": "int"},
        "pct": {"type": "int"},
    }
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(_pack(param_types=types))
    assert sorted(_codes(exc)) == [
        ("params.bad-declaration", "$.param_types.minutes.keys"),
        ("params.bad-declaration", "$.param_types.reply_days"),
        ("params.bad-declaration", "$.param_types.reply_days.unit"),
        ("params.bad-type", "$.params.pct"),  # the default breaks its own declaration
        ("params.out-of-range", "$.params.reply_days"),
        ("params.unknown", "$.param_types.nope"),
    ]


OVERLAY = """\
pack: province
version: "1"
title: an overlay
extends: power-grid
params:
  arrival_minutes: {{urbn: 30}}
  complaint_reply_days: {reply}
"""


@pytest.mark.parametrize(
    ("reply", "code"),
    [('"3"', "params.bad-type"), ("2.5", "params.bad-type"), ("-5", "params.out-of-range")],
)
def test_an_overlay_s_params_are_checked_against_the_base_s_types(
    tmp_path: Path, reply: str, code: str
) -> None:
    path = tmp_path / "province" / "pack.yaml"
    path.parent.mkdir()
    path.write_text(OVERLAY.format(reply=reply), encoding="utf-8")
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(path)
    got = [(d.code, d.path, d.line, d.file) for d in exc.value.diagnostics]
    assert got == [
        ("params.unknown-key", "$.params.arrival_minutes.urbn", 6, str(path)),
        (code, "$.params.complaint_reply_days", 7, str(path)),
    ]
    assert exc.value.diagnostics[0].hint == "did you mean 'urban'?"


def test_the_guangdong_overlay_and_built_in_packs_still_load() -> None:
    for name in ("power-grid", "resident-staff", "telecom-field-service"):
        svcrules.load_pack(name)
    root = Path(__file__).resolve().parents[2]
    svcrules.Engine(root / "examples" / "guangdong-overlay", edition="sgcc-2003")


def _within(within: Any, unit: str) -> dict[str, Any]:
    rule = {
        "id": "r",
        "on": "fault.reported",
        "cite": {"doc": "d"},
        "deadline": {"clock": "c", "within": within, "unit": unit},
    }
    return _pack(rules=[rule])


def test_fractional_within_for_hours_and_minutes_is_exact() -> None:
    for within, unit, delta in (
        (Decimal("1.5"), "hours", dt.timedelta(minutes=90)),
        (1.5, "hours", dt.timedelta(minutes=90)),
        (Decimal("0.5"), "minutes", dt.timedelta(seconds=30)),
    ):
        engine = svcrules.Engine(_within(within, unit))
        (d,) = engine.evaluate({"id": "e", "type": "fault.reported", "at": AT}).deadlines
        assert d.due - d.start == delta


def test_fractional_within_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "p" / "pack.yaml"
    path.parent.mkdir()
    path.write_text(
        "pack: p\nversion: '1'\ntitle: t\nevents: {a.b: {}}\nrules:\n"
        "  - {id: r, on: a.b, cite: {doc: d}, deadline: {clock: c, within: 1.5, unit: hours}}\n",
        encoding="utf-8",
    )
    (d,) = svcrules.Engine(path).evaluate({"id": "e", "type": "a.b", "at": AT}).deadlines
    assert d.due.isoformat() == "2024-06-03T11:30:00+08:00"


@pytest.mark.parametrize(("within", "unit"), [(-5, "minutes"), (Decimal("1.5"), "days")])
def test_negative_or_fractional_day_within_is_refused(within: Any, unit: str) -> None:
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(_within(within, unit))
    assert _codes(exc) == [("deadline.within", "$.rules[0].deadline.within")]
