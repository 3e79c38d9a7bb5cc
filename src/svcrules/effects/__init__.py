"""Effects: one module per effect kind (``deadline``, ``deduct``, ``escalate``, ``check``), each
holding its spec, checks, emitter and runtime callable; ``base`` holds what they share."""

from svcrules.effects.base import CheckContext, EffectSpec, EmitContext, Emitted, Names
from svcrules.effects.check import CheckSpec
from svcrules.effects.deadline import DeadlineSpec
from svcrules.effects.deduct import DeductSpec
from svcrules.effects.escalate import EscalateSpec

__all__ = [
    "CheckContext",
    "CheckSpec",
    "DeadlineSpec",
    "DeductSpec",
    "EffectSpec",
    "EmitContext",
    "Emitted",
    "EscalateSpec",
    "Names",
]
