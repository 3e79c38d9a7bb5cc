"""Command line: ``svcrules schema``: the pack format's JSON Schema, or one pack's events'."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from svcrules.cli.render import _usage
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

_JSON_TYPES: dict[str, dict[str, Any]] = {
    # the engine reads a whole number as the text of its digits, as for `id`
    "string": {"type": ["string", "integer"]},
    "int": {"type": "integer"},
    "number": {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _NUMBER_TEXT}]},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time", "pattern": _INSTANT},
    "date": {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-?[0-9]{2}-?[0-9]{2}$"},
    "list": {"type": "array"},
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
        "description": "The case (ticket, order) the event belongs to",
    },
    "subject": {
        "type": ["string", "integer", "null"],
        "description": "Who or what the event is about (a person, a depot)",
    },
}


def events_schema(spec: PackSpec) -> dict[str, Any]:
    """JSON Schema of the events a pack accepts: one branch per event type.

    It accepts what ``Engine.evaluate`` accepts, except the engine's bounds on sizes (numbers of
    more than 40 digits, lists of over 10,000 items), which it leaves to the engine."""
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
