"""Every diagnostic code docs/errors.md lists that `svcrules check` or `svcrules test` can give
has a minimal broken pack (or case file) here, and the CLI reports it with its code, its place
in the file (file:line:col and a JSON path) and a hint.

The list is read from docs/errors.md: a code documented there without a case here (and not in
a section `check` and `test` cannot reach) fails `test_every_documented_code_has_a_case`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from svcrules.cli import commands
from svcrules.pack import registry

ROOT = Path(__file__).resolve().parent.parent

UNREACHABLE_SECTIONS = {
    "Ledger queries, snapshots and stores": "the ledger's API",
    "durable_rules backend": "the durable_rules backend's API",
    "Scale-out (`svcrules.dask.replay`)": "svcrules.dask",
    "Reports (`svcrules report`)": "svcrules report (tests/unit/test_report*.py)",
    "Event codes (`EventError`)": "events, not packs",
}
UNREACHABLE = {
    "pack.resource-limit": "memory or stack exhausted: not a mistake in a pack",
    "pack.internal": "a bug in svcrules",
    "pack.source": "load_pack given a Python object",
    "engine.no-packs": "Engine([]) from Python",
    "engine.bad-argument": "a Python argument of the wrong kind",
    "engine.duplicate-pack": "check and test load each pack on its own",
    "engine.unknown-calendar": "Engine(calendars=...) from Python",
    "engine.bad-calendar": "Engine(calendars=...) from Python",
    "calendar.out-of-range": "event time",
    "calendar.bad-duration": "event time",
    "calendar.negative-duration": "event time",
    "calendar.no-open-hours": "event time",
    "calendar.bad-date": "svcrules.calendar() from Python; in a pack the schema reads dates first",
}
FILE_LEVEL = {
    # a problem with the file (or the name) as a whole: no line to point at
    "pack.not-found",
    "pack.plugin-broken",
    "pack.format",
    "pack.unreadable",
    "pack.too-large",
}


def documented_codes() -> list[str]:
    section = ""
    codes = []
    for line in (ROOT / "docs" / "errors.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        m = re.match(r"^\| `([a-z]+\.[a-z-]+)` \|", line)
        if m and section not in UNREACHABLE_SECTIONS and m.group(1) not in UNREACHABLE:
            codes.append(m.group(1))
    return codes


BASE = """\
pack: demo
version: "1"
title: Demo
sources:
  sla: {title: SLA}
params:
  reply_days: 3
  points: {minor: 2}
calendars:
  office: {base: CN}
scorecards:
  monthly: {base: 100}
counters:
  refusals: {limit: 3}
events:
  ticket.opened:
    fields:
      area: {type: enum, values: [urban, rural]}
      due_at: {type: datetime}
      day: {type: date}
  ticket.closed: {}
rules:
  - id: reply
    "on": ticket.opened
    cite: {doc: sla}
    deadline: {clock: reply, within: 3, unit: days}
