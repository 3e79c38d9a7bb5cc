"""Report: a deadline's ``Explanation`` as one sentence a supervisor reads: the start, the
amount and unit, the calendar days skipped or worked, and the due time reached."""

from __future__ import annotations

from collections.abc import Sequence

from svcrules.runtime import DAY_UNITS, Deadline


def _dates(values: object) -> list[str]:
    if not isinstance(values, Sequence) or isinstance(values, str):
        return []
    out = []
    for v in values:
        if isinstance(v, dict):
            out.append(f"{v.get('date')} {v.get('name')}".strip())
        else:
            out.append(str(v))
    return out


def explain_text(dl: Deadline) -> str:
    """E.g. ``2024-09-27T10:00+08:00 + 3 workdays on calendar cn (day zero 2024-09-27;
    holidays skipped: ...; make-up workdays: 2024-09-29) → due 2024-10-08 (end of day)``."""
    ex = dl.explain.to_dict()
    head = f"{ex['start']} + {ex['amount']} {ex['unit']}"
    if ex.get("calendar"):
        head += f" on calendar {ex['calendar']}"
    parts = []
    if ex.get("day_zero"):
        parts.append(f"day zero {ex['day_zero']}")
    if ex.get("cutoff_applied"):
        parts.append("after the day's cut-off: counted from the next working day")
    for key, label in (
        ("holidays_skipped", "holidays skipped"),
        ("weekends_skipped", "weekends skipped"),
        ("makeup_workdays", "make-up workdays"),
    ):
        dates = _dates(ex.get(key))
        if dates:
            parts.append(f"{label}: {', '.join(dates)}")
    before = ex.get("before")
    if isinstance(before, dict):
        parts.append(f"before {before.get('field')} at {before.get('instant')}")
    notes = ex.get("notes")
    if isinstance(notes, list):
        parts.extend(str(n) for n in notes)
    due = f"{dl.due_date} (end of day)" if dl.unit in DAY_UNITS else dl.due.isoformat()
    text = head + (f" ({'; '.join(parts)})" if parts else "") + f" → due {due}"
    if dl.late_by is not None and dl.status == "breached":
        text += f"; late by {dl.late_by}"
    return text
