"""Params: typed pack params. A param's type is declared in ``param_types`` or inferred from its
value in ``params``; overlays, ``edition_params`` and ``Engine(params=...)`` are checked against it.

Inference keeps every existing pack valid: a whole number is an ``int``, a decimal a ``decimal``
(both ``>= 0`` when the default is), a mapping has exactly the keys of its default (each typed
from its value), ``null`` is ``any`` (nullable), and a value an edition sets to ``null`` (or to a
decimal where the default is whole) widens the type accordingly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from svcrules.diagnostics import Diagnostic, did_you_mean, join_path
from svcrules.effects.base import Spec

ParamKind = Literal["int", "decimal", "string", "bool", "list", "map", "any"]
ParamUnit = Literal[
    "minutes",
    "hours",
    "days",
    "workdays",
    "months",
    "business_hours",
    "seconds",
    "percent",
    "points",
    "count",
    "volts",
]
WHOLE_UNITS = ("days", "workdays", "months")
"""Units a deadline counts in whole numbers only."""


class ParamTypeSpec(Spec):
    """The type of a param, of the values of a `map` param, or of the items of a `list` param."""

    type: ParamKind = Field(
        description="int (whole number), decimal (exact number, whole or not), string, bool, "
        "list, map (a mapping) or any"
    )
    nullable: bool = Field(default=False, description="Whether `null` is allowed")
    min: Decimal | None = Field(default=None, description="Smallest allowed number (inclusive)")
    max: Decimal | None = Field(default=None, description="Largest allowed number (inclusive)")
    unit: ParamUnit | None = Field(
        default=None,
        description="What the number counts; days, workdays and months need `type: int`",
    )
    values: tuple[str, ...] | None = Field(default=None, description="`string`: the allowed values")
    keys: tuple[str, ...] | str | None = Field(
        default=None,
        description="`map`: the allowed keys, or `EVENT_TYPE.FIELD` naming an enum field whose "
        "values are the keys (e.g. fault.reported.area)",
    )
    items: ParamTypeSpec | None = Field(
        default=None, description="`map`: the type of every value; `list`: of every item"
    )
    fields: dict[str, ParamTypeSpec] | None = Field(
        default=None, description="`map`: the type of each key (the keys are then exactly these)"
    )
    description: str | None = Field(default=None, description="What the param means")


def _kind(value: Any) -> ParamKind:
    if value is None:
        return "any"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal | float):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return "any"


def infer(value: Any, others: list[Any] | None = None) -> ParamTypeSpec:
    """The type of ``value`` (a param's default), widened by ``others`` (its edition values)."""
    others = others or []
    kind = _kind(value)
    if value is None:
        return ParamTypeSpec(type="any", nullable=True)
    nullable = any(o is None for o in others)
    if kind == "int" and any(_kind(o) == "decimal" for o in others):
        kind = "decimal"
    if kind in ("int", "decimal"):
        numbers = [value, *(o for o in others if _kind(o) in ("int", "decimal"))]
        low = Decimal(0) if all(n >= 0 for n in numbers) else None
        return ParamTypeSpec(type=kind, nullable=nullable, min=low)
    if kind == "map":
        fields = {
            str(k): infer(v, [o[k] for o in others if isinstance(o, Mapping) and k in o])
            for k, v in value.items()
        }
        return ParamTypeSpec(type="map", nullable=nullable, fields=fields)
    return ParamTypeSpec(type=kind, nullable=nullable)


def effective_types(
    params: Mapping[str, Any],
    declared: Mapping[str, ParamTypeSpec],
    edition_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, ParamTypeSpec]:
    """Every param's type: declared in ``param_types``, else inferred from its value."""
    editions = list((edition_params or {}).values())
    out: dict[str, ParamTypeSpec] = {}
    for name, value in params.items():
        if name in declared:
            out[name] = declared[name]
        else:
            out[name] = infer(value, [e[name] for e in editions if name in e])
    return out


def describe(t: ParamTypeSpec) -> str:
    """``int >= 0``, ``decimal in [0, 100]``, ``map {urban, rural}``, ``string or null`` ..."""
    text: str = t.type
    if t.type == "int":
        text = "a whole number (int)"
    elif t.type == "decimal":
        text = "a number (decimal)"
    elif t.type == "map":
        text = "a mapping"
    if t.min is not None and t.max is not None:
        text += f" in [{t.min}, {t.max}]"
    elif t.min is not None:
        text += f" >= {t.min}"
    elif t.max is not None:
        text += f" <= {t.max}"
    if t.values:
        text += f" (one of {', '.join(t.values)})"
    if t.nullable:
        text += " or null"
    return text


def _found(value: Any) -> str:
    kind = {
        bool: "a bool",
        int: "an int",
        Decimal: "a decimal",
        float: "a decimal",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})" if value is not None else "null"


