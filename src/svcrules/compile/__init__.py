"""Compile: a checked pack for one edition and final params → a ``CompiledPack`` of generated
Python (one function per event type), stdlib-only at run time."""

from svcrules.compile.compiler import CompiledPack, CompiledRule, RuleCode, compile_pack

__all__ = ["CompiledPack", "CompiledRule", "RuleCode", "compile_pack"]
