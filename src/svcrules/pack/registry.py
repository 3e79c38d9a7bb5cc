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
    return _plugins()[0]


def _plugins() -> tuple[dict[str, Path], dict[str, str]]:
    """Plug-in packs by name, and the plug-ins that failed to load (name -> what went wrong)."""
    found: dict[str, Path] = {}
    broken: dict[str, str] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            if callable(target):
                target = target()
            found[ep.name] = Path(str(target))
        except Exception as exc:  # a broken plug-in must not break the listing of the others
            broken[ep.name] = f"entry point {ep.value!r}: {type(exc).__name__}: {exc}"
    return found, broken


def _broken_plugin(name: str) -> PackNotFoundError | None:
    """The error for a plug-in pack of this name that is registered but fails to load."""
    problem = _plugins()[1].get(name)
    if problem is None:
        return None
    return PackNotFoundError(
        [
            Diagnostic(
                "pack.plugin-broken",
                f"plug-in pack {name!r} is registered ({ENTRY_POINT_GROUP}) but fails to "
                f"load: {problem}",
                hint="fix or reinstall the distribution that registers it",
            )
        ]
    )


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
    broken = None if looks_like_path else _broken_plugin(text)
    if broken is not None:
        raise broken
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


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or Path(text).suffix.lower() in FORMATS


def resolve_base(
    name: str, overlay_dir: Path, root: Path, explicit_root: bool
) -> tuple[Path, bool]:
    """Where an overlay's ``extends`` points, and whether it is a named (built-in or plug-in) pack.

    A name is a built-in or plug-in pack, else a pack directory beside the overlay. A path is
    relative to the overlay's directory; an absolute path is refused unless the caller set a
    root. Either way a path must resolve (symbolic links followed) inside ``root``: ``extends``
    is no way to read files elsewhere. Raises ``PackError`` (``overlay.outside-root``,
    ``pack.not-found``).
    """
    if not _looks_like_path(name):
        builtin = builtin_dir() / name
        found = _pack_file(builtin) if builtin.is_dir() else None
        if found is not None:
            return found, True
        plugin = _plugin_packs().get(name)
        if plugin is not None:
            found = _pack_file(plugin) if plugin.is_dir() else plugin
            if found is not None and found.is_file():
                return found, True
    p = Path(name)
    if p.is_absolute() and not explicit_root:
        raise _outside(name, "an absolute path is refused unless the caller sets a root")
    resolved = (p if p.is_absolute() else overlay_dir / p).resolve()
    if resolved.is_dir():
        found = _pack_file(resolved)
        resolved = found.resolve() if found is not None else resolved
    if not resolved.is_relative_to(root):
        raise _outside(name, f"it leads outside {str(root)!r}")
    if resolved.is_file():
        return resolved, False
    broken = None if _looks_like_path(name) else _broken_plugin(name)
    if broken is not None:
        raise broken
    raise PackNotFoundError(
        [
            Diagnostic(
                "pack.not-found",
                f"`extends` names {name!r}: no built-in pack, plug-in pack or pack file "
                "beside the overlay has that name",
                "$.extends",
            )
        ]
    )


def _outside(name: str, why: str) -> PackError:
    return PackError(
        [
            Diagnostic(
                "overlay.outside-root",
                f"`extends` names {name!r}, which is not allowed: {why}",
                "$.extends",
                hint="name a built-in or plug-in pack, or a path relative to the overlay "
                "that stays inside the root (load_pack(..., root=...))",
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
