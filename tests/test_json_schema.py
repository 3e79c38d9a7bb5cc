"""The exported JSON Schema (`svcrules schema --output FILE`) is editor-grade: every key has a
description, the main ones a markdownDescription; every built-in pack, the example overlay and
the template validate against it with `jsonschema`, read both through svcrules' own reader and
through PyYAML's YAML 1.1 `safe_load` (the packs quote `"on"`); the schema they name in their
modeline is the exported one; and common mistakes get a specific message, not "is not valid
under any of the given schemas"."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml

from svcrules.cli import commands
from svcrules.effects.base import Unit
from svcrules.pack.export import pack_json_schema
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
    yaml11 = yaml.safe_load(path.read_text(encoding="utf-8"))  # what a YAML 1.1 tool reads
    errors = [e.message for e in validator.iter_errors(_json(yaml11))]
    assert not errors


MODELINE = "# yaml-language-server: $schema="


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.parent.name)
def test_shipped_packs_name_the_committed_schema(path: Path) -> None:
    """The first line is the VS Code YAML modeline, naming policies/pack.schema.json."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), first
    target = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert target == ROOT / "policies" / "pack.schema.json"


def test_committed_schema_is_the_exported_one() -> None:
    committed = json.loads((ROOT / "policies" / "pack.schema.json").read_text(encoding="utf-8"))
    assert committed == pack_json_schema(), (
        "policies/pack.schema.json is stale: run `svcrules schema --output "
        "policies/pack.schema.json`"
    )


def _properties(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every property schema in the document, with where it is."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            found.append((f"{where}/properties/{key}", prop))
        for key, child in node.items():
            found += _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _properties(child, f"{where}/{i}")
    return found


def test_every_key_has_a_description() -> None:
    props = _properties(pack_json_schema())
    assert len(props) > 100
    undocumented = [where for where, prop in props if not prop.get("description")]
    assert not undocumented, f"keys without a description: {undocumented}"


def test_main_keys_have_markdown_and_examples() -> None:
    schema = pack_json_schema()
    defs = schema["$defs"]
    main = {
        "on": defs["RuleSpec"],
        "when": defs["RuleSpec"],
        "cite": defs["RuleSpec"],
        "deadline": defs["RuleSpec"],
        "within": defs["DeadlineSpec"],
        "unit": defs["DeadlineSpec"],
        "params": schema,
    }
    for key, owner in main.items():
        prop = owner["properties"][key]
        assert "`" in prop["markdownDescription"], key
    for key in ("on", "when", "cite"):
        assert defs["RuleSpec"]["properties"][key]["examples"]
    assert defs["DeadlineSpec"]["properties"]["unit"]["enum"] == list(get_args(Unit))


def test_no_optional_key_allows_null() -> None:
    """Optional keys are left out, never `null`: no `{"type": "null"}` alternative anywhere."""
    text = json.dumps(pack_json_schema())
    assert '"null"' not in text


BASE: dict[str, Any] = {"pack": "x", "version": "1", "title": "t", "events": {"a.b": {}}}


def _rule(**deadline: Any) -> dict[str, Any]:
    d = {"clock": "c", "within": 1, "unit": "hours", **deadline}
    return {**BASE, "rules": [{"id": "r", "on": "a.b", "cite": {"doc": "d"}, "deadline": d}]}


def _rule_with(**keys: Any) -> dict[str, Any]:
    rule = {"id": "r", "on": "a.b", "cite": {"doc": "d"}, "count": {"counter": "n"}, **keys}
    return {**BASE, "rules": [{k: v for k, v in rule.items() if v is not None}]}


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
        (_rule(within=[3]), "[3] is not of type 'integer', 'number', 'string'"),
        (_rule(clock="Arrival"), "'Arrival' does not match"),
        (_rule_with(severity="fatal"), "'fatal' is not one of ['hard', 'soft']"),
        (_rule_with(cite=None), "'cite' is a required property"),
        (_rule_with(on="TicketOpened"), "'TicketOpened' does not match"),
        ({**BASE, "events": {"ticket": {}}}, "'ticket' does not match"),
        ({**BASE, "calendars": {"cn": {"extra_holidays": ["soon"]}}}, "'soon' does not match"),
    ],
)
def test_common_mistakes_get_a_specific_message(
    validator: jsonschema.Draft202012Validator, doc: dict[str, Any], message: str
) -> None:
    messages = [e.message for e in validator.iter_errors(doc)]
    assert any(message in m for m in messages), messages
    assert not any("is not valid under any of the given schemas" in m for m in messages)


def test_the_docs_validation_snippet_runs(tmp_path: Path) -> None:
    """The `jsonschema` snippet in docs/authoring.md validates a pack read by PyYAML."""
    doc = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    section = doc.split('### `"on"` and YAML 1.1', 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pack.schema.json").write_text(json.dumps(pack_json_schema()), encoding="utf-8")
    template = (ROOT / "tests" / "template" / "pack.yaml").read_text(encoding="utf-8")
    broken = template.replace("unit: minutes", "unit: minute")
    for text, expected in ((template, ""), (broken, "'minute' is not one of")):
        (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
        argv = [sys.executable, "-c", snippet]
        r = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, check=True)
        assert (expected in r.stdout) and (bool(r.stdout) == bool(expected)), r.stdout
