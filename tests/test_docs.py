"""The docs keep up with the code: every diagnostic code is documented, the README example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(
    r"[\"'](pack|schema|rule|ref|edition|field|deadline|deduct|escalate|scorecard|counter|"
    r"overlay|params|engine|event|expr|calendar|count|schedule|snapshot|store|backend|case|kpi|report)\.([a-z][a-z-]*)[\"']"
)


def _codes_in_source() -> set[str]:
    codes = set()
    for path in (ROOT / "src" / "svcrules").rglob("*.py"):
        for m in CODE.finditer(path.read_text(encoding="utf-8")):
            codes.add(f"{m.group(1)}.{m.group(2)}")
    return codes


def test_every_diagnostic_code_is_documented() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = sorted(c for c in _codes_in_source() if f"`{c}`" not in doc)
    assert not missing, f"undocumented codes: {missing}"


def test_readme_python_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has a Python example"
    script = tmp_path / "example.py"
    script.write_text(blocks[0], encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert r.returncode == 0, r.stderr
    assert "due" in r.stdout


def test_readme_first_command_exits_0_and_says_so() -> None:
    """The README's first command evaluates the sample month and succeeds, as the README says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.findall(r"```bash\n(.*?)\n", readme, flags=re.S)[0]
    args = first.split("/svcrules ", 1)[1].split()
    assert args[:3] == ["eval", "power-grid", "examples/power-grid-events.jsonl"]
    assert "--ledger" in args
    assert "so it exits 1" not in readme and "exits 0" in readme
    exe = Path(sys.executable).with_name("svcrules")
    r = subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "rejections: 0" in r.stderr
    assert " breached " in r.stdout and "met" in r.stdout  # the ledger's statuses
