"""Events: validates a raw event against one pack's vocabulary, at event time (stdlib only).

The compiler builds one ``EventShape`` per event type from the pack's ``events`` section; the
engine calls it before the compiled rules, so rules see a normalised mapping: every declared
field present (``None`` or its default when absent), numbers as ``Decimal``, instants aware.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError
from svcrules.limits import (
    DIGITS_CONTEXT,
    INT_BOUND,
    MAX_DEPTH,
    MAX_EVENT_ITEMS,
    MAX_NUMBER_EXPONENT,
    MAX_NUMBER_TEXT,
    decimal_problem,
    int_problem,
    number_problem,
)
from svcrules.runtime.source import compile_source, register_source
from svcrules.runtime.zones import fixed_offset

STANDARD_FIELDS = ("id", "type", "at", "case", "subject")


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def parse_instant(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Bad("event.bad-type", f"{value!r} is not an ISO-8601 date-time") from None
    if not isinstance(value, dt.datetime):
        raise _Bad("event.bad-type", f"expected an ISO-8601 date-time, got {_kind(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Bad(
            "event.naive-time",
            f"{value.isoformat()} has no UTC offset; svcrules never guesses a local time",
        )
    return fixed_offset(value)  # a zone's time (ZoneInfo) as its offset: see runtime.zones


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _bounded_int(value: int) -> int:
    problem = int_problem(value)
    if problem is not None:
        raise _Bad("event.bad-value", problem)
    return value


def _bounded_decimal(value: Decimal) -> Decimal:
    """``value`` within the digit and exponent bounds (``int()`` of it is then instant)."""
    problem = decimal_problem(value)
    if problem is not None:
        raise _Bad("event.bad-value", problem)
    return Decimal(0).copy_sign(value) if value.is_zero() else value


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(_bounded_int(value))
    raise _Bad("event.bad-type", f"expected a string, got {_kind(value)}")


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _bounded_int(value)
    if isinstance(value, float):
        value = _number(value)
    if isinstance(value, Decimal):
        value = _bounded_decimal(value)  # before int(), which is quadratic in the exponent
        if value == value.to_integral_value():
            return int(value)
    raise _Bad("event.bad-type", f"expected an integer, got {_kind(value)} {value!r}")


def _number(value: Any) -> Decimal:
    if type(value) is float:  # JSON's numbers: repr is short (<= 24 characters), shortest exact
        return _bounded_decimal(Decimal(repr(value)))
    if isinstance(value, bool):
        raise _Bad("event.bad-type", "expected a number, got bool")
    if isinstance(value, Decimal):
        return _bounded_decimal(value)
    if isinstance(value, int):
        return Decimal(_bounded_int(value))
    if isinstance(value, float | str):
        # str(float) is the shortest repr that round-trips: 235.4 stays 235.4, not 235.4000000001
        text = str(value).strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise _Bad("event.bad-value", f"number written with {len(text)} characters")
        try:
            out = Decimal(text)
        except InvalidOperation:
            raise _Bad("event.bad-type", f"expected a number, got {value!r}") from None
        return _bounded_decimal(out)
    raise _Bad("event.bad-type", f"expected a number, got {_kind(value)}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad("event.bad-type", f"expected true or false, got {_kind(value)} {value!r}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _Bad("event.bad-type", "expected a date, got a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Bad("event.bad-type", f"expected an ISO-8601 date, got {value!r}")


def _list(value: Any) -> tuple[Any, ...]:
    if isinstance(value, list | tuple):
        problem = _bulk_problem(value)
        if problem is not None:
            raise _Bad("event.bad-value", problem)
        return tuple(value)
    raise _Bad("event.bad-type", f"expected a list, got {_kind(value)}")


def _bulk_problem(value: Any) -> str | None:
    """Why a list (or any nested value) is too big, too deep or holds a number out of bounds:
    expressions may compare, search or print it, so its size is bounded here, once."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    items = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, list | tuple | Mapping):
            if depth >= MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            items += len(node)
            if items > MAX_EVENT_ITEMS:
                return f"more than {MAX_EVENT_ITEMS} items"
            stack.extend(
                (v, depth + 1) for v in (node.values() if isinstance(node, Mapping) else node)
            )
        elif isinstance(node, int | Decimal | float):
            problem = number_problem(node)
            if problem is not None:
                return problem
    return None


