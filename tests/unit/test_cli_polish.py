"""The command line as a person uses it: help with examples, tables that line up with Chinese
text, events told from packs by content, trimmed JSON, the pack column, explain's params."""

from __future__ import annotations

import argparse
import json
import shlex
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.test_cli import ROOT, SAMPLE, svcrules

from svcrules.cli.commands import _parser
from svcrules.cli.render import table_lines
from svcrules.cli.sniff import Ambiguous, classify

TEMPLATE = ROOT / "tests" / "template" / "pack.yaml"
RESIDENT = ROOT / "examples" / "resident-staff-events.jsonl"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _example_invocations(epilog: str) -> list[list[str]]:
    """Each ``svcrules ...`` in an epilog's examples, as argv (up to a pipe or redirection)."""
    text = epilog.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if "svcrules " not in line:
            continue
        argv = shlex.split(line.split("svcrules ", 1)[1])
        cut = [i for i, t in enumerate(argv) if t in ("|", ">", "<")]
        found.append(argv[: cut[0]] if cut else argv)
    return found


def test_every_command_explains_each_argument_and_shows_a_valid_example() -> None:
    commands = _subcommands()
    assert {"list", "check", "eval", "test", "explain", "schema"} <= set(commands)
    for name, sub in commands.items():
        assert sub.epilog and "examples:" in sub.epilog, f"{name} has no example"
        examples = _example_invocations(sub.epilog)
        assert examples and all(argv[0] == name for argv in examples), name
        for argv in examples:  # an example that no longer parses would fail here (exit 2)
            _parser().parse_args(argv)
        assert sub.description, name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            what = action.option_strings or [action.dest]
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {what}: no help"
        text = sub.format_help()
        assert "examples:" in text and f"svcrules {name} " in text


def test_help_runs_from_the_shell() -> None:
    r = svcrules("eval", "--help")
    assert r.returncode == 0
    assert "examples:" in r.stdout and "--compact" in r.stdout and "--no-progress" in r.stdout
    r = svcrules("--help")
    assert r.returncode == 0 and "COMMAND --help" in r.stdout


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _starts(line: str, cells: list[str]) -> list[int]:
    """The display column at which each cell of a rendered row starts."""
    starts, pos = [], 0
    for cell in cells:
        at = line.index(cell, pos)
        starts.append(_columns(line[:at]))
        pos = at + len(cell)
    return starts


def test_a_table_with_chinese_text_lines_up_in_display_columns() -> None:
    rows = [
        ["#", "事件", "类型", "OUTCOME"],
        ["0", "故障-001", "fault.reported", "deadline 到达 due 2024-06-03"],
        ["1", "e2", "投诉受理", "-"],
        ["12", "ＡＢＣ", "x", "ok"],  # fullwidth letters take two columns too
    ]
    lines = table_lines(rows)
    starts = [_starts(line, row) for line, row in zip(lines, rows, strict=True)]
    assert all(s == starts[0] for s in starts), (lines, starts)
    assert starts[0] == [0, 4, 4 + 8 + 2, 4 + 8 + 2 + 14 + 2]  # 故障-001 is 8 columns wide
    # every column but the last is padded to the same display width
    pads = {_columns(line[: line.index(row[-1])]) for line, row in zip(lines, rows, strict=True)}
    assert len(pads) == 1


