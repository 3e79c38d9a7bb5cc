"""Command line: what ``svcrules COMMAND --help`` says beyond the options: what the command
does, its examples, and the PACK argument every command shares."""

from __future__ import annotations

import argparse
import textwrap

PACK_HELP = (
    "a built-in or plug-in pack name (power-grid), a pack directory (policies/power-grid) "
    "or a pack file (my/pack.yaml, .toml, .json)"
)

DESCRIPTIONS = {
    "list": "List the built-in packs and those plug-in distributions register.",
    "check": "Load each pack, run every check, compile it once per edition; print every "
    "problem as file:line:col: error[code] path: message.",
    "eval": "Evaluate JSON Lines events (one JSON object per line) against packs. The last "
    "positional argument is the events file when its content is JSON Lines events (a "
    "JSON object with `type` and `at`), or - for standard input; the others are packs.",
    "test": "Run the case files shipped in cases/ beside each pack and report rule coverage.",
    "explain": "Show the rules a pack runs in one edition: events, condition, effect, the "
    "params each rule reads (effective values), cite; optionally the generated Python.",
    "kpis": "Fold JSON Lines events through a ledger of one pack (advanced to --now), then "
    "print the pack's KPIs over a period against their targets, each with its cite.",
    "report": "Write a compliance report of a pack: KPIs against targets, monthly on-time "
    "rates per clock, breaches, score trajectories with their thresholds, and the open and "
    "breached clocks with how each due time was computed, all citing the clause. INPUT is a "
    "JSON Lines events file (folded through a ledger), a SQLite ledger store, or a Parquet "
    "outcome table.",
    "schema": "Print a JSON Schema (draft 2020-12): of the pack format, or of the events one "
    "pack accepts.",
}

EXAMPLES = {
    "list": """\
examples:
  svcrules list
  svcrules list --json | jq -r .name
""",
    "check": """\
examples:
  svcrules check power-grid
  svcrules check policies/power-grid examples/guangdong-overlay/pack.yaml
""",
    "eval": """\
examples:
  svcrules eval power-grid examples/power-grid-events.jsonl --format table
  svcrules eval power-grid resident-staff events.json --compact > outcomes.jsonl
  head -1 events.jsonl | svcrules eval power-grid - --edition sgcc-2003 \\
      --param 'arrival_minutes={"urban": 30}' --fields rule,due,status
  svcrules eval power-grid faults.jsonl --ledger --db grid.sqlite --now 2024-06-03T11:00:00+08:00

A progress bar (events, total, rate, ETA) is shown on standard error when it is a terminal.
Exit status: 0 every event evaluated, 1 an event was rejected or a pack failed, 2 usage error.
""",
    "test": """\
examples:
  svcrules test power-grid
  svcrules test ./my-pack -v -k arrival --junit-xml report.xml --fail-under 90
""",
    "explain": """\
examples:
  svcrules explain power-grid --rule arrival.commitments
  svcrules explain power-grid --edition sgcc-2003 --param 'arrival_minutes={"urban": 30}'
  svcrules explain power-grid --source | less
""",
    "kpis": """\
examples:
  svcrules kpis power-grid examples/power-grid-events.jsonl --period 2025-09 \\
      --now 2025-11-01T00:00:00+08:00
  svcrules kpis resident-staff events.jsonl --format json | jq -r 'select(.met == false) | .kpi'
""",
    "report": """\
examples:
  svcrules report power-grid examples/power-grid-events.jsonl \\
      --now 2025-11-01T00:00:00+08:00 --out report.html
  svcrules report resident-staff ledger.sqlite --period 2025-Q3 --format json
  svcrules report power-grid outcomes.parquet --from 2025-01 --to 2025-12 -o audit.html
""",
    "schema": """\
examples:
  svcrules schema --output pack.schema.json
  svcrules schema events power-grid | jq '.oneOf[].title'
""",
}


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    usage: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` shows its description (wrapped) and its examples (as
    written: the raw formatter keeps their lines)."""
    return sub.add_parser(
        name,
        usage=usage,
        help=summary,
        description=textwrap.fill(DESCRIPTIONS.get(name, summary), 78),
        epilog=EXAMPLES.get(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
