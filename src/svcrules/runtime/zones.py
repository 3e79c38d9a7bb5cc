"""Runtime: instants as fixed UTC offsets, with one ``timezone`` object per offset.

Every instant a result carries (an event's ``at``, a clock's ``start`` and ``due``) has a fixed
offset (``datetime.timezone``), never a zone with daylight saving time: Python compares two times
of one ``ZoneInfo`` by wall time and ignores ``fold``, so in a repeated hour (DST ending) two
instants an hour apart would compare, sort and hash as equal, and a time in that hour is never
equal to the same instant in another zone. A fixed offset keeps the local wall time and offset
(the JSON form is unchanged) and makes equality and order those of the instant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


class _Zones(dict[Any, Any]):
    """One ``timezone`` object per fixed UTC offset: ``fromisoformat`` makes a new one (and its
    offset) per instant, 72 bytes an event that a ledger would hold as long as the event. Equal
    offsets are the same zone, so sharing one changes no result. A few hundred at most (offsets
    are whole minutes within a day); past that, instants keep their own."""

    def __missing__(self, zone: Any) -> Any:
        if len(self) < 512:
            self[zone] = zone
        return zone


_ZONES = _Zones()


_BY_OFFSET: dict[dt.timedelta | None, dt.timezone] = {}


def fixed_offset(at: dt.datetime) -> dt.datetime:
    """``at`` (aware) with the fixed UTC offset its zone has at that instant (``at`` itself
    when its zone is already one): the same instant, wall time and ISO form."""
    tz = at.tzinfo
    if type(tz) is dt.timezone:
        return at
    offset = at.utcoffset()
    zone = _BY_OFFSET.get(offset)
    if zone is None:
        assert offset is not None, "fixed_offset needs an aware datetime"
        zone = _ZONES[dt.timezone(offset)]
        if len(_BY_OFFSET) < 512:
            _BY_OFFSET[offset] = zone
    if at.fold:  # a fixed offset has no repeated hour: fold 0, as any other time of it
        return at.replace(tzinfo=zone, fold=0)
    return dt.datetime.combine(at, at.time(), zone)  # ~4x faster than replace(tzinfo=)


def shared_zone(at: dt.datetime) -> dt.datetime:
    """``at`` with the one zone object of its UTC offset (``at`` itself when it has it): what
    the ledger holds for each event (``Engine.evaluate`` keeps no event, so does not pay)."""
    tz = at.tzinfo
    if type(tz) is not dt.timezone:  # other zones (ZoneInfo, dateutil) are the caller's own
        return at
    zone = _ZONES[tz]
    # combine, not replace(tzinfo=): ~5x faster on CPython 3.11; time() keeps the fold
    return at if zone is tz else dt.datetime.combine(at, at.time(), zone)
