"""Backends (durable): ``DurableEngine``: events posted to a private durable_rules host, each
answered rule's effect built by svcrules' runtime."""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from svcrules.backends.durable.conditions import (
    _FLIP,
    Json,
    _All,
    _Any,
    _Atom,
    _Cond,
    _negate,
    _to_json,
)
from svcrules.backends.durable.translate import PackTranslation, _without, translate
from svcrules.backends.durable.translator import Encoder
from svcrules.calendars import Calendar
from svcrules.compile import CompiledPack
from svcrules.diagnostics import Diagnostic
from svcrules.engine import Engine, PackSource, _decision
from svcrules.errors import EventError, PackError, SvcrulesError, internal_error
from svcrules.runtime import EVAL_ERRORS, Decision, Rejection, rule_failed
from svcrules.runtime.batch import each
from svcrules.runtime.events import Event, check_envelope

_serial = itertools.count()


class _PackRunner:
    """One pack's ruleset in a private durable_rules host, and the effects to call."""

    def __init__(
        self,
        host: Any,
        translation: PackTranslation,
        compiled: CompiledPack,
        lock: threading.Lock,
    ) -> None:
        self.host, self.lock = host, lock
        self.name = f"svcrules_{next(_serial)}_{translation.pack}"
        self.verdicts: list[tuple[int, bool]] = []
        self.ids = itertools.count()
        order = {rule_id: k for k, rule_id in enumerate(compiled.code)}
        definition: dict[str, Json] = {}
        candidates: dict[str, list[int]] = {t: [] for t in compiled.shapes}
        keys_for: dict[str, dict[str, Encoder]] = {t: {} for t in compiled.shapes}
        verdicts = self.verdicts

        def action(k: int, applies: bool) -> Callable[[Any], None]:
            def act(c: Any) -> None:  # one parameter: durable_rules runs it synchronously
                verdicts.append((k, applies))

            return act

        for rt in translation.rules:
            if rt.condition is False:  # can never apply: nothing to ask
                continue
            k = order[rt.rule]
            only = {"r": k}
            if rt.condition is True:
                definition[f"m{k}"] = {"all": [{"m": only}], "run": action(k, True)}
            else:
                yes = {"$and": [only, rt.condition]}
                no = {"$and": [only, _to_json(_negate(_from_json(rt.condition)))]}
                definition[f"m{k}"] = {"all": [{"m": yes}], "run": action(k, True)}
                definition[f"x{k}"] = {"all": [{"m": no}], "run": action(k, False)}
                used = _json_keys(rt.condition)
                for etype in rt.on:
                    keys_for[etype].update({key: translation.keys[key] for key in used})
            for etype in rt.on:
                candidates[etype].append(k)
        self.candidates = {t: tuple(sorted(ks)) for t, ks in candidates.items() if ks}
        self.encoders = {t: tuple(keys_for[t].items()) for t in self.candidates}
        self.handle: Any = None
        if definition:
            host.register_rulesets({self.name: definition})
            self.handle = host.get_ruleset(self.name)._handle
        self.fire = _fire_functions(compiled)

    def run(self, etype: str, e: dict[str, Any], out: list[Any]) -> None:
        candidates = self.candidates.get(etype)
        if not candidates:
            return
        fields = {key: encode(e) for key, encode in self.encoders[etype]}
        with self.lock:
            messages = [{"id": next(self.ids), "r": k, **fields} for k in candidates]
            self.verdicts.clear()
            self.host.post_batch(self.name, messages)
            verdicts = sorted(self.verdicts)
        if [k for k, _ in verdicts] != list(candidates):
            raise RuntimeError(
                f"durable_rules answered for rules {verdicts} of {list(candidates)}; "
                "every message must get exactly one answer"
            )
        for k, applies in verdicts:
            if applies:
                out.append(self.fire[k](e))


def _from_json(j: Json) -> _Cond:
    ((op, body),) = j.items()
    if op in ("$and", "$or"):
        parts = tuple(_from_json(p) for p in body)
        return _All(parts) if op == "$and" else _Any(parts)
    if op in _FLIP:
        ((key, value),) = body.items()
        return _Atom(key, op, value)
    return _Atom(op, "$eq", body)


def _json_keys(j: Json) -> set[str]:
    ((op, body),) = j.items()
    if op in ("$and", "$or"):
        return set().union(*(_json_keys(p) for p in body))
    if op in _FLIP:
        return set(body)
    return {op}


def _fire_functions(compiled: CompiledPack) -> list[Callable[[dict[str, Any]], Any]]:
    """Per rule, in pack order: its effect call exactly as compiled, with the compiled pack's
    error mapping (``rule_failed``)."""
    g: dict[str, Any] = dict(compiled.namespace)
    g["_EVAL_ERRORS"] = EVAL_ERRORS
    g["_rule_failed"] = rule_failed
    lines = []
    for k, (rule_id, code) in enumerate(compiled.code.items()):
        g[f"_fire{k}_reads"] = code.reads
        lines += [
            f"def _fire{k}(e):",
            "    try:",
            f"        return {code.call}",
            "    except _EVAL_ERRORS as exc:",
            f"        raise _rule_failed(e, {rule_id!r}, exc, _fire{k}_reads) from None",
        ]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<svcrules durable {compiled.name}>", "exec"), g)  # generated calls
    return [g[f"_fire{k}"] for k in range(len(compiled.code))]


