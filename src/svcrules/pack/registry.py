"""Packs: where a pack name points (built-in, plug-in entry points, paths) and the list of packs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from svcrules.diagnostics import Diagnostic
from svcrules.errors import PackError, PackNotFoundError
from svcrules.pack.sources import FORMATS, read_file

PACK_FILES = ("pack.yaml", "pack.yml", "pack.toml", "pack.json")


ENTRY_POINT_GROUP = "svcrules.packs"


@dataclass(frozen=True, slots=True)
class PackInfo:
    """A pack that ``list_packs`` found: enough to choose one without compiling it."""

    name: str
    version: str
    title: str
    source: str
    origin: str  # "builtin" or "plugin"

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "source": self.source,
            "origin": self.origin,
        }


def builtin_dir() -> Path:
    """Where the built-in packs are: inside the installed package, or the repository's policies/."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_policies"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "policies"


def _plugin_packs() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            if callable(target):
                target = target()
            found[ep.name] = Path(str(target))
        except Exception:  # a broken plug-in must not break the listing of the others
            continue
    return found


def _pack_file(directory: Path) -> Path | None:
    for name in PACK_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, Path)
        or "/" in text
        or "\\" in text
        or (Path(text).suffix.lower() in FORMATS)
    )
    candidates: list[Path] = []
    if looks_like_path:
        p = Path(text)
        if relative_to is not None and not p.is_absolute():
            candidates.append(relative_to / p)
        candidates.append(p)
    else:
        candidates.append(builtin_dir() / text)
        plugin = _plugin_packs().get(text)
        if plugin is not None:
            candidates.append(plugin)
        if relative_to is not None:
            candidates.append(relative_to / text)
        candidates.append(Path(text))
    for p in candidates:
        if p.is_dir():
            found = _pack_file(p)
            if found is not None:
                return found
        elif p.is_file():
            return p
    known = sorted(info.name for info in list_packs())
    raise PackNotFoundError(
        [
            Diagnostic(
                "pack.not-found",
                f"no built-in pack, plug-in pack or file named {text!r}",
                hint=("built-in and plug-in packs: " + ", ".join(known)) if known else None,
            )
        ]
    )


def list_packs() -> list[PackInfo]:
    """Built-in and plug-in packs, by name; a pack that fails to load is still listed."""
    out: list[PackInfo] = []
    roots: list[tuple[str, Path]] = []
    base = builtin_dir()
    if base.is_dir():
        roots += [("builtin", d) for d in sorted(base.iterdir()) if d.is_dir()]
    roots += [("plugin", p) for _, p in sorted(_plugin_packs().items())]
    for origin, root in roots:
        file = _pack_file(root) if root.is_dir() else root
        if file is None:
            continue
        try:
            doc = read_file(file)
            data = doc.data if isinstance(doc.data, Mapping) else {}
        except PackError:
            data = {}
        out.append(
            PackInfo(
                name=str(data.get("pack", root.name)),
                version=str(data.get("version", "?")),
                title=str(data.get("title", "")),
                source=str(file),
                origin=origin,
            )
        )
    return out