"""


def rule(body: str, on: str = "ticket.opened", rid: str = "r2") -> str:
    return f'  - id: {rid}\n    "on": {on}\n    cite: {{doc: sla}}\n    {body}\n'


def expr(text: str) -> str:
    return BASE + rule(f"when: {text}\n    escalate: {{to: lead}}")


def kpis(*bodies: str) -> str:
    items = "".join(f"  - {{id: k, title: K, cite: {{doc: sla}}, {b}}}\n" for b in bodies)
    return BASE + "kpis:\n" + items


PACKS: dict[str, str] = {
    "kpi.unknown-clock": kpis("kind: on_time, clock: replies"),
    "kpi.unknown-rule": kpis("kind: count, outcome: escalation, rules: [nope]"),
    "kpi.unknown-scorecard": kpis("kind: average_score, scorecard: montly"),
    "kpi.missing-field": kpis("kind: count"),
    "kpi.bad-target": kpis('kind: on_time, clock: reply, target: "at least 95%"'),
    "kpi.bad-period": kpis("kind: average_score, scorecard: monthly, period: week"),
    "kpi.duplicate-id": kpis("kind: on_time, clock: reply", "kind: on_time, clock: reply"),
    "pack.syntax": BASE + "  - {id: a, \n",
    "pack.duplicate-key": BASE.replace("sources:", "params: {a: 1}\nsources:"),
    "pack.too-deep": BASE + "description: " + "[" * 70 + "]" * 70 + "\n",
    "pack.bad-number": BASE.replace("reply_days: 3", "reply_days: 1.0e+999999999"),
    "pack.bad-value": BASE.replace("title: Demo", "title: !!binary aGVsbG8="),
    "pack.not-mapping": "- pack: demo\n",
    "pack.timezone": BASE.replace("title: Demo", "title: Demo\ntimezone: CST"),
    "schema.unknown-key": BASE.replace("title: Demo", "titel: Demo"),
    "schema.missing": BASE.replace("title: Demo\n", ""),
    "schema.bad-value": BASE + rule("severity: fatal\n    escalate: {to: lead}"),
    "schema.bad-name": BASE.replace("pack: demo", "pack: Demo"),
    "schema.bad-type": BASE.replace('version: "1"', "version: 1.0"),
    "edition.default": BASE + "editions: {old: {}, new: {}}\n",
    "edition.unknown": BASE.replace("cite: {doc: sla}", "cite: {doc: sla}\n    editions: [x]")
    + "editions: {new: {default: true}}\n",
    "edition.undeclared-param": BASE
    + "editions: {new: {default: true}}\nedition_params: {new: {nope: 1}}\n",
    "field.reserved": BASE.replace("      day: {type: date}", "      at: {type: datetime}"),
    "field.enum-values": BASE.replace("{type: enum, values: [urban, rural]}", "{type: enum}"),
    "field.default": BASE.replace("{type: date}", "{type: int, default: abc}"),
    "rule.duplicate-id": BASE + rule("escalate: {to: lead}", rid="reply"),
    "rule.effect": BASE + rule("escalate: {to: lead}\n    deduct: {scorecard: monthly, points: 1}"),
    "rule.unknown-event": BASE + rule("escalate: {to: lead}", on="ticket.opend"),
    "rule.effective-order": BASE
    + rule("escalate: {to: lead}\n    effective: {from: 2024-07-01, until: 2024-01-01}"),
    "rule.derived-cycle": BASE
    + rule("deduct: {scorecard: monthly, points: 1}", on="score.crossed"),
    "ref.source": BASE
    + rule("escalate: {to: lead}").replace("{doc: sla}\n    esc", "{doc: x}\n    esc"),
    "ref.event": BASE.replace("{limit: 3}", "{limit: 3, reset_on: [ticket.reopened]}"),
    "ref.clock": BASE + rule("deadline: {clock: repyl, action: stop}", on="ticket.closed"),
    "ref.calendar": BASE + rule("deadline: {clock: c, within: 1, unit: workdays, calendar: offce}"),
    "ref.field": BASE + rule("deadline: {clock: c, within: 1, unit: days, before: day}"),
    "ref.scorecard": BASE + rule("deduct: {scorecard: montly, points: 1}"),
    "ref.counter": BASE + rule("count: {counter: refusal}"),
    "deadline.incomplete": BASE + rule("deadline: {clock: c, within: 3}"),
    "deadline.extra": BASE + rule("deadline: {clock: reply, action: stop, within: 3}"),
    "deadline.before-unit": BASE
    + rule("deadline: {clock: c, within: 8, unit: business_hours, before: due_at}"),
    "deadline.starts-all": BASE + rule("deadline: {clock: c, within: 1, unit: days, starts: all}"),
    "deadline.within": BASE + rule("deadline: {clock: c, within: -5, unit: days}"),
    "deadline.warn-at": BASE + rule("deadline: {clock: c, within: 1, unit: days, warn_at: [0]}"),
    "deduct.points": BASE + rule("deduct: {scorecard: monthly, points: 0}"),
    "escalate.level": BASE + rule("escalate: {to: lead, level: 0}"),
    "deadline.until": BASE + rule("deadline: {clock: reply, action: extend}"),
    "count.by": BASE + rule("count: {counter: refusals, by: 0}"),
    "schedule.rrule": BASE + rule("schedule: {name: weekly, rrule: FREQ=MINUTELY}"),
    "schedule.subjects": BASE
    + rule("schedule: {name: weekly, rrule: FREQ=WEEKLY, subjects: everyone}"),
    "schedule.grace": BASE + rule("schedule: {name: weekly, rrule: FREQ=WEEKLY, grace: P1M}"),
    "schedule.duplicate": BASE
    + rule("schedule: {name: weekly, rrule: FREQ=WEEKLY}", rid="a")
    + rule("schedule: {name: weekly, rrule: FREQ=DAILY}", rid="b"),
    "scorecard.floor": BASE.replace("{base: 100}", "{base: 100, floor: 100}"),
    "scorecard.threshold": BASE.replace("{base: 100}", "{base: 100, thresholds: [{name: x}]}"),
    "scorecard.threshold-order": BASE.replace(
        "{base: 100}",
        "{base: 100, thresholds: [{name: a, below: 60}, {name: b, at_or_below: 70}]}",
    ),
    "scorecard.cycle": BASE.replace("{base: 100}", "{base: 100, period: cycle}"),
    "counter.limit": BASE.replace("{limit: 3}", "{limit: 0}"),
    "counter.period-and-window": BASE.replace(
        "{limit: 3}", "{limit: 3, period: year, window: {days: 30}}"
    ),
    "counter.window": BASE.replace("{limit: 3}", "{limit: 3, window: {days: 0}}"),
    "counter.consecutive": BASE.replace("{limit: 3}", "{limit: 3, consecutive: true}"),
    "counter.key": BASE.replace("{limit: 3}", "{limit: 3, key: customer}")
    + rule("count: {counter: refusals}"),
    "overlay.disable-without-extends": BASE + "disable: [reply]\n",
    "calendar.unknown-country": BASE.replace("{base: CN}", "{base: China}"),
    "calendar.bad-timezone": BASE.replace("{base: CN}", "{base: CN, timezone: Beijing}"),
    "calendar.bad-hours": BASE.replace("{base: CN}", '{base: CN, hours: "9-5"}'),
    "calendar.bad-cutoff": BASE.replace("{base: CN}", '{base: CN, cutoff: "5pm"}'),
    "calendar.conflicting-days": BASE.replace(
        "{base: CN}", "{base: CN, extra_holidays: [2025-10-08], extra_workdays: [2025-10-08]}"
    ),
    "calendar.bad-confirmed-through": BASE.replace(
        "{base: CN}", "{base: CN, confirmed_through: -1}"
    ),
    "expr.syntax": expr("\"area = 'urban'\""),
    "expr.too-long": expr('"' + " or ".join(["area == 'urban'"] * 150) + '"'),
    "expr.too-deep": expr('"' + "(" * 40 + "area" + ")" * 40 + " == 'x'\""),
    "expr.too-large": expr('"area in [' + ", ".join(["'a'"] * 300) + ']"'),
    "expr.literal": expr("\"area == b'x'\""),
    "expr.construct": expr('"[x for x in area]"'),
    "expr.operator": expr('"len(area) | 1"'),
    "expr.exponent": expr('"2 ** len(area) > 3"'),
    "expr.compare": expr("\"area is 'urban'\""),
    "expr.call": expr('"open(area)"'),
    "expr.arguments": expr('"round(1.5, ndigits=2) > 1"'),
    "expr.unknown-name": expr("\"arae == 'urban'\""),
    "expr.unknown-param": expr('"params.reply_dayz > 1"'),
    "expr.private-name": expr('"params.__dict__"'),
    "expr.attribute": expr('"area.upper"'),
    "params.unknown": BASE + "param_types: {reply_dayz: {type: int}}\n",
    "params.unknown-key": BASE
    + "param_types: {points: {type: map, fields: {minor: {type: int}}}}\n".replace(
        "minor", "major"
    ),
    "params.bad-type": BASE.replace("reply_days: 3", 'reply_days: "3"')
    + "param_types: {reply_days: {type: int}}\n",
    "params.out-of-range": BASE + "param_types: {reply_days: {type: int, min: 5}}\n",
    "params.null": BASE.replace("reply_days: 3", "reply_days: null")
    + "param_types: {reply_days: {type: int}}\n",
    "params.bad-value": BASE.replace("reply_days: 3", "reply_days: hour")
    + "param_types: {reply_days: {type: string, values: [hours, minutes]}}\n",
    "params.bad-declaration": BASE + "param_types: {reply_days: {type: decimal, unit: days}}\n",
}

CASE_PACK = BASE
CASE_EVENT = '{id: t1, type: ticket.opened, at: "2024-06-03T09:00:00+08:00", area: urban}'
CASES: dict[str, str] = {
    "case.file": "- name: x\n",
    "case.unknown-key": f"cases:\n  - name: a\n    evnet: {CASE_EVENT}\n    expect: {{}}\n",
    "case.missing": f"cases:\n  - event: {CASE_EVENT}\n    expect: {{}}\n",
    "case.bad-type": f"cases:\n  - name: a\n    event: {CASE_EVENT}\n    expect: {{signals: x}}\n",
    "case.shape": f"cases:\n  - name: a\n    event: {CASE_EVENT}\n    events: [{CASE_EVENT}]\n"
    f"    expect: {{}}\n",
}


def _special(code: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The codes about files and names rather than pack content."""
    pack = tmp / "pack.yaml"
    if code == "pack.not-found":
        return ["check", "no-such-pack"]
    if code == "pack.plugin-broken":
        broken = {"vendor": "entry point 'vendor_packs:PATH': ModuleNotFoundError: vendor_packs"}
        monkeypatch.setattr(registry, "_plugins", lambda: ({}, broken))
        return ["check", "vendor"]
    if code == "pack.format":
        bad = tmp / "pack.yaml.txt"
        bad.write_text(BASE, encoding="utf-8")
        return ["check", str(bad)]
    if code == "pack.unreadable":
        pack.write_bytes(BASE.replace("Demo", "演示").encode("gbk"))
    elif code == "pack.too-large":
        pack.write_text(BASE + "description: " + "x" * (5 << 20) + "\n", encoding="utf-8")
    elif code == "pack.not-a-pack":
        (tmp / "secret.json").write_text('{"token": "x"}', encoding="utf-8")
        pack.write_text(BASE + "extends: secret.json\n", encoding="utf-8")
    elif code in ("overlay.cycle", "overlay.unknown-rule", "overlay.outside-root"):
        other = {
            "overlay.cycle": "extends: pack.yaml\n",
            "overlay.unknown-rule": "",
            "overlay.outside-root": "",
        }[code]
        (tmp / "base").mkdir()
        (tmp / "base" / "pack.yaml").write_text(
            BASE.replace("pack: demo", "pack: base") + other.replace("pack.yaml", "../pack.yaml"),
            encoding="utf-8",
        )
        extends = {
            "overlay.cycle": "base/pack.yaml",
            "overlay.unknown-rule": "base/pack.yaml\ndisable: [nope]",
            "overlay.outside-root": "/etc/hostname",
        }[code]
        pack.write_text(
            f"pack: demo\nversion: '1'\ntitle: Demo\nextends: {extends}\n", encoding="utf-8"
        )
    elif code in CASES:
        pack.write_text(CASE_PACK, encoding="utf-8")
        (tmp / "cases").mkdir()
        (tmp / "cases" / "bad.yaml").write_text(CASES[code], encoding="utf-8")
        return ["test", str(tmp)]
    else:
        pack.write_text(PACKS[code], encoding="utf-8")
    return ["check", str(pack)]


