"""Packs: the pack format as an editor-grade JSON Schema (``svcrules schema``).

It is derived from the ``*Spec`` models, so it cannot drift from what ``load_pack`` accepts; the
models carry a description (and examples, and a ``markdownDescription`` for the main keys) on
every key. Here it is made friendlier for editors and ``jsonschema``: optional keys without
``null`` alternatives (so a bad ``unit: hour`` is reported against the enum, not as "not valid
under any of the given schemas") and name patterns on the sections keyed by name.
"""

from __future__ import annotations

from typing import Any

from svcrules.pack.schema import PackSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_NULL = {"type": "null"}
_NAME = {"pattern": r"^[a-z][a-z0-9_]*$", "maxLength": 64}
_EVENT = {"pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"}
_KEYED = {
    "params": _NAME,
    "param_types": _NAME,
    "calendars": _NAME,
    "scorecards": _NAME,
    "counters": _NAME,
    "events": _EVENT,
}


def pack_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a pack file."""
    schema = _without_null(PackSpec.model_json_schema(by_alias=True))
    assert isinstance(schema, dict)
    schema["$schema"] = DRAFT
    schema["title"] = "svcrules pack"
    schema["description"] = (
        "A policy pack: event types, params, calendars and rules that cite their sources"
    )
    for section, pattern in _KEYED.items():
        schema["properties"][section]["propertyNames"] = pattern
    return schema


def _without_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_null(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_null(v) for k, v in node.items()}
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list) and _NULL in alternatives and out.get("default", 0) is None:
        rest = [x for x in alternatives if x != _NULL]
        del out["anyOf"], out["default"]
        if len(rest) == 1 and isinstance(rest[0], dict) and not set(rest[0]) & set(out):
            out.update(rest[0])
        else:
            out["anyOf"] = rest
    _merge_types(out)
    if out.get("format") == "date" and out.get("type") == "string":
        out["pattern"] = _DATE  # `format` is an annotation only, unless a validator opts in
    return out


_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


_OWN = {
    "string": frozenset({"pattern", "minLength", "maxLength", "format"}),
    "array": frozenset({"items", "minItems", "maxItems"}),
}
"""Keywords that apply to values of one type only, so alternatives of distinct types merge."""


def _merge_types(node: dict[str, Any]) -> None:
    """``anyOf`` of alternatives of distinct plain types (``int | Decimal | str``, ``EventType |
    list[EventType]``) as one ``type`` list, each keyword applying to its own type: a wrong value
    then gets "[3] is not of type 'integer', 'number', 'string'" or "'X' does not match ..."
    instead of "not valid under any of the given schemas"."""
    alternatives = node.get("anyOf")
    if not isinstance(alternatives, list):
        return
    by_type: dict[str, dict[str, Any]] = {}
    for alt in alternatives:
        kind = alt.get("type") if isinstance(alt, dict) else None
        if not isinstance(kind, str) or set(alt) - {"type"} - _OWN.get(kind, frozenset()):
            return
        prev = by_type.get(kind)
        if prev is not None and not set(alt) <= set(prev):
            if not set(prev) <= set(alt):
                return  # two alternatives of one type that neither contains
            continue
        by_type[kind] = alt  # of two of a type (`str | ExprText`), the laxer
    del node["anyOf"]
    types = list(by_type)
    node["type"] = types if len(types) > 1 else types[0]
    for alt in by_type.values():
        node.update((k, v) for k, v in alt.items() if k != "type")
