"""Is numba's on-disk cache of alvh's compiled kernels warm? A cheap check, without importing numba.

The first run on a machine (or after an upgrade or an edit of a kernel module) compiles the kernels
into numba's cache (``cache=True``): about 30 s of CPU once; later runs load them in well under a second.
The CLI prints one note on stderr when the cache is cold (:func:`first_run_note`, docs/cli.md).

How: numba writes one index file ``<module>.<function>-<line>.py<XY>.nbi`` per kernel, holding the
SHA-256 of the module's source (its "source stamp"; numba 0.61+). A module is warm when one of its index
files holds the digest of the module's current source, in the folder numba would use: ``NUMBA_CACHE_DIR``
when set, else the module's ``__pycache__`` or the user-wide cache. Reading a few small files: milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

__all__ = ["KERNEL_MODULES", "cold_modules", "first_run_note"]

#: The modules whose cached kernels ``alvh backtest`` compiles (paths inside the package).
KERNEL_MODULES: tuple[str, ...] = (
    "analytics/_condor_kernel.py",
    "analytics/regimes.py",
    "engine/day_kernels.py",
    "market/_spx_kernel.py",
    "pricing/_numba.py",
    "stats/rolling_beta.py",
)

_PACKAGE = Path(__file__).resolve().parent


def _cache_dirs(source: Path) -> list[Path]:
    """Where numba keeps ``source``'s cache (numba.core.caching's locators, in their order)."""
    folder = str(source.parent)
    sub = f"{source.parent.name}_{hashlib.sha1(folder.encode()).hexdigest()}"
    if os.environ.get("NUMBA_CACHE_DIR"):  # numba then uses that folder only
        return [Path(os.environ["NUMBA_CACHE_DIR"]) / sub]
    dirs = [source.parent / "__pycache__"]  # else the module's own, or the user-wide one if that is read-only
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    dirs.append(Path(xdg) / "numba" / sub)
    return dirs


def cold_modules(package: Path = _PACKAGE, modules: tuple[str, ...] = KERNEL_MODULES) -> list[str]:
    """The ``modules`` (paths under ``package``) with no cached kernel for their current source."""
    tag = f".py{sys.version_info.major}{sys.version_info.minor}.nbi"
    cold = []
    for rel in modules:
        src = package / rel
        try:
            digest = hashlib.sha256(src.read_bytes()).digest()
        except OSError:
            continue  # not shipped: nothing to compile
        warm = False
        for d in _cache_dirs(src):
            try:
                names = [p for p in d.iterdir() if p.name.startswith(src.stem + ".") and p.name.endswith(tag)]
            except OSError:
                continue
            if any(digest in p.read_bytes() for p in names):
                warm = True
                break
        if not warm:
            cold.append(rel)
    return cold


def first_run_note() -> str | None:
    """One line for stderr when the kernel cache is cold, else None."""
    cold = cold_modules()
    if not cold:
        return None
    return (
        f"note: numba compiles alvh's kernels into its on-disk cache ({len(cold)} of {len(KERNEL_MODULES)} "
        "modules not cached yet): the first run on this machine, or after an upgrade, takes about 30 s more "
        "CPU; later runs load them (docs/cli.md)"
    )