SPECIAL = {
    "pack.not-found",
    "pack.plugin-broken",
    "pack.format",
    "pack.unreadable",
    "pack.too-large",
    "pack.not-a-pack",
    "overlay.cycle",
    "overlay.unknown-rule",
    "overlay.outside-root",
    *CASES,
}

LINE = re.compile(
    r"^(?P<where>.*?): error\[(?P<code>[a-z]+\.[a-z-]+)\] (?P<path>\$\S*|<input>)?:? ?(?P<msg>.*)$"
)


def test_every_documented_code_has_a_case() -> None:
    missing = [c for c in documented_codes() if c not in PACKS and c not in SPECIAL]
    assert not missing, f"documented codes without a broken pack in this test: {missing}"
    assert len(documented_codes()) > 90


@pytest.mark.parametrize("code", documented_codes())
def test_check_reports_the_code_with_a_place_and_a_hint(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _special(code, tmp_path, monkeypatch)
    assert commands.main(argv) == 1
    out = capsys.readouterr()
    lines = (out.err + out.out).splitlines()
    found = [(i, m) for i, line in enumerate(lines) if (m := LINE.match(line.strip()))]
    mine = [(i, m) for i, m in found if m["code"] == code]
    assert mine, f"{code} not reported; got:\n" + "\n".join(lines)
    i, m = mine[0]
    where = m["where"]
    if code in FILE_LEVEL:
        assert where, lines[i]
    else:
        assert re.search(r"\.(yaml|json|toml):\d+:\d+$", where), lines[i]
        assert m["path"] and m["path"].startswith("$"), lines[i]
    assert i + 1 < len(lines) and lines[i + 1].strip().startswith("hint: "), (
        f"{code} has no hint:\n" + "\n".join(lines[i : i + 2])
    )


def test_every_default_hint_is_for_a_documented_code() -> None:
    from svcrules.hints import HINTS

    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert not [code for code in HINTS if f"| `{code}` |" not in doc]


BAD_TARGETS = [
    ('{op: "~", value: 0.9}', "$.kpis[0].target.op"),
    ('{op: ">=", value: "abc"}', "$.kpis[0].target.value"),
    ('{op: ">=", value: 95}', "$.kpis[0].target.value"),
    ('{op: ">=", value: 0.9, unit: "%"}', "$.kpis[0].target.unit"),
    ("{value: 0.9}", "$.kpis[0].target"),
    ("0.95", "$.kpis[0].target"),
]


@pytest.mark.parametrize(("target", "path"), BAD_TARGETS)
def test_a_bad_target_in_any_form_is_one_kpi_bad_target_at_its_key(
    target: str, path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second and later examples of `kpi.bad-target`: a mapping (or a bare number) the
    schema refuses is reported at the key it concerns, not as a union of schema errors."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(kpis(f"kind: on_time, clock: reply, target: {target}"), encoding="utf-8")
    assert commands.main(["check", str(pack)]) == 1
    out = capsys.readouterr()
    lines = (out.err + out.out).splitlines()
    found = [m for line in lines if (m := LINE.match(line.strip()))]
    assert [(m["code"], m["path"].rstrip(":")) for m in found] == [("kpi.bad-target", path)], lines
    assert lines[1].strip().startswith("hint: "), lines
