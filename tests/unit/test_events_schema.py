"""`svcrules schema events PACK` and the engine agree on which events are valid: a set of events
(every field type, nulls, whole numbers for text, numbers as text, naive times, unknown types)
goes through both, and each is accepted by both or refused by both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import svcrules
from svcrules.cli.schema import events_schema
from svcrules.pack import load_pack

ROOT = Path(__file__).resolve().parents[2]

PACK: dict[str, Any] = {
    "pack": "shapes",
    "version": "1",
    "title": "every field type",
    "events": {
        "thing.seen": {
            "fields": {
                "label": {"type": "string"},
                "n": {"type": "int"},
                "x": {"type": "number"},
                "flag": {"type": "bool"},
                "when_done": {"type": "datetime"},
                "day": {"type": "date"},
                "kind": {"type": "enum", "values": ["a", "b", "7"]},
                "tags": {"type": "list"},
                "zone": {"type": "enum", "values": ["north", "south"], "required": True},
                "level": {"type": "int", "required": True, "default": 1},
            }
        },
        "other.seen": {},
    },
    "rules": [
        {
            "id": "r",
            "on": ["thing.seen", "other.seen"],
            "cite": {"doc": "d"},
            "escalate": {"to": "lead"},
        },
    ],
}

GOOD: dict[str, Any] = {
    "id": "e1",
    "type": "thing.seen",
    "at": "2024-06-03T21:10:00+08:00",
    "zone": "north",
}

VARIANTS: list[dict[str, Any]] = [
    {},
    {"case": 123},
    {"case": "C-1", "subject": 42},
    {"case": None, "subject": None},
    {"case": 1.5},
    {"case": True},
    {"case": ["c"]},
    {"id": 7},
    {"id": 7.5},
    {"id": None},
    {"id": True},
    {"id": {"a": 1}},
    {"label": "x"},
    {"label": 5},
    {"label": None},
    {"label": False},
    {"label": 2.5},
    {"n": 3},
    {"n": 3.0},
    {"n": 3.5},
    {"n": "3"},
    {"n": True},
    {"x": 2.5},
    {"x": 2},
    {"x": "235.4"},
    {"x": " -1e3 "},
    {"x": "high"},
    {"x": True},
    {"flag": True},
    {"flag": "yes"},
    {"flag": 1},
    {"when_done": "2024-06-03T22:00:00Z"},
    {"when_done": "2024-06-03 22:00:00.5+08:00"},
    {"when_done": "2024-06-03T22:00:00"},
    {"when_done": "tomorrow"},
    {"when_done": 1717430400},
    {"day": "2024-06-03"},
    {"day": "2024-06-03T10:00:00+08:00"},
    {"day": "June 3"},
    {"kind": "a"},
    {"kind": 7},
    {"kind": "7"},
    {"kind": "c"},
    {"kind": 8},
    {"kind": ["a"]},
    {"tags": ["p", 1]},
    {"tags": "p"},
    {"zone": None},
    {"zone": "east"},
    {"level": None},
    {"level": 2},
    {"at": "2024-06-03T21:10:00"},
    {"at": "2024-06-03T21:10+0800"},
    {"at": "soon+08:00"},
    {"at": None},
    {"type": "other.seen"},
    {"type": "other.seen", "zone": None},
    {"type": "thing.sean"},
    {"type": 5},
    {"unknown_field": {"anything": [1]}},
    # the engine's bounds (svcrules.limits) that the schema states too
    {"n": 10**39},
    {"n": -(10**41)},
    {"label": 10**45},
    {"case": 10**45},
    {"subject": -(10**45)},
    {"x": 1e40},
    {"x": 1e50},
    {"x": -1e50},
    {"x": 1e-40},
    {"x": 1e-50},
    {"x": 0.0},
    {"x": "1.5" + "0" * 97},  # 100 characters: read
    {"x": "1.5" + "0" * 98},  # 101: refused before parsing
    {"id": 1e50},
    {"tags": list(range(10_000))},
    {"tags": list(range(10_001))},
]


def _accepted_by_engine(engine: svcrules.Engine, event: dict[str, Any]) -> bool:
    try:
        engine.evaluate(event)
    except svcrules.EventError:
        return False
    return True


def _accepted_by_schema(validator: jsonschema.Draft202012Validator, event: Any) -> bool:
    return validator.is_valid(event)


def _event(variant: dict[str, Any]) -> dict[str, Any]:
    event = {**GOOD, **variant}
    return {k: v for k, v in event.items() if not (k == "at" and v is None)}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: json.dumps(v))
def test_schema_and_engine_agree(variant: dict[str, Any]) -> None:
    engine = svcrules.Engine(PACK)
    validator = jsonschema.Draft202012Validator(events_schema(load_pack(PACK).spec))
    event = _event(variant)
    # round-trip through JSON, as an events file gives them
    event = json.loads(json.dumps(event))
    assert _accepted_by_schema(validator, event) == _accepted_by_engine(engine, event)


def test_the_variants_cover_both_verdicts() -> None:
    engine = svcrules.Engine(PACK)
    verdicts = {_accepted_by_engine(engine, _event(v)) for v in VARIANTS}
    assert verdicts == {True, False}


@pytest.mark.parametrize(
    ("pack", "events"),
    [
        ("power-grid", "power-grid-events.jsonl"),
        ("power-grid", "power-grid-bad-events.jsonl"),
        ("resident-staff", "resident-staff-events.jsonl"),
        ("telecom-field-service", "telecom-field-service-events.jsonl"),
    ],
)
def test_example_event_files_agree(pack: str, events: str) -> None:
    engine = svcrules.Engine(pack)
    validator = jsonschema.Draft202012Validator(events_schema(load_pack(pack).spec))
    for line in (ROOT / "examples" / events).read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a broken line is the CLI's `event.bad-json`, not the schema's concern
        assert _accepted_by_schema(validator, event) == _accepted_by_engine(engine, event), line
