"""Calendars: official holiday data from the `holidays` package (loaded on first use), country
codes and announced years.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

from svcrules.calendars.coerce import _pack_error

_DEFAULT_TZ: Final = {"CN": "Asia/Shanghai"}


_EXTRA_HOLIDAY: Final = "extra holiday"


def _country_holidays(code: str, subdiv: str | None, years: Iterable[int]) -> Any:
    # Imported on first use: the package costs ~90 ms to import, and `import svcrules` should
    # not pay for it before a calendar is needed.
    import holidays

    return holidays.country_holidays(code, subdiv=subdiv, years=list(years))


@lru_cache(maxsize=32)
def _announced_through(code: str, subdiv: str | None) -> int | None:
    """Last year with official make-up working days in the package's data (None: it has none).

    Make-up working days (调休) are only ever published with a year's official schedule, so the
    latest year that has any is the latest announced one; a newer package moves it forward.
    """
    probe = _country_holidays(code, subdiv, ())
    first = max(int(probe.start_year), 2000)
    last = int(probe.end_year)
    data = _country_holidays(code, subdiv, range(first, last + 1))
    years = [d.year for d in data.weekend_workdays]
    return max(years) if years else None


def _resolve_country(code: str) -> tuple[str, str | None]:
    if not isinstance(code, str) or not code.strip():
        raise _pack_error("calendar.unknown-country", f"{code!r} is not a country code")
    country, _, subdiv = code.strip().partition("-")
    try:
        # The package looks codes up as module attributes, so only letters may reach it.
        if not (2 <= len(country) <= 3 and country.isascii() and country.isalpha()):
            raise ValueError("not an ISO 3166 code")
        probe = _country_holidays(country.upper(), subdiv or None, ())
        if not hasattr(probe, "weekend_workdays") and not hasattr(probe, "get_working_days_count"):
            raise ValueError("not a country")
    except (NotImplementedError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise _pack_error(
            "calendar.unknown-country",
            f"no holiday data for {code!r}: {exc}",
            hint="use an ISO 3166 country code the holidays package knows, e.g. CN, US, DE",
        ) from None
    return str(probe.country), (str(probe.subdiv) if probe.subdiv else None)
