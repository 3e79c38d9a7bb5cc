"""What importing svcrules loads: the package is lazy; evaluation never pulls in pydantic or YAML.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("pydantic", "yaml", "holidays", "svcrules.pack", "svcrules.compile", "svcrules.engine")


def loaded_after(code: str) -> set[str]:
    """Top-level names in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_import_svcrules_loads_no_pack_stage_pydantic_yaml_or_holidays() -> None:
    loaded = loaded_after("import svcrules")
    assert not loaded & set(HEAVY)


def test_import_runtime_loads_neither_pydantic_nor_yaml() -> None:
    loaded = loaded_after("import svcrules.runtime")
    assert "pydantic" not in loaded
    assert "yaml" not in loaded
    assert "svcrules.pack" not in loaded


def test_import_calendars_does_not_load_holidays_data() -> None:
    loaded = loaded_after("import svcrules.calendars")
    assert "holidays" not in loaded


def test_a_public_name_loads_its_stage_on_first_use() -> None:
    loaded = loaded_after("import svcrules\nassert svcrules.Engine.__name__ == 'Engine'")
    assert {"svcrules.engine", "pydantic"} <= loaded


def test_runtime_names_load_without_the_pack_stage() -> None:
    loaded = loaded_after("import svcrules\nsvcrules.Decision\nsvcrules.EventError")
    assert not loaded & {"pydantic", "yaml", "svcrules.pack"}


@pytest.mark.parametrize("name", ["Engine", "calendar", "Decision", "Pack", "load_pack"])
def test_lazy_names_are_the_defining_objects(name: str) -> None:
    import svcrules

    value = getattr(svcrules, name)
    assert value.__module__.startswith("svcrules.")
    assert value.__name__ == name


def test_dir_lists_every_public_name_before_first_use() -> None:
    code = "import svcrules\nassert set(svcrules.__all__) <= set(dir(svcrules)), dir(svcrules)"
    loaded_after(code)  # raises CalledProcessError if the assertion fails


def test_an_unknown_name_is_an_attribute_error() -> None:
    import svcrules

    with pytest.raises(AttributeError, match="no attribute 'Engin'"):
        svcrules.Engin  # noqa: B018
    assert not hasattr(svcrules, "pydantic")
