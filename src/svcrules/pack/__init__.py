"""Packs: read a pack's source, validate it into ``*Spec`` models, check it, apply overlays.

The only stage that imports pydantic and PyYAML; everything downstream of it works on the
validated ``Pack``.
"""

from svcrules.pack.loader import load_pack
from svcrules.pack.overlay import deep_merge
from svcrules.pack.registry import PackInfo, list_packs
from svcrules.pack.schema import Pack

__all__ = ["Pack", "PackInfo", "deep_merge", "list_packs", "load_pack"]
