"""Loading packs: formats, positions, every problem at once, overlays, built-in lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.conftest import MINI_PACK

import svcrules
from svcrules import PackError, PackNotFoundError


def _write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_valid_yaml_pack(mini_pack_path: Path) -> None:
    pack = svcrules.load_pack(mini_pack_path)
    assert pack.name == "mini"
    assert pack.edition == "new"  # the default edition
    assert [r.id for r in pack.spec.rules][:2] == ["arrival", "arrival-met"]
    assert pack.location("voltage").startswith(str(mini_pack_path) + ":")


def test_edition_can_be_chosen_and_must_exist(mini_pack_path: Path) -> None:
    assert svcrules.load_pack(mini_pack_path, edition="old").edition == "old"
    with pytest.raises(PackError) as err:
        svcrules.load_pack(mini_pack_path, edition="ancient")
    assert err.value.codes == ("edition.unknown",)


def test_three_mistakes_in_three_places_are_all_reported_with_positions(tmp_path: Path) -> None:
    text = (
        MINI_PACK.replace(
            "timezone: Asia/Shanghai",
            "timezone: Asia/Shanghai\nowner: me",  # unknown key
        )
        .replace(
            "deadline: {clock: complaint_reply, within: params.reply_days, unit: days}",
            # a misspelt param
            "deadline: {clock: complaint_reply, within: params.reply_dayz, unit: days}",
        )
        .replace(
            "deduct: {scorecard: monthly, points: 10}", "deduct: {scorecard: weekly, points: 10}"
        )
    )
    path = _write(tmp_path, text)
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    diags = err.value.diagnostics
    assert [d.code for d in diags] == ["schema.unknown-key", "expr.unknown-param", "ref.scorecard"]
    lines = text.splitlines()
    for d in diags:
        assert d.file == str(path)
        assert d.line is not None and d.column is not None
    at = [(d.line or 0, d.column or 0) for d in diags]  # checked above: never None
    assert diags[0].path == "$.owner" and lines[at[0][0] - 1].startswith("owner:")
    assert diags[1].path == "$.rules[2].deadline.within"
    assert lines[at[1][0] - 1][at[1][1] - 1 :].startswith("reply_dayz") or (
        "params.reply_dayz" in lines[at[1][0] - 1]
    )
    assert diags[2].path == "$.rules[6].deduct.scorecard"
    assert "weekly" in lines[at[2][0] - 1]
    # sorted by location, rendered as file:line:col: error[code] path: message
    assert [d.line for d in diags] == sorted(d.line or 0 for d in diags)
    assert diags[0].render().startswith(f"{path}:{diags[0].line}:{diags[0].column}: error[")


def test_expression_column_points_into_the_expression(tmp_path: Path) -> None:
    text = MINI_PACK.replace('when: code == "minor"', 'when: code == "minor" and colour')
    path = _write(tmp_path, text)
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    (d,) = err.value.diagnostics
    assert d.code == "expr.unknown-name"
    assert d.line is not None and d.column is not None
    line = text.splitlines()[d.line - 1]
    assert line[d.column - 1 :].startswith("colour")


def test_json_pack_has_positions(tmp_path: Path) -> None:
    data = yaml.safe_load(MINI_PACK)
    data["rules"][0]["severity"] = "critical"
    for rule in data["rules"]:  # YAML 1.1 reads `on:` as True; JSON writes "on"
        rule["on"] = rule.pop(True)
    path = _write(tmp_path, json.dumps(data, indent=2), "pack.json")
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    (d,) = err.value.diagnostics
    assert d.code == "schema.bad-value"
    assert d.path == "$.rules[0].severity"
    assert d.line is not None and '"critical"' in path.read_text().splitlines()[d.line - 1]


def test_toml_pack_loads_and_reports_paths_with_positions(tmp_path: Path) -> None:
    toml = """
pack = "tiny"
version = "1"
title = "Tiny"

[params]
limit = 1.07

