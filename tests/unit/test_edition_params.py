"""One name per figure: `edition_params` merged over `params` for the active edition, before the
caller's overrides; overlays apply in every edition. Also: `date()` is local to the pack, and an
enum accepts an integer by its digits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import svcrules
from svcrules import PackError


def _pack(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "pack": "ed",
        "version": "1",
        "title": "editions",
        "sources": {"d": {"title": "doc"}},
        "editions": {"old": {}, "new": {"default": True}},
        "params": {"minutes": {"urban": 45, "remote": 120}, "reply_days": 5},
        "edition_params": {"old": {"minutes": {"remote": None}, "reply_days": 10}},
        "events": {
            "fault.reported": {"fields": {"area": {"type": "enum", "values": ["urban", "remote"]}}},
            "thing.seen": {
                "fields": {
                    "when_at": {"type": "datetime"},
                    "phases": {"type": "enum", "values": ["1", "3"]},
                }
            },
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
                "id": "same-day",
                "on": "thing.seen",
                "cite": {"doc": "d"},
                "check": {
                    "assert": "date(at) == date(when_at)",
                    "message": "not the same local day",
                    "observed": "date(at)",
                    "limit": "date(when_at)",
                },
            },
        ],
    }
    spec.update(extra)
    return spec


def _fault(area: str) -> dict[str, Any]:
    return {"id": "f", "type": "fault.reported", "at": "2024-06-03T21:10:00+08:00", "area": area}


def _minutes(engine: svcrules.Engine, area: str) -> float | None:
    d = engine.evaluate(_fault(area))
    if not d.deadlines:
        return None
    return (d.deadlines[0].due - d.deadlines[0].start).total_seconds() / 60


def test_the_active_editions_values_merge_over_params() -> None:
    assert _minutes(svcrules.Engine(_pack()), "remote") == 120
    assert _minutes(svcrules.Engine(_pack(), edition="old"), "remote") is None
    assert _minutes(svcrules.Engine(_pack(), edition="old"), "urban") == 45  # deep merge


def test_a_callers_override_applies_in_every_edition() -> None:
    for edition in ("old", "new"):
        engine = svcrules.Engine(_pack(), edition=edition, params={"minutes": {"urban": 30}})
        assert _minutes(engine, "urban") == 30
    # and it wins over the edition's own value
    engine = svcrules.Engine(_pack(), edition="old", params={"minutes": {"remote": 150}})
    assert _minutes(engine, "remote") == 150


def test_power_grid_arrival_override_works_in_both_editions() -> None:
    for edition in ("sgcc-2003", "ten-commitments"):
        engine = svcrules.Engine(
            "power-grid", edition=edition, params={"arrival_minutes": {"urban": 30}}
        )
        d = engine.evaluate({**_fault("urban"), "case": "F1"})
        (dl,) = [x for x in d.deadlines if x.clock == "arrival"]
        assert dl.due == dt.datetime.fromisoformat("2024-06-03T21:40:00+08:00"), edition


def test_unknown_edition_and_undeclared_param_are_reported() -> None:
    bad = _pack(edition_params={"older": {"minutes": {}}, "old": {"minutez": 1}})
    with pytest.raises(PackError) as err:
        svcrules.load_pack(bad)
    assert set(err.value.codes) == {"edition.unknown", "edition.undeclared-param"}


def test_an_overlays_params_win_over_the_bases_edition_values(tmp_path: Path) -> None:
    import yaml

    base = tmp_path / "base" / "pack.yaml"
    base.parent.mkdir()
    base.write_text(yaml.safe_dump(_pack()), encoding="utf-8")
    over = tmp_path / "over" / "pack.yaml"
    over.parent.mkdir()
    over.write_text(
        yaml.safe_dump(
            {
                "pack": "over",
                "version": "1",
                "title": "overlay",
                "extends": "../base",
                "params": {"minutes": {"remote": 90}},
            }
        ),
        encoding="utf-8",
    )
    assert _minutes(svcrules.Engine(over, edition="old"), "remote") == 90
    assert _minutes(svcrules.Engine(over, edition="new"), "remote") == 90


def test_date_is_the_local_date_of_the_pack() -> None:
    engine = svcrules.Engine(_pack())
    seen = {"id": "s", "type": "thing.seen", "phases": 1}
    # 17:00Z is 01:00 the next day in Asia/Shanghai: the same local day as 2025-09-28 09:00+08:00
    d = engine.evaluate(
        {**seen, "at": "2025-09-27T17:00:00Z", "when_at": "2025-09-28T09:00:00+08:00"}
    )
    assert not d.violations
    d = engine.evaluate(
        {**seen, "at": "2025-09-27T15:00:00Z", "when_at": "2025-09-28T09:00:00+08:00"}
    )
    (v,) = d.violations
    assert (v.observed, v.limit) == (dt.date(2025, 9, 27), dt.date(2025, 9, 28))


def test_an_enum_takes_an_integer_by_its_digits_and_refuses_others() -> None:
    engine = svcrules.Engine(_pack())
    at = "2025-09-28T09:00:00+08:00"
    seen = {"id": "s", "type": "thing.seen", "at": at, "when_at": at}
    engine.evaluate({**seen, "phases": 3})
    engine.evaluate({**seen, "phases": "1"})
    with pytest.raises(svcrules.EventError) as err:
        engine.evaluate({**seen, "phases": 2})
    assert err.value.codes == ("event.bad-value",)
    with pytest.raises(svcrules.EventError):
        engine.evaluate({**seen, "phases": True})
