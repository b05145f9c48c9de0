"""alvh.report.outputs: a folder renamed into place when complete, a manifest of checksums, refusals first."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from alvh.errors import DataError, InputError
from alvh.report.outputs import MANIFEST, OutputFolder, read_manifest, verify


def _hidden(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_nothing_at_out_until_commit_then_a_manifest_of_every_file(tmp_path):
    out = tmp_path / "run"
    folder = OutputFolder.prepare(out)
    with folder:
        folder.write_json("summary.json", {"x": 1})
        folder.write_text("sub/notes.txt", "hello")
        folder.path("raw.bin").write_bytes(b"\x00\x01")
        assert not out.exists()  # still only the hidden staging folder
        assert folder.staging.parent == tmp_path and folder.staging.name.startswith(".run.partial-")
        final = folder.commit(command="test", config_hash="abc")
    assert final == out.resolve()
    m = json.loads((out / MANIFEST).read_text())
    assert m["complete"] is True and m["command"] == "test" and m["config_hash"] == "abc"
    names = [f["name"] for f in m["files"]]
    assert names == ["raw.bin", "sub/notes.txt", "summary.json"]
    for f in m["files"]:  # checked against hashlib directly, not the module's own helper
        data = (out / f["name"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["bytes"] == len(data)
    assert verify(out) == m
    assert _hidden(tmp_path) == []  # no staging folder left


def test_an_error_before_commit_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), OutputFolder.prepare(out) as folder:
        folder.write_json("summary.json", {"x": 1})
        raise RuntimeError("killed")
    assert not out.exists() and _hidden(tmp_path) == []


def test_a_killed_process_leaves_no_finished_looking_folder(tmp_path):
    # a real kill (no cleanup runs): only the hidden partial folder remains, never out/summary.json
    out = tmp_path / "run"
    code = (
        "import os; from alvh.report.outputs import OutputFolder\n"
        f"f = OutputFolder.prepare({str(out)!r}); f.write_json('summary.json', {{'x': 1}}); os._exit(9)\n"
    )
    r = subprocess.run([sys.executable, "-c", code])
    assert r.returncode == 9
    assert not out.exists()
    assert [n.startswith(".run.partial-") for n in _hidden(tmp_path)] == [True]
    with pytest.raises(DataError, match="not a folder"):
        read_manifest(out)


def test_non_empty_out_refused_without_overwrite_and_before_any_write(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    with pytest.raises(InputError, match="--out.*is not empty.*summary.json"):
        OutputFolder.prepare(out)
    assert _hidden(tmp_path) == []  # refused before creating anything


def test_overwrite_replaces_an_earlier_run_only(tmp_path):
    out = tmp_path / "run"
    with OutputFolder.prepare(out) as f:
        f.write_text("a.txt", "first")
        f.write_text("old_only.txt", "gone after the rerun")
        f.commit()
    with OutputFolder.prepare(out, overwrite=True) as f:
        f.write_text("a.txt", "second")
        f.commit()
    assert (out / "a.txt").read_text() == "second"
    assert not (out / "old_only.txt").exists()  # two runs' files never mixed
    assert _hidden(tmp_path) == []
    # a folder alvh did not write is never replaced, even with --overwrite
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="did not write.*thesis.docx"):
        OutputFolder.prepare(home, overwrite=True)
    assert (home / "thesis.docx").read_text() == "precious"


def test_an_empty_existing_folder_is_used(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with OutputFolder.prepare(out) as f:
        f.write_text("a.txt", "x")
        f.commit()
    assert verify(out)["files"][0]["name"] == "a.txt"


def test_out_that_is_a_file_or_under_a_file(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        OutputFolder.prepare(f)
    with pytest.raises(InputError, match="cannot create a folder"):
        OutputFolder.prepare(f / "run")


def test_names_outside_the_folder_are_refused(tmp_path):
    with OutputFolder.prepare(tmp_path / "run") as f:
        for bad in ("../x", "/etc/x", MANIFEST):
            with pytest.raises(InputError):
                f.path(bad)


def test_verify_names_a_changed_or_missing_file(tmp_path):
    out = tmp_path / "run"
    with OutputFolder.prepare(out) as f:
        f.write_text("a.txt", "x")
        f.write_text("b.txt", "y")
        f.commit()
    (out / "a.txt").write_text("edited")
    with pytest.raises(DataError, match=r"a\.txt.*SHA-256 differs"):
        verify(out)
    (out / "a.txt").write_text("x")
    (out / "b.txt").unlink()
    with pytest.raises(DataError, match=r"b\.txt.*missing"):
        verify(out)
    (out / MANIFEST).write_text('{"complete": false}')
    with pytest.raises(DataError, match="not a completion marker"):
        read_manifest(out)
