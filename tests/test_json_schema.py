"""The exported JSON Schema (`svcrules schema --output FILE`) is editor-grade: every built-in pack,
the example overlay and the template validate against it with `jsonschema` (read through
svcrules' own YAML reader, which keeps a bare `on:` as the key "on"), and common mistakes get a
specific message, not "is not valid under any of the given schemas"."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from svcrules.cli import commands
from svcrules.pack.sources import read_file

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> jsonschema.Draft202012Validator:
    out = tmp_path_factory.mktemp("schema") / "pack.schema.json"
    assert commands.main(["schema", "--output", str(out)]) == 0
    return jsonschema.Draft202012Validator(json.loads(out.read_text(encoding="utf-8")))


def _json(x: Any) -> Any:
    """Pack data as JSON would give it (svcrules reads decimals exactly, dates as dates)."""
    if isinstance(x, dict):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json(v) for v in x]
    if isinstance(x, Decimal):
        return float(x)
    if isinstance(x, dt.date | dt.time):
        return x.isoformat()
    return x


PACKS = [
    *sorted([*ROOT.glob("policies/*/pack.yaml"), *ROOT.glob("examples/*/pack.yaml")]),
    ROOT / "tests" / "template" / "pack.yaml",
]


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.parent.name)
def test_shipped_packs_validate(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    errors = [e.message for e in validator.iter_errors(_json(read_file(path).data))]
    assert not errors


BASE: dict[str, Any] = {"pack": "x", "version": "1", "title": "t", "events": {"a.b": {}}}


def _rule(**deadline: Any) -> dict[str, Any]:
    d = {"clock": "c", "within": 1, "unit": "hours", **deadline}
    return {**BASE, "rules": [{"id": "r", "on": "a.b", "cite": {"doc": "d"}, "deadline": d}]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_rule(unit="hour"), "'hour' is not one of ['minutes', 'hours'"),
        (_rule(action="finish"), "'finish' is not one of ['start', 'stop'"),
        ({**BASE, "pack": "Demo"}, "'Demo' does not match"),
        ({**BASE, "title": None} | {"titel": "t"}, "'titel' was unexpected"),
        ({k: v for k, v in BASE.items() if k != "title"}, "'title' is a required property"),
        ({**BASE, "params": {"ReplyDays": 5}}, "'ReplyDays' does not match"),
        ({**BASE, "version": 1.0}, "1.0 is not of type 'string'"),
        (
            {**BASE, "rules": [{"id": "r", "on": "a.b", "cite": {"doc": "d"}, "deadlin": {}}]},
            "'deadlin' was unexpected",
        ),
        ({**BASE, "param_types": {"x": {"type": "integer"}}}, "'integer' is not one of"),
        ({**BASE, "timezone": None}, "None is not of type 'string'"),
    ],
)
def test_common_mistakes_get_a_specific_message(
    validator: jsonschema.Draft202012Validator, doc: dict[str, Any], message: str
) -> None:
    messages = [e.message for e in validator.iter_errors(doc)]
    assert any(message in m for m in messages), messages
    assert not any("is not valid under any of the given schemas" in m for m in messages)