def _event_id(value: Any) -> str | None:
    """The event's id as text: a string, or a number within bounds."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | list | tuple | Mapping):
        raise _Bad("event.bad-type", f"`id` is a string or a number, not {_kind(value)}")
    problem = number_problem(value)
    if problem is not None:
        raise _Bad("event.bad-value", f"`id`: {problem}")
    return str(value)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _string,
    "int": _int,
    "number": _number,
    "bool": _bool,
    "datetime": parse_instant,
    "date": _date,
    "list": _list,
}


def default_problem(ftype: str, value: Any) -> str | None:
    """Why ``value`` cannot be the default of a field of type ``ftype`` (enums aside), or None:
    checked when the pack loads, since the default stands in for a missing value unchecked."""
    convert = CONVERTERS.get(ftype)
    if convert is None:
        return None
    try:
        convert(value)
    except _Bad as bad:
        return bad.message
    return None


@dataclass(frozen=True, slots=True)
class FieldShape:
    name: str
    type: str
    values: frozenset[str] | None
    required: bool
    default: Any
    needed_by: str | None
    """Id of the first rule that reads this field, named when its value is wrong."""

    def converter(self) -> Callable[[Any], Any]:
        """The function that checks and normalises this field's value, chosen once."""
        if self.values is None:
            return CONVERTERS[self.type]
        return self.convert

    def convert(self, value: Any) -> Any:
        if self.values is not None:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(_bounded_int(value))  # as for `string`: matched by its digits
            if not isinstance(value, str):
                raise _Bad("event.bad-type", f"expected one of {sorted(self.values)}")
            if value not in self.values:
                close = difflib.get_close_matches(value, self.values, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise _Bad(
                    "event.bad-value",
                    f"{value!r} is not one of {sorted(self.values)}{hint}",
                )
            return value
        return CONVERTERS[self.type](value)


@dataclass(frozen=True, slots=True, weakref_slot=True)
class EventShape:
    """The validator of one event type in one pack."""

    type: str
    pack: str
    fields: tuple[FieldShape, ...]
    _plan: tuple[tuple[str, Callable[[Any], Any], Any, bool, str | None], ...] = field(
        init=False, repr=False, compare=False
    )

    _fast: Callable[[Mapping[str, Any]], dict[str, Any]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        plan = tuple(
            (f.name, f.converter(), f.default, f.required, f.needed_by) for f in self.fields
        )
        object.__setattr__(self, "_plan", plan)
        fast, filename, source = _generate_fast_path(self.type, self.fields)
        object.__setattr__(self, "_fast", fast)
        register_source(filename, source, self)

    @property
    def fast_path(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """The generated validator for well-formed events: raises on anything else, which
        ``validate_fully`` then reports."""
        return self._fast

    def validate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The normalised event, or ``EventError`` with every problem found."""
        try:  # straight-line code for a well-formed event; anything unusual takes the full path
            return self._fast(raw)
        except Exception:
            return self.validate_fully(raw)

    def validate_fully(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The reference validation: field by field, collecting every problem."""
        problems: list[Diagnostic] = []
        e: dict[str, Any] = {"id": None, "type": self.type}
        try:
            e["id"] = _event_id(raw.get("id"))
        except _Bad as bad:
            problems.append(Diagnostic(bad.code, bad.message, "$.id"))
        try:
            e["at"] = parse_instant(raw["at"])
        except KeyError:
            problems.append(Diagnostic("event.missing-field", "every event needs `at`", "$.at"))
        except _Bad as bad:
            problems.append(Diagnostic(bad.code, bad.message, "$.at"))
        for name, convert, default, required, needed_by in self._plan:
            value = raw.get(name)
            if value is None:
                e[name] = default
                if required and default is None:
                    problems.append(
                        Diagnostic(
                            "event.missing-field",
                            f"`{self.type}` event has no `{name}`, which the pack requires",
                            f"$.{name}",
                        )
                    )
                continue
            try:
                e[name] = convert(value)
            except _Bad as bad:
                problems.append(
                    Diagnostic(bad.code, f"`{name}`: {bad.message}", f"$.{name}", rule=needed_by)
                )
        if problems:
            raise EventError(problems)
        return e


class _Unusual(Exception):
    """Raised by a generated fast path: leave this event to the full validation."""


_FAST_CHECKS = {
    "string": "type({v}) is str",
    "enum": "type({v}) is str and {v} in E{k}",
    "int": "type({v}) is int and -_IB < {v} < _IB",
    "bool": "type({v}) is bool",
    # finite, |adjusted exponent| <= MAX_NUMBER_EXPONENT, at most MAX_DIGITS significant digits
    "number": "type({v}) is _Decimal and {v}.is_finite() and -_NX <= {v}.adjusted() <= _NX "
    "and _P({v}) == {v}",
}


def _generate_fast_path(
    etype: str, fields: tuple[FieldShape, ...]
) -> tuple[Callable[[Mapping[str, Any]], dict[str, Any]], str, str]:
    """Generate a validator for well-formed events of one type: one line per field, no loop.

    It accepts exactly what ``validate_fully`` accepts without converting much; on anything
    else it raises and ``validate`` falls back to the full path, which reports the problems.
    Field names match ``^[a-z][a-z0-9_]*$`` (checked by the schema), so they are safe as keys.
    """
    g: dict[str, Any] = {
        "__builtins__": {},
        "_Unusual": _Unusual,
        "_Decimal": Decimal,
        "_datetime": dt.datetime,
        "_fromiso": dt.datetime.fromisoformat,
        "_timezone": dt.timezone,
        "_fixed": fixed_offset,
        "str": str,
        "int": int,
        "bool": bool,
        "type": type,
        "T": etype,
        "_IB": INT_BOUND,
        "_NX": MAX_NUMBER_EXPONENT,
        "_P": DIGITS_CONTEXT.plus,
    }
    lines = [
        "def fast(raw):",
        "    at = raw['at']",
        "    if type(at) is str:",
        "        at = _fromiso(at)",
        "    elif type(at) is not _datetime:",
        "        raise _Unusual",
        "    if at.tzinfo is None or at.utcoffset() is None:",
        "        raise _Unusual",
        "    if type(at.tzinfo) is not _timezone:",
        "        at = _fixed(at)",
        "    i = raw.get('id')",
        "    if i is not None and type(i) is not str:",  # numbers are bounded by the full path
        "        raise _Unusual",
    ]
    items = ["'id': i", "'type': T", "'at': at"]
    for k, f in enumerate(fields):
        v = f"v{k}"
        g[f"C{k}"] = f.converter()
        g[f"D{k}"] = f.default
        if f.values is not None:
            g[f"E{k}"] = f.values
        lines.append(f"    {v} = raw.get({f.name!r})")
        lines.append(f"    if {v} is None:")
        if f.required and f.default is None:
            lines.append("        raise _Unusual")
        else:
            lines.append(f"        {v} = D{k}")
        check = _FAST_CHECKS.get("enum" if f.values is not None else f.type)
        if check is not None:
            lines.append(f"    elif {check.format(v=v, k=k)}:")
            lines.append("        pass")
        lines.append("    else:")
        lines.append(f"        {v} = C{k}({v})")
        items.append(f"{f.name!r}: {v}")
    lines.append("    return {" + ", ".join(items) + "}")
    source = "\n".join(lines) + "\n"
    filename, code = compile_source(f"event {etype}", source)
    exec(code, g)  # generated from validated names; values come in through the globals
    fast: Callable[[Mapping[str, Any]], dict[str, Any]] = g["fast"]
    return fast, filename, source


@dataclass(frozen=True, slots=True)
class Event:
    """A typed event, for callers who prefer it to a mapping; ``fields`` holds the pack's own
    attributes (``area``, ``customer_class`` ...)."""

    type: str
    at: dt.datetime | str
    id: str | None = None
    case: str | None = None
    subject: str | None = None
    fields: Mapping[str, object] = field(default_factory=dict)

    def to_mapping(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.fields)
        out.update(type=self.type, at=self.at)
        for key in ("id", "case", "subject"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def check_envelope(raw: Any, known_types: Collection[str]) -> str:
    """The event's type, after checking it is a mapping of a type some pack declares."""
    if not isinstance(raw, Mapping):
        raise EventError(
            [Diagnostic("event.not-object", f"an event is a JSON object, got {_kind(raw)}")]
        )
    etype = raw.get("type")
    if etype is None:
        raise EventError([Diagnostic("event.missing-field", "every event needs `type`", "$.type")])
    if not isinstance(etype, str):
        raise EventError(
            [Diagnostic("event.bad-type", f"`type` must be a string, got {_kind(etype)}", "$.type")]
        )
    if etype not in known_types:
        close = difflib.get_close_matches(etype, list(known_types), n=1)
        raise EventError(
            [
                Diagnostic(
                    "event.unknown-type",
                    f"no loaded pack declares event type {etype!r}",
                    "$.type",
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
            ]
        )
    return etype