[events."voltage.measured".fields.v]
type = "number"
required = true

[[rules]]
id = "v"
on = "voltage.measured"
cite = { doc = "x" }
check = { assert = "v <= 220 * params.limit", message = "too high" }

[[rules]]
id = "v"
on = "voltage.measured"
cite = { doc = "x" }
check = { assert = "v >= 0", message = "negative" }
"""
    path = _write(tmp_path, toml, "pack.toml")
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    (d,) = err.value.diagnostics
    second = toml.splitlines().index('id = "v"', 16) + 1
    assert (d.code, d.path, d.line, d.column) == ("rule.duplicate-id", "$.rules[1].id", second, 1)
    fixed = _write(
        tmp_path,
        toml.replace(
            'id = "v"\non = "voltage.measured"\ncite = { doc = "x" }\ncheck = { assert = "v >= 0"',
            'id = "w"\non = "voltage.measured"\ncite = { doc = "x" }\ncheck = { assert = "v >= 0"',
        ),
        "fixed.toml",
    )
    engine = svcrules.Engine(fixed)
    at = "2024-01-01T00:00:00+08:00"
    ok = engine.evaluate({"type": "voltage.measured", "at": at, "v": 235.4})
    assert not ok  # 220 * 1.07 is exactly 235.4: params read from TOML are exact decimals


def test_mapping_pack_and_syntax_errors(tmp_path: Path) -> None:
    pack = svcrules.load_pack(yaml.safe_load(MINI_PACK))
    assert pack.source is None and pack.name == "mini"
    bad = _write(tmp_path, "pack: x\nrules: [\n", "broken.yaml")
    with pytest.raises(PackError) as err:
        svcrules.load_pack(bad)
    (d,) = err.value.diagnostics
    assert d.code == "pack.syntax" and d.line is not None


def test_duplicate_yaml_keys_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_PACK.replace('version: "1.0"', 'version: "1.0"\nversion: "2"'))
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    assert err.value.codes == ("pack.duplicate-key",)


def test_unknown_pack_name_is_a_lookup_error() -> None:
    with pytest.raises(PackNotFoundError) as err:
        svcrules.load_pack("no-such-pack")
    assert isinstance(err.value, LookupError) and isinstance(err.value, ValueError)
    assert err.value.codes == ("pack.not-found",)


def test_semantic_checks(tmp_path: Path) -> None:
    text = (
        MINI_PACK.replace(
            "      - {name: warning, at_or_below: 70}\n      - {name: replacement, below: 60}",
            "      - {name: replacement, below: 60}\n      - {name: warning, at_or_below: 70}",
        )
        .replace("editions: [old]", "editions: [older]")
        .replace(
            "deadline: {clock: arrival, action: stop}", "deadline: {clock: arival, action: stop}"
        )
        .replace("{doc: doc1, line: 195}", "{doc: doc2, line: 195}")
    )
    with pytest.raises(PackError) as err:
        svcrules.load_pack(_write(tmp_path, text))
    assert sorted(err.value.codes) == sorted(
        ["scorecard.threshold-order", "edition.unknown", "ref.clock", "ref.source"]
    )


def test_overlay_overrides_params_replaces_disables_and_adds(
    tmp_path: Path, mini_pack_path: Path
) -> None:
    overlay = tmp_path / "province.yaml"
    overlay.write_text(
        """
pack: mini-province
version: "1.0-p"
title: Provincial overlay
extends: mini/pack.yaml   # relative to this overlay's directory
params:
  arrival_minutes: {urban: 30}
disable: [major-offence]
rules:
  - id: complaint-reply
    on: complaint.received
    cite: {doc: doc1, line: 143}
    deadline: {clock: complaint_reply, within: 3, unit: days}
  - id: remote-arrival
    on: fault.reported
    when: area == "remote"
    cite: {doc: doc1, line: 118}
    deadline: {clock: arrival, within: 150, unit: minutes}
