"""Backends: other engines that run svcrules packs, held to the compiled evaluator.

``svcrules.backends.durable`` runs a pack's matching through durable_rules (optional:
``pip install 'svcrules[durable]'``). Nothing in svcrules imports this package; it sits above
the engine and uses it. See docs/backends.md.
"""
