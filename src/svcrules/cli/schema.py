"""Command line: ``svcrules schema``: the pack format's JSON Schema, or one pack's events'."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from svcrules.cli.render import _usage
from svcrules.pack import load_pack
from svcrules.pack.export import pack_json_schema
from svcrules.pack.schema import PackSpec


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


_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "number": {"type": ["number", "string"]},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "list": {"type": "array"},
}


def events_schema(spec: PackSpec) -> dict[str, Any]:
    """JSON Schema of the events a pack accepts: one branch per event type."""
    branches = []
    for etype, ev in sorted(spec.events.items()):
        props: dict[str, Any] = {
            "id": {"type": ["string", "integer"]},
            "type": {"const": etype},
            "at": {
                "type": "string",
                "format": "date-time",
                "pattern": "(Z|[+-][0-9]{2}:?[0-9]{2})$",
            },
            "case": {"type": "string"},
            "subject": {"type": "string"},
        }
        required = ["type", "at"]
        for name, f in ev.fields.items():
            prop: dict[str, Any] = (
                dict(_JSON_TYPES.get(f.type, {}))
                if f.type != "enum"
                else {"enum": list(f.values or ())}
            )
            if f.description:
                prop["description"] = f.description
            props[name] = prop
            if f.required:
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