""",
        encoding="utf-8",
    )
    pack = svcrules.load_pack(overlay)
    ids = [r.id for r in pack.spec.rules]
    assert "major-offence" not in ids and ids[-1] == "remote-arrival"
    assert pack.spec.params["arrival_minutes"] == {"urban": 30, "rural": 90}
    assert pack.location("arrival").startswith(str(mini_pack_path))
    assert pack.location("remote-arrival").startswith(str(overlay))
    engine = svcrules.Engine(overlay)
    d = engine.evaluate(
        {"type": "fault.reported", "at": "2024-06-03T21:10:00+08:00", "case": "F1", "area": "urban"}
    )
    assert d.deadlines[0].due.isoformat() == "2024-06-03T21:40:00+08:00"
    d = engine.evaluate(
        {"type": "complaint.received", "at": "2024-08-01T16:00:00+08:00", "case": "C1"}
    )
    assert d.deadlines[0].due_date.isoformat() == "2024-08-04"


def test_overlay_naming_an_unknown_rule_is_an_error(tmp_path: Path, mini_pack_path: Path) -> None:
    overlay = _write(
        tmp_path,
        "pack: o\nversion: '1'\ntitle: o\nextends: mini\ndisable: [nope]\n",
        "o.yaml",
    )
    with pytest.raises(PackError) as err:
        svcrules.load_pack(overlay)
    (d,) = err.value.diagnostics
    assert d.code == "overlay.unknown-rule" and d.line == 5


def test_list_packs_finds_the_builtin_power_grid_pack() -> None:
    names = {p.name: p for p in svcrules.list_packs()}
    assert "power-grid" in names
    assert names["power-grid"].origin == "builtin"


def test_positions_are_the_same_without_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from svcrules.pack import sources

    text = MINI_PACK.replace("when: area in params.arrival_minutes", "when: area in params.nope")
    path = _write(tmp_path, text)

    def diagnostics() -> list[tuple[str, int | None, int | None]]:
        with pytest.raises(PackError) as err:
            svcrules.load_pack(path)
        return [(d.code, d.line, d.column) for d in err.value.diagnostics]

    with_libyaml = diagnostics()
    monkeypatch.setattr(sources, "_LOADER", yaml.SafeLoader)
    assert diagnostics() == with_libyaml
    assert with_libyaml[0][0] == "expr.unknown-param"


def test_plug_in_packs_are_found_through_entry_points(
    mini_pack_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    from tests import conftest

    from svcrules.pack import registry as loader

    monkeypatch.setattr(conftest, "PLUGIN_PACK", str(mini_pack_path.parent), raising=False)
    ep = metadata.EntryPoint(
        name="mini", value="tests.conftest:PLUGIN_PACK", group=loader.ENTRY_POINT_GROUP
    )

    def entry_points(**kw: str) -> list[metadata.EntryPoint]:
        return [ep] if kw.get("group") == loader.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)  # the module registry reads
    infos = {i.name: i for i in svcrules.list_packs()}
    assert infos["mini"].origin == "plugin" and infos["mini"].version == "1.0"
    assert svcrules.load_pack("mini").source == str(mini_pack_path)


def test_a_plug_in_that_fails_to_load_is_named_with_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib import metadata

    from svcrules.pack import registry

    ep = metadata.EntryPoint(
        name="broken", value="no_such_module_xyz:PACK", group=registry.ENTRY_POINT_GROUP
    )

    def entry_points(**kw: str) -> list[metadata.EntryPoint]:
        return [ep] if kw.get("group") == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    with pytest.raises(svcrules.PackNotFoundError) as err:
        svcrules.load_pack("broken")
    (d,) = err.value.diagnostics
    assert d.code == "pack.plugin-broken"
    assert "no_such_module_xyz:PACK" in d.message and "ModuleNotFoundError" in d.message
    # the other packs are still listed
    assert "power-grid" in {i.name for i in svcrules.list_packs()}