def test_eval_table_with_chinese_event_ids_lines_up(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    lines = [
        {"id": "故障一号", "type": "fault.reported", "at": "2024-06-03T21:10:00+08:00",
         "case": "工单-1", "area": "urban"},
        {"id": "v-2", "type": "voltage.measured", "at": "2024-06-03T21:10:00+08:00",
         "nominal_v": 220, "phases": 1, "v": 240},
    ]  # fmt: skip
    events.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    r = svcrules("eval", "power-grid", str(events), "--format", "table")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    header, first, second = out[0], out[1], next(x for x in out if x.startswith("1 "))
    type_col = _columns(header[: header.index("TYPE")])
    outcome_col = _columns(header[: header.index("OUTCOME")])
    assert _columns(first[: first.index("fault.reported")]) == type_col
    assert _columns(second[: second.index("voltage.measured")]) == type_col
    assert _columns(first[: first.index("deadline")]) == outcome_col
    assert _columns(second[: second.index("violation")]) == outcome_col


def _template_as_json(tmp_path: Path, *, indent: int | None) -> Path:
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    path = tmp_path / f"pack-{indent}.json"
    path.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    return path


def _template_events(tmp_path: Path) -> Path:
    path = tmp_path / "events.json"  # events under a pack's extension
    event = {
        "id": "f1",
        "type": "fault.reported",
        "at": "2024-05-06T09:00:00+02:00",
        "area": "urban",
    }
    path.write_text(json.dumps(event) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_pack_and_a_json_events_file_are_told_apart_by_content(
    tmp_path: Path, indent: int | None
) -> None:
    pack, events = _template_as_json(tmp_path, indent=indent), _template_events(tmp_path)
    r = svcrules("eval", str(pack), str(events), "--format", "table")
    assert r.returncode == 0, r.stderr
    assert "deadline arrival due 2024-05-06T15:45:00+08:00" in r.stdout
    assert "events: 1, decisions: 1, rejections: 0" in r.stderr
    # a pack given last is a pack (else "eval needs at least one PACK"): events from stdin
    r = svcrules("eval", str(pack), stdin=events.read_text())
    assert r.returncode == 0, r.stderr
    assert "events: 1, decisions: 1" in r.stderr


def test_an_events_file_in_the_packs_place_is_a_usage_error(tmp_path: Path) -> None:
    events = _template_events(tmp_path)
    r = svcrules("eval", str(events), str(TEMPLATE))
    assert r.returncode == 2
    assert f"{events} holds events, not a pack" in r.stderr
    r = svcrules("eval", str(TEMPLATE), "--events", str(TEMPLATE))
    assert r.returncode == 2 and "is a pack, not events" in r.stderr


def test_a_file_that_is_neither_is_a_clear_usage_error(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"name": "x"}\n{"name": "y"}\n', encoding="utf-8")
    r = svcrules("eval", "power-grid", str(odd))
    assert r.returncode == 2
    assert "cannot tell whether" in r.stderr and "--events FILE" in r.stderr
    assert "Traceback" not in r.stderr
    # the same lines in a file no pack can be read from are events, each line rejected
    odd = odd.rename(tmp_path / "odd.jsonl")
    r = svcrules("eval", "power-grid", str(odd))
    assert r.returncode == 1 and "events: 2, decisions: 0, rejections: 2" in r.stderr


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"pack: p\nversion: '1'\n", "pack"),
        (b"# a comment\n---\npack: p\n", "pack"),
        (b'pack = "p"\n[params]\n', "pack"),
        (b'{"pack": "p", "rules": []}', "pack"),
        (b'{\n  "pack": "p",\n  "rules": []\n}\n', "pack"),
        (b'\xef\xbb\xbf{"type": "a.b", "at": "2024-01-01T00:00:00Z"}\n', "events"),
        (b'\n\n{"id": 1, "type": "a.b", "at": "2024-01-01T00:00:00Z"}\n', "events"),
        (b'{not json\n{"type": "a.b", "at": "2024-01-01T00:00:00Z"}\n', "events"),
    ],
)
def test_classify_by_content(head: bytes, kind: str) -> None:
    assert classify(head) == kind


@pytest.mark.parametrize("head", [b"", b"\n  \n", b'{"id": 1}\n', b"{not json\n"])
def test_classify_refuses_to_guess(head: bytes) -> None:
    with pytest.raises(Ambiguous):
        classify(head, "x.json")


