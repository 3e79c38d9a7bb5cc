"""Engine: loads and compiles packs for one edition and one set of params, then evaluates events.

``evaluate`` returns what one event implies on its own (a ``Decision``) or raises ``EventError``;
``evaluate_many`` never stops a batch: each input yields a ``Decision`` or a ``Rejection``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from svcrules.calendars import Calendar
from svcrules.compile import CompiledPack, compile_pack
from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError, PackError, SvcrulesError, internal_error
from svcrules.ledger import Ledger
from svcrules.pack import deep_merge, load_pack
from svcrules.pack.checks import enum_keys
from svcrules.pack.params import effective_types, exact, value_problems
from svcrules.pack.positions import Document
from svcrules.pack.schema import Pack
from svcrules.pack.sources import check_data
from svcrules.runtime import (
    Deadline,
    Decision,
    Outcome,
    Rejection,
)
from svcrules.runtime.batch import each
from svcrules.runtime.events import Event, EventShape, check_envelope
from svcrules.runtime.intents import CountIntent, Intent, ScheduleIntent

PackSource = str | Path | Mapping[str, object] | Pack


class Engine:
    """A stateless evaluator over one or more packs.

    ``edition`` applies to every pack that declares it (the others keep their default); it is an
    error if no pack knows it. ``params`` overrides pack params by name (nested mappings merge
    key by key); a name no pack declares is an error. ``calendars`` replaces pack calendars by
    name, e.g. ``{"cn": svcrules.calendar("CN", extra_holidays=[...])}`` for days announced
    after the ``holidays`` release; a name no pack declares is an error.
    """

    def __init__(
        self,
        packs: PackSource | Sequence[PackSource],
        *,
        edition: str | None = None,
        params: Mapping[str, object] | None = None,
        calendars: Mapping[str, Calendar] | None = None,
    ) -> None:
        sources = _sources(packs)
        _check_arguments(edition, params, calendars)
        if not sources:
            raise PackError([Diagnostic("engine.no-packs", "an Engine needs at least one pack")])
        loaded = [load_pack(s) for s in sources]
        self.packs: tuple[Pack, ...] = tuple(_with_edition(loaded, edition))
        self.params: dict[str, Any] = dict(params or {})
        check_data(Document({"params": self.params}, None))  # numbers bounded, no bytes
        _check_params(self.packs, self.params)
        cals = dict(calendars or {})
        _check_calendars(self.packs, cals)
        try:
            self.compiled: tuple[CompiledPack, ...] = tuple(
                compile_pack(p, _params_for(p, self.params), cals) for p in self.packs
            )
        except SvcrulesError:
            raise
        except (MemoryError, RecursionError) as exc:
            raise PackError(
                [Diagnostic("pack.resource-limit", f"the pack is too large to compile ({exc!r})")]
            ) from None
        except Exception as exc:  # a valid pack that fails to compile is a bug in svcrules
            raise internal_error(PackError, "pack.internal", "compiling", exc) from exc
        names = [p.name for p in self.packs]
        if len(set(names)) != len(names):
            raise PackError(
                [Diagnostic("engine.duplicate-pack", f"a pack is loaded twice: {names}")]
            )
        dispatch: dict[str, list[tuple[EventShape, Any]]] = {}
        for cp in self.compiled:
            for etype, shape in cp.shapes.items():
                dispatch.setdefault(etype, []).append((shape, cp.handlers[etype]))
        # event type -> (event shape, compiled handler) per pack declaring it: decided once here
        self._dispatch = {t: tuple(steps) for t, steps in dispatch.items()}
        # The usual case, one pack declaring the type: its fast-path validator, full validator
        # and handler, so that evaluate() makes no call it does not need.
        self._single = {
            t: (shape.fast_path, shape.validate_fully, handle)
            for t, ((shape, handle), *more) in self._dispatch.items()
            if not more
        }

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._dispatch)

    def raw_outcomes(self, event: object) -> tuple[str | None, str, list[Outcome | Intent]]:
        """Event id, type and the raw outcomes (results and clock signals) of every pack."""
        if isinstance(event, Event):
            event = event.to_mapping()
        if type(event) is not dict:
            check_envelope(event, self._dispatch)
        assert isinstance(event, Mapping)  # check_envelope refuses anything else
        etype = event.get("type")
        steps = self._dispatch.get(etype) if isinstance(etype, str) else None
        if steps is None or not isinstance(etype, str):
            check_envelope(event, self._dispatch)  # raises the right EventError
            raise AssertionError("unreachable: check_envelope accepted an unknown type")
        out: list[Outcome | Intent] = []
        event_id: str | None = None
        for shape, handle in steps:
            e = shape.validate(event)
            event_id = e["id"]
            handle(e, out)
        return event_id, etype, out

    def evaluate(self, event: Mapping[str, object] | Event) -> Decision:
        """What ``event`` implies on its own; raises ``EventError`` if it cannot be evaluated."""
        try:
            etype = event.get("type") if type(event) is dict else None
            single = self._single.get(etype) if type(etype) is str else None
            if single is not None and type(event) is dict:  # raw_outcomes(), one pack, inlined
                fast, full, handle = single
                try:
                    e = fast(event)
                except Exception:  # anything unusual: the full validation says what
                    e = full(event)
                out: list[Any] = []
                handle(e, out)
                event_id: str | None = e["id"]
            else:
                event_id, etype, out = self.raw_outcomes(event)
        except SvcrulesError:
            raise
        except (MemoryError, RecursionError) as exc:
            raise EventError(
                [
                    Diagnostic(
                        "event.resource-limit",
                        f"the event is too large or too deep to evaluate ({type(exc).__name__})",
                    )
                ]
            ) from None
        except Exception as exc:  # a bug in svcrules must still reach the caller as its error
            raise internal_error(EventError, "event.internal", "on this event", exc) from exc
        assert etype is not None
        return _decision(event_id, etype, out)

    def evaluate_many(self, events: Iterable[object]) -> Iterator[Decision | Rejection]:
        """One ``Decision`` or ``Rejection`` per input event, in input order."""
        if not isinstance(events, Iterable) or isinstance(events, str | bytes | Mapping):
            raise EventError(
                [
                    Diagnostic(
                        "engine.bad-argument",
                        f"evaluate_many takes an iterable of events, not {type(events).__name__}",
                    )
                ]
            )
        return each(self.evaluate, events)

    def ledger(
        self,
        snapshot: Mapping[str, object] | None = None,
        *,
        store: str | os.PathLike[str] | None = None,
    ) -> Ledger:
        """A stateful ledger over these packs (see docs/ledger.md); ``snapshot`` (from
        ``Ledger.snapshot()``) restores one, if taken with the same packs, editions and params.
        ``store`` (a file path) makes it durable in SQLite: an existing store is reopened (its
        events replayed), a new one created; the snapshot's events, if any, are added to it."""
        params = [_params_for(p, self.params) for p in self.packs]
        return Ledger(self.compiled, params, snapshot=snapshot, store=store)

    def __repr__(self) -> str:
        packs = ", ".join(f"{p.name} {p.version} ({p.edition})" for p in self.packs)
        return f"<Engine {packs}>"


