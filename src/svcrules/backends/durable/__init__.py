"""Backends: a pack's matching run by durable_rules, its outcomes built by svcrules' runtime.

``DurableEngine`` mirrors ``Engine``: the same packs, editions, params and calendars, the same
event validation (each pack's ``EventShape``), the same ``Decision``. What differs is who decides
that a rule applies: each active rule's whole condition (its effective dates, its ``when`` and
the guards its effect adds, such as a check's failed assertion) is translated into a
durable_rules condition over a JSON message, and durable_rules evaluates it. Once it has, the
effect the compiler bound for that rule builds the outcome, so due times, explanations and
errors are svcrules' own.

The translation is exact or it is refused (``translator``): event values become JSON that
compares exactly in durable_rules' C core (``conditions``); anything it cannot express exactly is
refused with a located ``backend.untranslatable`` diagnostic naming the rule (``translate``):
never a silent difference. ``omit=`` leaves named rules out on purpose. durable_rules consumes an
event when one rule matches it, so each candidate rule gets its own message and a complementary
"does not apply" rule (``engine``). durable_rules is imported when a ``DurableEngine`` is made,
never by ``import svcrules``.
"""

from svcrules.backends.durable.engine import DurableEngine
from svcrules.backends.durable.translate import PackTranslation, RuleTranslation, translate

__all__ = ["DurableEngine", "PackTranslation", "RuleTranslation", "translate"]
