"""Expressions: the safe expression language of packs: limits and runtime functions
(``functions``), parse and check once (``check``), Python code generation (``codegen``)."""

from svcrules.expr.check import parse_expr
from svcrules.expr.codegen import Expr
from svcrules.expr.functions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_INT,
    MAX_ITEMS,
    MAX_LENGTH,
    MAX_POWER_BITS,
    MAX_SEQUENCE,
    MAX_STRING,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INT",
    "MAX_ITEMS",
    "MAX_LENGTH",
    "MAX_POWER_BITS",
    "MAX_SEQUENCE",
    "MAX_STRING",
    "Expr",
    "parse_expr",
]
