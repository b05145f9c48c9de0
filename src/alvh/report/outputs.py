"""An output folder that cannot mislead: written beside ``--out``, renamed into place when complete.

A command that writes a folder of results (``alvh backtest``, ``alvh simulate``, ``alvh sweep``) does::

    from alvh.report.outputs import OutputFolder

    folder = OutputFolder.prepare(out, overwrite=overwrite)   # before any computation: refuses a bad --out
    with folder:                                               # an exception removes the partial folder
        ...compute...
        folder.write_json("summary.json", summary)
        frame.to_parquet(folder.path("daily.parquet"))        # any writer, into the staging folder
        folder.copy_in(rules_path, "rules.toml")               # or folder.write_text("rules.toml", text)
        final = folder.commit(command="backtest")               # manifest.json, then the rename

Guarantees (docs/report.md, "Output folders"):

* nothing is written at ``out`` until :meth:`OutputFolder.commit`: the files go into a hidden staging folder
  beside it (``.NAME.partial-XXXX``, same file system, so the final step is one ``rename``); a killed run
  leaves only that hidden folder, never a finished-looking ``out``;
* ``manifest.json`` is written last and lists every file with its size and SHA-256: it is the completion
  marker (:func:`read_manifest` checks it, :func:`verify` re-hashes every file);
* an existing non-empty ``out`` is refused unless ``overwrite``; even then only a folder alvh wrote (it holds
  a ``manifest.json``, or only the files an older alvh wrote) is replaced, so ``--out ~ --overwrite`` cannot
  delete a home folder;
* a bad ``out`` (a file, an unwritable parent) is an :class:`~alvh.errors.InputError` from :meth:`prepare`,
  raised before the caller computes anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from alvh.errors import DataError, InputError

__all__ = ["MANIFEST", "OutputFolder", "PngTarget", "read_manifest", "verify"]

#: The completion marker's file name.
MANIFEST = "manifest.json"
#: Files an alvh before the manifest wrote into --out: such a folder may be replaced with ``overwrite``.
LEGACY_FILES = frozenset(
    {"summary.json", "daily.parquet", "trades.csv", "events.csv", "rebalance.csv", "drag_monthly.csv", "regimes.csv"}
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class OutputFolder:
    """A staging folder beside ``out`` that becomes ``out`` on :meth:`commit` (see the module docstring)."""

    def __init__(self, out: Path, staging: Path, replace: bool) -> None:
        self.out = out
        self.staging = staging
        self._replace = replace
        self._done = False

    @classmethod
    def prepare(cls, out: str | Path, *, overwrite: bool = False, argument: str = "--out") -> OutputFolder:
        """Check ``out`` and create the staging folder beside it; raises InputError naming ``argument``."""
        out = Path(out).expanduser().resolve()  # a symlinked --out: its target is the folder replaced
        replace = False
        if out.exists():
            if not out.is_dir():
                raise InputError(f"{out} exists and is not a folder", argument=argument, expected="a folder path")
            entries = sorted(p.name for p in out.iterdir())
            if entries:
                if not overwrite:
                    raise InputError(
                        f"{out} is not empty ({_listing(entries)})",
                        argument=argument,
                        expected="a new or empty folder, or --overwrite to replace an earlier run's folder",
                    )
                foreign = [e for e in entries if e not in LEGACY_FILES] if MANIFEST not in entries else []
                if foreign:
                    raise InputError(
                        f"{out} holds files alvh did not write ({_listing(foreign)}); --overwrite replaces only "
                        "an earlier run's folder",
                        argument=argument,
                        expected="a new or empty folder, or an earlier alvh output folder",
                    )
                replace = True
        parent = out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging = _new_staging(parent, out.name)
        except OSError as exc:
            raise InputError(
                f"cannot create a folder in {parent} ({exc.strerror or exc})",
                argument=argument,
                expected="a folder path whose parent is writable",
            ) from None
        return cls(out, staging, replace or out.exists())

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` (relative, may contain ``/``) now; its folder is created."""
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or name == MANIFEST:
            raise InputError(f"{name!r} is not a file name inside the output", argument="name")
        p = self.staging / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write_text(self, name: str, text: str) -> Path:
        p = self.path(name)
        p.write_text(text, encoding="utf-8")
        return p

    def write_bytes(self, name: str, data: bytes) -> Path:
        p = self.path(name)
        p.write_bytes(data)
        return p

    def write_json(self, name: str, obj: object) -> Path:
        """``obj`` as indented JSON (values JSON cannot hold, e.g. dates, as their ``str``)."""
        return self.write_text(name, json.dumps(obj, indent=2, default=str) + "\n")

    def copy_in(self, src: str | Path, name: str) -> Path:
        """Copy the file ``src`` (e.g. the rules file used) into the output as ``name``."""
        p = self.path(name)
        shutil.copyfile(src, p)
        return p

    def files(self) -> list[str]:
        """The files written so far (relative names, sorted)."""
        return sorted(p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file())

    def commit(self, **info: Any) -> Path:
        """Write ``manifest.json`` (every file, bytes, sha256, plus ``info``) and rename the folder into place.

        ``info`` is recorded in the manifest as given (e.g. ``command="backtest"``, ``config_hash=...``).
        Returns the final folder (``out``).
        """
        from alvh._version import __version__

        files = [
            {"name": n, "bytes": (self.staging / n).stat().st_size, "sha256": _sha256(self.staging / n)}
            for n in self.files()
        ]
        manifest = {
            "complete": True,
            "alvh_version": __version__,
            "written_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            **info,
            "files": files,
        }
        (self.staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        old: Path | None = None
        if self._replace and self.out.exists():
            old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}-{self.staging.name[-8:]}")
            os.replace(self.out, old)
        os.replace(self.staging, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._done = True
        return self.out

    def abort(self) -> None:
        """Remove the staging folder (nothing at ``out`` changes)."""
        if not self._done:
            shutil.rmtree(self.staging, ignore_errors=True)
            self._done = True

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # an error (or Ctrl-C) before commit: leave no partial output behind
        if not self._done:
            self.abort()


class PngTarget:
    """Where ``--png DIR`` goes: a subfolder of the run's ``--out`` (covered by its manifest), or its own folder.

    Use as a context manager inside the run's ``with folder:`` (an error removes its staging folder too).
    """

    def __init__(self, run: OutputFolder, rel: Path | None, own: OutputFolder | None) -> None:
        self._run, self._rel, self._own = run, rel, own

    @classmethod
    def prepare(cls, png: str | Path, run: OutputFolder, *, overwrite: bool = False) -> PngTarget:
        p = Path(png).expanduser().resolve()
        try:
            rel = p.relative_to(run.out)
        except ValueError:
            return cls(run, None, OutputFolder.prepare(p, overwrite=overwrite, argument="--png"))
        if not rel.parts:
            raise InputError("is the --out folder itself", argument="--png", expected="a folder inside --out or apart")
        return cls(run, rel, None)

    def folder_path(self) -> Path:
        """The folder to write the PNG files into now."""
        if self._own is not None:
            return self._own.staging
        p = self._run.staging / self._rel  # type: ignore[operator]
        p.mkdir(parents=True, exist_ok=True)
        return p

    def finish(self, final_run: Path) -> Path:
        """After the run's commit: commit the PNG folder (when apart); returns where the PNGs are."""
        if self._own is not None:
            return self._own.commit(command="png")
        return final_run / self._rel  # type: ignore[operator]

    def __enter__(self) -> PngTarget:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._own is not None:
            self._own.abort()


def _new_staging(parent: Path, name: str) -> Path:
    """A new hidden folder ``.NAME.partial-XXXXXXXX`` in ``parent`` with the user's usual permissions
    (``tempfile.mkdtemp`` would make it 0700, and the renamed run folder with it)."""
    while True:
        p = parent / f".{name}.partial-{secrets.token_hex(4)}"
        try:
            p.mkdir()
            return p
        except FileExistsError:
            continue


def _listing(names: Iterable[str], limit: int = 5) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The manifest of a finished run folder; DataError naming the folder when it is missing or incomplete."""
    run = Path(run_dir)
    p = run / MANIFEST
    if not run.is_dir():
        raise DataError("is not a folder", file=run, expected="a run folder written by alvh")
    if not p.is_file():
        raise DataError(
            f"no {MANIFEST}: not a finished alvh run (interrupted, or written by an older alvh)",
            file=run,
            expected="a folder written by 'alvh backtest --out' or 'alvh simulate --out'",
        )
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", file=p, expected="alvh's manifest") from None
    if not isinstance(manifest, dict) or manifest.get("complete") is not True or "files" not in manifest:
        raise DataError("not a completion marker", file=p, expected='a JSON object with "complete": true and "files"')
    return manifest


def verify(run_dir: str | Path) -> dict[str, Any]:
    """:func:`read_manifest`, then every listed file re-hashed; DataError naming the first that differs."""
    run = Path(run_dir)
    manifest = read_manifest(run)
    for entry in manifest["files"]:
        p = run / str(entry["name"])
        if not p.is_file():
            raise DataError("listed in manifest.json but missing", file=p, expected="the run's file")
        if _sha256(p) != entry["sha256"]:
            raise DataError(
                "changed since the run wrote it (SHA-256 differs from manifest.json)",
                file=p,
                expected=f"sha256 {entry['sha256']}",
            )
    return manifest
