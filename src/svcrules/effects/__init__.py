"""Effects: one module per effect kind (``deadline``, ``deduct``, ``escalate``, ``check``,
``count``, ``schedule``), each holding its spec, checks, emitter and runtime callable; ``base``
holds what they share."""

from svcrules.effects.base import CheckContext, EffectSpec, EmitContext, Emitted, Names
from svcrules.effects.check import CheckSpec
from svcrules.effects.count import CountSpec
from svcrules.effects.deadline import DeadlineSpec
from svcrules.effects.deduct import DeductSpec
from svcrules.effects.escalate import EscalateSpec
from svcrules.effects.schedule import ScheduleSpec

__all__ = [
    "CheckContext",
    "CheckSpec",
    "CountSpec",
    "DeadlineSpec",
    "DeductSpec",
    "EffectSpec",
    "EmitContext",
    "Emitted",
    "EscalateSpec",
    "Names",
    "ScheduleSpec",
]
