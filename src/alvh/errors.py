"""The errors alvh raises at its boundaries.

Every error names where the problem is (file, row, column, config key or
argument) and what was expected, so a user can fix the input without reading
code. The CLI prints ``str(error)`` as one line on stderr and exits non-zero.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class AlvhError(Exception):
    """Base class of every error alvh raises on purpose."""


class DataError(AlvhError, ValueError):
    """Bad market data: names the file, row, column and what was expected.

    ``row`` is the 1-based line number in the file as a text editor shows it
    (the header is line 1) when the error comes from a file, else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ": ".join([", ".join(where), self.message]) if where else self.message
        if self.expected is not None:
            text += f" (expected {self.expected})"
        return text


class ConfigError(AlvhError, ValueError):
    """Bad rules/configuration: names the key (dotted path) and what was expected."""

    def __init__(
        self, message: str, *, key: str | None = None, expected: str | None = None, file: str | Path | None = None
    ) -> None:
        self.key = key
        self.expected = expected
        self.file = str(file) if file is not None else None
        self.message = message
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if key is not None:
            parts.append(f"key {key!r}")
        text = (", ".join(parts) + ": " + message) if parts else message
        if expected is not None:
            text += f" (expected {expected})"
        super().__init__(text)


class InputError(AlvhError, ValueError):
    """A bad argument at a public API boundary (pricing, analytics): names the argument."""

    def __init__(self, message: str, *, argument: str, expected: str | None = None) -> None:
        self.argument = argument
        self.expected = expected
        text = f"argument {argument!r}: {message}"
        if expected is not None:
            text += f" (expected {expected})"
        super().__init__(text)


def path_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a data file, or None when it is a readable regular file.

    Distinguishes a missing file, a directory, a device or other special file (``/dev/null``,
    a FIFO, a socket) and a file without read permission, so that a message never says "file not
    found" for a directory.

    >>> path_problem("/")
    'is a directory, not a file'
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return "file not found"
    except PermissionError:
        return "cannot be read (permission denied)"
    except OSError as exc:
        return f"cannot be accessed ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a file"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "is a device, not a regular file"
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
        return "is a pipe or socket, not a regular file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if not os.access(p, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def check_readable(path: str | Path, *, expected: str = "a readable CSV file") -> Path:
    """``path`` as a Path, or a :class:`DataError` saying what it is instead (see :func:`path_problem`)."""
    problem = path_problem(path)
    if problem is not None:
        raise DataError(problem, file=path, expected=expected)
    return Path(path)
