"""A terminal progress bar for steps that take longer than about a second (rich, on stderr).

Shown only when stderr is a terminal (a pipe, a file or a test sees nothing); the bar disappears when
done. Step names may hold user text (a file name): they are escaped, never read as rich markup.

    with Steps("building report", total=3) as step:
        step("charts"); ...; step("HTML"); ...; step("writing"); ...
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

__all__ = ["Steps"]


class Steps:
    """A progress bar of ``total`` named steps; calling the object starts the next step."""

    def __init__(self, title: str, total: int, *, enabled: bool | None = None) -> None:
        self.title = title
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._task: Any = None
        self._done = -1

    def __enter__(self) -> Steps:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=Console(stderr=True, markup=False, highlight=False),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=self.total)
        return self

    def __call__(self, step: str) -> None:
        """Mark the previous step done and show ``step`` (plain text) as the current one."""
        self._done += 1
        if self._progress is not None:
            self._progress.update(
                self._task, completed=self._done, total=self.total, description=f"{self.title}: {step}"
            )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.total)
            self._progress.stop()