def _sources(packs: PackSource | Sequence[PackSource]) -> list[PackSource]:
    if isinstance(packs, str | Path | Mapping | Pack):
        return [packs]
    if isinstance(packs, Iterable) and not isinstance(packs, bytes):
        return list(packs)
    raise _bad_argument("packs", "a pack name, path, mapping or Pack, or a list of them", packs)


def _check_arguments(edition: object, params: object, calendars: object) -> None:
    if edition is not None and not isinstance(edition, str):
        raise _bad_argument("edition", "an edition name", edition)
    if params is not None and not isinstance(params, Mapping):
        raise _bad_argument("params", "a mapping of param names to values", params)
    if calendars is not None and not isinstance(calendars, Mapping):
        raise _bad_argument("calendars", "a mapping of calendar names to calendars", calendars)


def _bad_argument(name: str, expected: str, value: Any) -> PackError:
    return PackError(
        [
            Diagnostic(
                "engine.bad-argument",
                f"Engine `{name}` must be {expected}, not {type(value).__name__}",
            )
        ]
    )


def _clocks_started(event_id: str | None, etype: str, out: list[Deadline]) -> Decision:
    if len(out) == 1:
        dl = out[0]
        return Decision(event_id=event_id, event_type=etype, deadlines=(dl,), warnings=dl.warnings)
    return Decision(
        event_id=event_id,
        event_type=etype,
        deadlines=tuple(out),
        warnings=tuple(w for d in out for w in d.warnings),
    )


