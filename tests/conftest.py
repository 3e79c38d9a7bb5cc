"""Shared fixtures: a small pack written the way a policy author would write one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests: the default profile ("ci") draws the same examples on every run (seeded from
# each test), so a green run stays green and a red one is reproducible from the commit alone;
# HYPOTHESIS_PROFILE=explore draws new examples each run, to hunt for failures (docs/testing.md).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

MINI_PACK = """\
pack: mini
version: "1.0"
title: A small pack for tests
timezone: Asia/Shanghai
sources:
  doc1: {title: Test regulation}
editions:
  old: {title: Old edition}
  new: {title: New edition, default: true}
params:
  arrival_minutes: {urban: 45, rural: 90}
  reply_days: 5
  limit_pct: 7
calendars:
  cn: {base: CN}
scorecards:
  monthly:
    base: 100
    thresholds:
      - {name: warning, at_or_below: 70}
      - {name: replacement, below: 60}
events:
  fault.reported:
    fields:
      case: {type: string, required: true}
      area: {type: enum, values: [urban, rural, remote]}
  crew.arrived:
    fields:
      case: {type: string, required: true}
  complaint.received:
    fields:
      case: {type: string, required: true}
  application.accepted:
    fields:
      case: {type: string, required: true}
  voltage.measured:
    fields:
      nominal_v: {type: number, required: true}
      v: {type: number, required: true}
  staff.violation:
    fields:
      subject: {type: string, required: true}
      code: {type: enum, values: [minor, major]}
rules:
  - id: arrival
    on: fault.reported
    when: area in params.arrival_minutes
    cite: {doc: doc1, article: Art. 17, line: 117}
    deadline: {clock: arrival, within: "params.arrival_minutes[area]", unit: minutes}
  - id: arrival-met
    on: crew.arrived
    cite: {doc: doc1, line: 117}
    deadline: {clock: arrival, action: stop}
  - id: complaint-reply
    on: complaint.received
    cite: {doc: doc1, line: 143}
    deadline: {clock: complaint_reply, within: params.reply_days, unit: days}
  - id: plan-old
    on: application.accepted
    editions: [old]
    cite: {doc: doc1, line: 107}
    deadline: {clock: supply_plan, within: 1, unit: months}
  - id: plan-new
    on: application.accepted
    editions: [new]
    severity: soft
    cite: {doc: doc1, line: 373}
    deadline: {clock: supply_plan, within: 3, unit: workdays, calendar: cn}
  - id: voltage
    on: voltage.measured
    cite: {doc: doc1, line: 195}
    check:
      assert: "abs(v - nominal_v) / nominal_v * 100 <= params.limit_pct"
      message: voltage deviation above the limit
      observed: "(v - nominal_v) / nominal_v * 100"
      limit: params.limit_pct
  - id: minor-offence
    on: staff.violation
    when: code == "minor"
    cite: {doc: doc1, line: 20}
    deduct: {scorecard: monthly, points: 10}
  - id: major-offence
    on: staff.violation
    when: code == "major"
    cite: {doc: doc1, line: 21}
    escalate: {to: manager, level: 2, reason: major offence}
"""


@pytest.fixture
def mini_pack_path(tmp_path: Path) -> Path:
    path = tmp_path / "mini" / "pack.yaml"
    path.parent.mkdir()
    path.write_text(MINI_PACK, encoding="utf-8")
    return path


def event(type_: str, at: str = "2024-06-03T21:10:00+08:00", **fields: Any) -> dict[str, Any]:
    return {"id": fields.pop("id", "e1"), "type": type_, "at": at, **fields}