def _quiet_host() -> Any:
    """A durable_rules host of our own, without the background threads that would otherwise
    run actions outside ``post`` (so ``evaluate`` stays synchronous and isolated)."""
    try:
        from durable import engine as durable_engine
    except Exception as exc:  # not installed, or its C core failed to load
        raise ImportError(
            "the durable backend needs durable_rules: pip install 'svcrules[durable]' "
            f"({type(exc).__name__}: {exc})"
        ) from exc

    class QuietHost(durable_engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            pass

    return QuietHost()


def _delete_rulesets(handles: list[Any]) -> None:
    import durable_rules_engine

    for handle in handles:
        durable_rules_engine.delete_ruleset(handle)


class DurableEngine:
    """``Engine``'s twin whose matching runs in durable_rules.

    Takes what ``Engine`` takes; ``omit`` names rules to leave out on purpose. Raises
    ``PackError`` with a ``backend.untranslatable`` diagnostic for every active rule it cannot
    translate exactly (and ``ImportError`` when durable_rules is not installed).
    ``DurableEngine.engine`` is the compiled evaluator over exactly the same rules: the one this
    backend must agree with.
    """

    def __init__(
        self,
        packs: PackSource | Sequence[PackSource],
        *,
        edition: str | None = None,
        params: Mapping[str, Any] | None = None,
        calendars: Mapping[str, Calendar] | None = None,
        omit: Collection[str] = (),
    ) -> None:
        host = _quiet_host()
        engine = Engine(packs, edition=edition, params=params, calendars=calendars)
        left_out = frozenset([omit] if isinstance(omit, str) else omit)
        if left_out:
            known = {r.id for p in engine.packs for r in p.spec.rules}
            unknown = sorted(left_out - known)
            if unknown:
                raise PackError(
                    Diagnostic(
                        "backend.unknown-rule",
                        f"`omit` names rule {rule_id!r}, which no loaded pack has",
                    )
                    for rule_id in unknown
                )
            engine = Engine(
                [_without(p, left_out) for p in engine.packs],
                params=params,
                calendars=calendars,
            )
        self.engine: Engine = engine
        """The compiled evaluator over the same packs, edition, params and rules."""
        self.omitted: frozenset[str] = left_out
        self.translations: tuple[PackTranslation, ...] = tuple(
            translate(p, cp) for p, cp in zip(engine.packs, engine.compiled, strict=True)
        )
        problems = [d for t in self.translations for d in t.refused]
        if problems:
            raise PackError(problems)
        self._lock = threading.Lock()
        runners = [
            _PackRunner(host, t, cp, self._lock)
            for t, cp in zip(self.translations, engine.compiled, strict=True)
        ]
        self._host = host
        handles = [r.handle for r in runners if r.handle is not None]
        weakref.finalize(self, _delete_rulesets, handles)
        dispatch: dict[str, list[tuple[Any, _PackRunner]]] = {}
        for cp, runner in zip(engine.compiled, runners, strict=True):
            for etype, shape in cp.shapes.items():
                dispatch.setdefault(etype, []).append((shape.validate, runner))
        self._dispatch = {t: tuple(steps) for t, steps in dispatch.items()}

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._dispatch)

    def evaluate(self, event: Mapping[str, Any] | Event) -> Decision:
        """What ``event`` implies on its own; raises ``EventError`` if it cannot be evaluated."""
        try:
            if type(event) is not dict:
                if isinstance(event, Event):
                    event = event.to_mapping()
                check_envelope(event, self._dispatch)
            etype = event.get("type")
            steps = self._dispatch.get(etype) if type(etype) is str else None
            if steps is None:
                check_envelope(event, self._dispatch)
                raise AssertionError("unreachable: check_envelope accepted an unknown type")
            assert isinstance(etype, str)
            out: list[Any] = []
            event_id = None
            for validate, runner in steps:
                e = validate(event)
                event_id = e["id"]
                runner.run(etype, e, out)
        except SvcrulesError:
            raise
        except Exception as exc:
            raise internal_error(EventError, "event.internal", "on this event", exc) from exc
        return _decision(event_id, etype, out)

    def evaluate_many(self, events: Iterable[Any]) -> Iterator[Decision | Rejection]:
        """One ``Decision`` or ``Rejection`` per input event, in input order."""
        return each(self.evaluate, events)

    def __repr__(self) -> str:
        packs = ", ".join(f"{p.name} {p.version} ({p.edition})" for p in self.engine.packs)
        return f"<DurableEngine {packs}>"
