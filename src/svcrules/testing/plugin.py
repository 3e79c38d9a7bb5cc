"""Testing: the pytest plugin (entry point ``pytest11``): every case file beside a pack
(``cases/*.yaml`` next to ``pack.yaml``) is collected, one pytest item per case, named
``PACK: CASE NAME``, run by the same runner as ``svcrules test``; a failure shows the case's
problems (the closest actual item, key by key), not a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from svcrules.errors import PackError
from svcrules.pack.registry import PACK_FILES
from svcrules.testing.cases import CaseResult, CaseRunner, LoadedCase, load_cases
from svcrules.testing.spec import CASE_SUFFIXES

_RUNNERS = pytest.StashKey[dict[Path, CaseRunner]]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in CASE_SUFFIXES and file_path.parent.name == "cases":
        pack_dir = file_path.parent.parent
        if any((pack_dir / name).is_file() for name in PACK_FILES):
            file: CaseFile = CaseFile.from_parent(parent, path=file_path)
            return file
    return None


class CaseFailed(Exception):
    """A case's verdict: its problems."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.render())
        self.result = result


class CaseFile(pytest.File):
    """One case file; its items are its cases."""

    def collect(self) -> Iterator[pytest.Item]:
        runners = self.config.stash.setdefault(_RUNNERS, {})
        pack_dir = self.path.parent.parent.resolve()
        try:
            if pack_dir not in runners:
                runners[pack_dir] = CaseRunner(pack_dir)
        except PackError as exc:
            raise self.CollectError(f"the pack does not load:\n{exc.render()}") from None
        runner = runners[pack_dir]
        for case in load_cases(self.path):
            yield CaseItem.from_parent(
                self, name=f"{runner.pack.name}: {case.name}", runner=runner, case=case
            )


class CaseItem(pytest.Item):
    """One case of a pack."""

    def __init__(self, *, runner: CaseRunner, case: LoadedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runner = runner
        self.case = case

    def runtest(self) -> None:
        result = self.runner.run(self.case)
        if not result.ok:
            raise CaseFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return excinfo.value.result.render()
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.case.line - 1 if self.case.line else None
        return self.path, line, f"case: {self.name}"