def _decision(event_id: str | None, etype: str, out: list[Outcome | Intent]) -> Decision:
    """Sort a handler's raw outcomes into a ``Decision`` (one pass, no copies when empty)."""
    if not out:
        return Decision(event_id=event_id, event_type=etype)
    if all(type(x) is Deadline for x in out):  # the common case: clocks started, nothing else
        return _clocks_started(event_id, etype, cast("list[Deadline]", out))
    # counts and schedules mean something only to the ledger
    return Decision.collect(
        event_id, etype, (o for o in out if not isinstance(o, CountIntent | ScheduleIntent))
    )


def _with_edition(packs: list[Pack], edition: str | None) -> Iterator[Pack]:
    if edition is not None and not any(edition in p.spec.editions for p in packs):
        known = sorted({e for p in packs for e in p.spec.editions})
        raise PackError(
            [
                Diagnostic(
                    "edition.unknown",
                    f"no loaded pack has edition {edition!r}",
                    hint=f"editions: {', '.join(known)}" if known else "no pack has editions",
                )
            ]
        )
    for p in packs:
        yield load_pack(p, edition=edition) if edition in p.spec.editions else p


def _params_for(pack: Pack, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Pack params, then the active edition's values, then the caller's overrides (deep merge)."""
    mine = {k: v for k, v in overrides.items() if k in pack.spec.params}
    base = pack.spec.params
    edition = pack.spec.edition_params.get(pack.edition or "")
    if edition:
        base = deep_merge(base, edition)
    return deep_merge(base, exact(mine))


def _check_calendars(packs: Sequence[Pack], calendars: Mapping[str, Any]) -> None:
    declared = {k for p in packs for k in p.spec.calendars}
    problems = []
    for name, cal in calendars.items():
        if name not in declared:
            problems.append(
                Diagnostic(
                    "engine.unknown-calendar",
                    f"no loaded pack declares calendar {name!r}",
                    f"$.calendars.{name}",
                    hint=f"declared: {', '.join(sorted(declared)) or 'none'}",
                )
            )
        elif not isinstance(cal, Calendar):
            problems.append(
                Diagnostic(
                    "engine.bad-calendar",
                    f"calendar {name!r} must be made with svcrules.calendar(), "
                    f"not {type(cal).__name__}",
                    f"$.calendars.{name}",
                )
            )
    if problems:
        raise PackError(problems)


def _check_params(packs: Sequence[Pack], overrides: Mapping[str, Any]) -> None:
    declared = {k for p in packs for k in p.spec.params}
    unknown = [k for k in overrides if k not in declared]
    if unknown:
        raise PackError(
            Diagnostic(
                "params.unknown",
                f"no loaded pack declares param {k!r}",
                f"$.params.{k}",
                hint=(
                    f"did you mean {close[0]!r}?"
                    if (close := difflib.get_close_matches(k, declared, n=1))
                    else None
                ),
            )
            for k in unknown
        )
    problems: list[Diagnostic] = []
    for pack in packs:
        types = effective_types(pack.spec.params, pack.spec.param_types, pack.spec.edition_params)
        keys = enum_keys(pack.spec)
        for name, value in overrides.items():
            if name in types:
                for d in value_problems(types[name], exact(value), f"$.params.{name}", keys):
                    if d not in problems:
                        problems.append(d)
    if problems:
        raise PackError(problems)