def value_problems(
    t: ParamTypeSpec,
    value: Any,
    path: str,
    enum_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> Iterator[Diagnostic]:
    """Where ``value`` (a default, an edition value or an override, possibly partial for a map)
    does not have type ``t``. ``enum_keys`` resolves ``keys: EVENT_TYPE.FIELD`` references."""
    if value is None:
        if not (t.nullable or t.type == "any"):
            yield Diagnostic(
                "params.null",
                f"expected {describe(t)}, found null",
                path,
                hint="this param is not nullable; give a value, or declare `nullable: true` "
                "in `param_types`",
            )
        return
    if t.type == "any":
        return
    kind = _kind(value)
    if not (kind == t.type or (t.type == "decimal" and kind == "int")):
        yield _bad_type(t, kind, value, path)
    elif t.type in ("int", "decimal"):
        if (t.min is not None and value < t.min) or (t.max is not None and value > t.max):
            yield Diagnostic(
                "params.out-of-range", f"{value} is out of range: expected {describe(t)}", path
            )
    elif t.type == "string" and t.values and value not in t.values:
        yield Diagnostic(
            "params.bad-value",
            f"{value!r} is not one of {', '.join(t.values)}",
            path,
            hint=did_you_mean(value, t.values),
        )
    elif t.type == "list" and t.items is not None:
        for i, item in enumerate(value):
            yield from value_problems(t.items, item, join_path(path, i), enum_keys)
    elif t.type == "map":
        yield from _map_problems(t, value, path, enum_keys)


def _bad_type(t: ParamTypeSpec, kind: str, value: Any, path: str) -> Diagnostic:
    hint = None
    if t.type in ("int", "decimal") and kind == "string":
        hint = "write the number without quotes"
    elif t.type == "int" and kind == "decimal":
        hint = "this param counts whole units; declare `type: decimal` to allow fractions"
    return Diagnostic(
        "params.bad-type", f"expected {describe(t)}, found {_found(value)}", path, hint=hint
    )


def _map_problems(
    t: ParamTypeSpec,
    value: Mapping[str, Any],
    path: str,
    enum_keys: Mapping[str, tuple[str, ...]] | None,
) -> Iterator[Diagnostic]:
    allowed: tuple[str, ...] | None = None
    if t.fields is not None:
        allowed = tuple(t.fields)
    elif isinstance(t.keys, tuple):
        allowed = t.keys
    elif isinstance(t.keys, str):
        allowed = (enum_keys or {}).get(t.keys)
    for key, item in value.items():
        sub = join_path(path, str(key))
        if allowed is not None and key not in allowed:
            yield Diagnostic(
                "params.unknown-key",
                f"{key!r} is not a key of this param (keys: {', '.join(allowed)})",
                sub,
                hint=did_you_mean(str(key), allowed),
            )
            continue
        item_type = t.fields.get(key) if t.fields is not None else t.items
        if item_type is not None:
            yield from value_problems(item_type, item, sub, enum_keys)


def declaration_problems(
    name: str, t: ParamTypeSpec, path: str, enum_keys: Mapping[str, tuple[str, ...]]
) -> Iterator[Diagnostic]:
    """Where a ``param_types`` entry contradicts itself."""
    numeric = t.type in ("int", "decimal")
    if (t.min is not None or t.max is not None) and not numeric:
        yield Diagnostic(
            "params.bad-declaration", f"`min`/`max` apply to int and decimal, not {t.type}", path
        )
    if t.min is not None and t.max is not None and t.min > t.max:
        yield Diagnostic("params.bad-declaration", f"min {t.min} is above max {t.max}", path)
    if t.unit in WHOLE_UNITS and t.type != "int":
        yield Diagnostic(
            "params.bad-declaration",
            f"a deadline counts {t.unit} in whole numbers: declare `type: int`",
            join_path(path, "unit"),
        )
    if t.values is not None and t.type != "string":
        yield Diagnostic("params.bad-declaration", "`values` applies to string params", path)
    if (t.keys is not None or t.fields is not None) and t.type != "map":
        yield Diagnostic("params.bad-declaration", "`keys`/`fields` apply to map params", path)
    if t.items is not None and t.type not in ("map", "list"):
        yield Diagnostic("params.bad-declaration", "`items` applies to map and list params", path)
    if isinstance(t.keys, str) and t.keys not in enum_keys:
        yield Diagnostic(
            "params.bad-declaration",
            f"`keys: {t.keys}` names no enum field (write EVENT_TYPE.FIELD, e.g. "
            "fault.reported.area)",
            join_path(path, "keys"),
            hint=did_you_mean(t.keys, tuple(enum_keys)),
        )
    if t.items is not None:
        yield from declaration_problems(name, t.items, join_path(path, "items"), enum_keys)
    for key, sub in (t.fields or {}).items():
        yield from declaration_problems(name, sub, join_path(path, "fields", key), enum_keys)


def exact(value: Any) -> Any:
    """Floats given by a caller become Decimals from their shortest repr (7.0 → Decimal('7.0'))."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [exact(v) for v in value]
    return value
