"""One backend switch for every compiled/numpy pair: :func:`resolve_backend` ``(name) -> Backend``.

alvh runs its hot loops either as plain numpy (the reference, always available) or as numba
kernels (a declared dependency, used when installed). Every public function with a ``backend=``
argument (pricing, the engine, the rolling beta, attribution, effective vega) resolves it here, so
the accepted names, the errors and the ``"auto"`` rule are the same everywhere:

* ``"numpy"``: the numpy path; numba is not imported (it costs ~0.3 s and ~60 MB on first import);
* ``"numba"``: the compiled path; an :class:`~alvh.errors.InputError` when numba is not installed;
* ``"auto"``: numba when installed and the work is at least ``auto_min_size`` elements (callers
  pass their own break-even size; 0 = always), else numpy.

Examples
--------
>>> resolve_backend("numpy")
Backend(name='numpy')
>>> resolve_backend("auto", size=10, auto_min_size=1000).name
'numpy'
>>> resolve_backend("fast")
Traceback (most recent call last):
...
alvh.errors.InputError: argument 'backend': unknown backend 'fast' (expected "auto", "numpy" or "numba")
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from alvh.errors import InputError

BackendName = Literal["auto", "numpy", "numba"]
#: The names every ``backend=`` argument accepts.
BACKEND_NAMES: tuple[str, ...] = ("auto", "numpy", "numba")


@dataclass(frozen=True)
class Backend:
    """A resolved backend: ``name`` is ``"numpy"`` or ``"numba"`` (never ``"auto"``)."""

    name: Literal["numpy", "numba"]

    @property
    def compiled(self) -> bool:
        """True for the numba path."""
        return self.name == "numba"


@functools.cache
def numba_available() -> bool:
    """Whether numba imports (checked once per process; imports numba)."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return False
    return True


def resolve_backend(
    name: str, *, size: int | None = None, auto_min_size: int = 0, argument: str = "backend"
) -> Backend:
    """Resolve a ``backend=`` argument.

    Parameters
    ----------
    name : {"auto", "numpy", "numba"}
    size : int, optional
        Elements (or cells) of the work, for ``"auto"``; None = large enough.
    auto_min_size : int
        With ``"auto"``, numba from this size on (below it numpy's per-call cost is lower).
    argument : str
        Argument name used in the error.

    Raises
    ------
    InputError
        An unknown name, or ``"numba"`` without numba installed.
    """
    if name == "numpy":
        return Backend("numpy")  # without importing numba
    if name not in BACKEND_NAMES:
        raise InputError(f"unknown backend {name!r}", argument=argument, expected='"auto", "numpy" or "numba"')
    if name == "numba":
        if not numba_available():
            raise InputError("numba is not installed", argument=argument, expected='"auto" or "numpy"')
        return Backend("numba")
    big_enough = size is None or size >= auto_min_size
    return Backend("numba" if big_enough and numba_available() else "numpy")