def _outcomes(stdout: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        data = json.loads(line)
        for key in ("deadlines", "deductions", "escalations", "violations", "signals"):
            out.extend(data.get(key, []))
    return out


def test_compact_json_leaves_out_explanations_and_long_cites() -> None:
    full = svcrules("eval", "power-grid", str(SAMPLE))
    compact = svcrules("eval", "power-grid", str(SAMPLE), "--compact")
    assert compact.returncode == 0, compact.stderr
    items = _outcomes(compact.stdout)
    assert items and all("explain" not in x for x in items)
    assert all(set(x["cite"]) == {"doc", "article", "line"} for x in items)
    assert all({"rule", "pack", "kind"} <= set(x) for x in items)
    assert len(compact.stdout) < len(full.stdout) * 0.6
    assert len(compact.stdout.splitlines()) == len(full.stdout.splitlines())


def test_fields_keeps_only_the_named_keys_of_each_outcome() -> None:
    r = svcrules("eval", "power-grid", str(SAMPLE), "--fields", "rule,due,status")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    assert set(first) >= {"kind", "event_id", "event_type", "deadlines"}  # the decision stays
    items = _outcomes(r.stdout)
    deadlines = [x for x in items if x["kind"] == "deadline"]
    assert deadlines and all(set(x) == {"kind", "rule", "due", "status"} for x in deadlines)
    assert all(set(x) <= {"kind", "rule", "due", "status"} for x in items)


def test_fields_usage_errors() -> None:
    r = svcrules("eval", "power-grid", str(SAMPLE), "--fields", "rule,dew")
    assert r.returncode == 2 and "did you mean 'due'" in r.stderr
    r = svcrules("eval", "power-grid", str(SAMPLE), "--compact", "--format", "table")
    assert r.returncode == 2 and "shape JSON output" in r.stderr
    r = svcrules("eval", "power-grid", "--parquet", "x.parquet", "--out", "y", "--fields", "rule")
    assert r.returncode == 2 and "shape JSON output" in r.stderr


def test_ledger_summary_lines_are_shaped_too() -> None:
    r = svcrules(
        "eval", "power-grid", str(SAMPLE), "--ledger", "--fields", "rule,status", "--compact"
    )
    assert r.returncode == 0, r.stderr
    clocks = [json.loads(x)["clock"] for x in r.stdout.splitlines() if x.startswith('{"clock"')]
    assert clocks and all(set(c) == {"kind", "rule", "status"} for c in clocks)


def test_the_table_names_each_outcomes_pack_when_several_are_loaded() -> None:
    r = svcrules("eval", "power-grid", "resident-staff", str(RESIDENT), "--format", "table")
    assert r.returncode == 1 and "rejections: 1" in r.stderr  # the sample's one naive time
    header, *rows = r.stdout.splitlines()
    assert header.split() == ["#", "EVENT", "TYPE", "PACK", "OUTCOME"]
    pack_col = header.index("PACK")
    packs = {row[pack_col:].split()[0] for row in rows if row[pack_col:].strip()}
    assert "resident-staff" in packs and packs <= {"resident-staff", "power-grid", "-"}
    rejected = next(row for row in rows if "REJECTED" in row)
    assert rejected[pack_col:].startswith("-  ")
    one = svcrules("eval", "resident-staff", str(RESIDENT), "--format", "table")
    assert one.stdout.splitlines()[0].split() == ["#", "EVENT", "TYPE", "OUTCOME"]


def test_the_ledger_table_names_packs_too() -> None:
    r = svcrules(
        "eval", "power-grid", "resident-staff", str(RESIDENT), "--format", "table", "--ledger"
    )
    assert r.returncode == 1 and "rejections: 1" in r.stderr, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["#", "EVENT", "TYPE", "PACK", "OUTCOME"]
    assert "resident-staff  deduct" in r.stdout
    summary = lines[lines.index(next(x for x in lines if x.startswith("clocks open"))) + 1]
    assert summary.split() == ["CASE", "CLOCK", "STATUS", "DUE", "LATE", "BY", "PACK", "RULE"]


def test_explain_shows_each_rules_effective_params() -> None:
    r = svcrules("explain", "power-grid", "--rule", "complaint-reply")
    assert r.returncode == 0, r.stderr
    assert "params: complaint_reply_days = 5\n" in r.stdout
    r = svcrules(
        "explain", "power-grid", "--rule", "arrival.sgcc-2003", "--edition", "sgcc-2003",
        "--param", 'arrival_minutes={"urban": 30}',
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if "arrival_minutes" in x and "params:" in x)
    # the override merged over the edition's values over the pack's (extra_remote: null)
    assert "urban: 30" in line and "rural: 90" in line and "extra_remote: null" in line
    assert line.endswith("(--param)")
    r = svcrules("explain", "power-grid", "--rule", "supply-plan.sgcc-2003.lv", "--edition",
                 "sgcc-2003")  # fmt: skip
    line = next(x for x in r.stdout.splitlines() if "supply_plan_limit" in x and "params:" in x)
    assert "lv_power: 10" in line and line.endswith("(edition sgcc-2003)")
    # an overlay's value wins over the base's edition values: it is the pack's own now
    overlay = str(ROOT / "examples" / "guangdong-overlay")
    r = svcrules("explain", overlay, "--rule", "arrival.sgcc-2003", "--edition", "sgcc-2003")
    line = next(x for x in r.stdout.splitlines() if "arrival_minutes" in x and "params:" in x)
    assert "= {urban: 30, rural: 90, remote: 120, extra_remote: 180}  (overlay" in line, line
    # and says what the overlay wrote over which value of its base (in that edition)
    assert line.endswith(
        "(overlay guangdong-power-grid sets {urban: 30, extra_remote: 180} over power-grid's "
        "{urban: 45, rural: 90, remote: 120, extra_remote: null})"
    ), line
    r = svcrules("explain", overlay, "--rule", "arrival.commitments")
    line = next(x for x in r.stdout.splitlines() if "arrival_minutes" in x and "params:" in x)
    assert line.endswith("power-grid's {urban: 45, rural: 90, remote: 120, extra_remote: 120})")


def test_explain_param_errors() -> None:
    r = svcrules("explain", "power-grid", "--param", "no_such=1")
    assert r.returncode == 1 and "params.unknown" in r.stderr
    assert svcrules("explain", "power-grid", "--param", "oops").returncode == 2
