"""Command line: ``svcrules schema``: the pack format's JSON Schema, or one pack's events'."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from svcrules.cli.render import _usage
from svcrules.limits import INT_BOUND, MAX_EVENT_ITEMS, MAX_NUMBER_EXPONENT, MAX_NUMBER_TEXT
from svcrules.pack import load_pack
from svcrules.pack.export import pack_json_schema
from svcrules.pack.schema import FieldSpec, PackSpec


def cmd_schema(args: argparse.Namespace) -> int:
    if args.what == "pack":
        schema = pack_json_schema()
    else:
        if not args.pack:
            return _usage("schema events needs a PACK")
        schema = events_schema(load_pack(args.pack).spec)
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


_INSTANT = (
    r"^[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}([.,][0-9]+)?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}([.][0-9]+)?)?)?)$"
)
"""ISO 8601 date-times with a UTC offset, as ``datetime.fromisoformat`` reads them (the engine
refuses a time without an offset: ``event.naive-time``)."""

_NUMBER_TEXT = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"

# The engine's bounds (svcrules.limits) that JSON Schema can say: an integer's size, a number's
# magnitude (its adjusted exponent within +-MAX_NUMBER_EXPONENT), a number's text length and a
# list's length. Not said: more than MAX_DIGITS significant digits within that magnitude, and
# items counted through nested lists (the engine refuses both, with `event.bad-value`).
_INT: dict[str, Any] = {"minimum": -(INT_BOUND - 1), "maximum": INT_BOUND - 1}
_LARGEST = float(f"1e{MAX_NUMBER_EXPONENT + 1}")
_SMALLEST = float(f"1e-{MAX_NUMBER_EXPONENT}")
_MAGNITUDE: dict[str, Any] = {
    "exclusiveMinimum": -_LARGEST,
    "exclusiveMaximum": _LARGEST,
    "not": {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": _SMALLEST},
            {"type": "number", "exclusiveMinimum": -_SMALLEST, "exclusiveMaximum": 0},
        ]
    },
}

_JSON_TYPES: dict[str, dict[str, Any]] = {
    # the engine reads a whole number as the text of its digits, as for `id`
    "string": {"type": ["string", "integer"], **_INT},
    "int": {"type": "integer", **_INT},
    "number": {
        "anyOf": [
            {"type": "number", **_MAGNITUDE},
            {"type": "string", "pattern": _NUMBER_TEXT, "maxLength": MAX_NUMBER_TEXT},
        ]
    },
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time", "pattern": _INSTANT},
    "date": {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-?[0-9]{2}-?[0-9]{2}$"},
    "list": {"type": "array", "maxItems": MAX_EVENT_ITEMS},
}


def _field_schema(f: FieldSpec) -> dict[str, Any]:
    """What the engine accepts for a declared field; ``null`` too unless the field is required
    without a default (the engine then uses the default, or leaves it out)."""
    if f.type == "enum":
        values = list(f.values or ())
        # an enum matches a whole number by its digits, as the engine does
        prop: dict[str, Any] = {"enum": values + [int(v) for v in values if _digits(v)]}
    else:
        prop = dict(_JSON_TYPES.get(f.type, {}))
    if not (f.required and f.default is None):
        prop = {"anyOf": [prop, {"type": "null"}]}
    if f.description:
        prop["description"] = f.description
    return prop


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and str(int(text)) == text


_STANDARD: dict[str, Any] = {
    "id": {
        "type": ["string", "number", "null"],
        **_MAGNITUDE,
        "description": "The event's id (a number is read as its text)",
    },
    "at": {
        "type": "string",
        "format": "date-time",
        "pattern": _INSTANT,
        "description": "When it happened: an ISO 8601 date-time with a UTC offset",
    },
    "case": {
        "type": ["string", "integer", "null"],
        **_INT,
        "description": "The case (ticket, order) the event belongs to",
    },
    "subject": {
        "type": ["string", "integer", "null"],
        **_INT,
        "description": "Who or what the event is about (a person, a depot)",
    },
}


def events_schema(spec: PackSpec) -> dict[str, Any]:
    """JSON Schema of the events a pack accepts: one branch per event type.

    It accepts what ``Engine.evaluate`` accepts, with the engine's bounds on sizes that JSON
    Schema can state (see ``_INT``, ``_MAGNITUDE``): it leaves to the engine a number of more
    than 40 significant digits within those bounds, and items counted through nested lists."""
    branches = []
    for etype, ev in sorted(spec.events.items()):
        props: dict[str, Any] = {**_STANDARD, "type": {"const": etype}}
        required = ["type", "at"]
        for name, f in ev.fields.items():
            props[name] = _field_schema(f)
            if f.required and f.default is None:
                required.append(name)
        branch: dict[str, Any] = {
            "title": etype,
            "type": "object",
            "properties": props,
            "required": required,
        }
        if ev.description:
            branch["description"] = ev.description
        branches.append(branch)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"events of pack {spec.pack} {spec.version}",
        "oneOf": branches,
    }
