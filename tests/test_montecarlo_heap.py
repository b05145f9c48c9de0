"""alvh.montecarlo._heap: glibc's thresholds set for a run and restored after it (a fake libc records the
calls), nothing done without glibc, and a run's results the same with the real one."""

from __future__ import annotations

import pytest

from alvh.montecarlo import _heap


class _FakeLibc:
    def __init__(self, max_mmap: int) -> None:
        self.max_mmap = max_mmap
        self.calls: list[tuple[str, int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return int(param != _heap.M_MMAP_THRESHOLD or value <= self.max_mmap)

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad, 0))
        return 1


def test_thresholds_set_for_the_run_then_glibc_defaults_and_a_trim():
    libc = _FakeLibc(max_mmap=1 << 40)
    with _heap.reuse_freed_memory(libc) as on:
        assert on
        assert libc.calls == [
            ("mallopt", _heap.M_MMAP_THRESHOLD, _heap.RUN_MMAP),
            ("mallopt", _heap.M_TRIM_THRESHOLD, _heap.RUN_TRIM),
        ]
    assert libc.calls[2:] == [
        ("mallopt", _heap.M_MMAP_THRESHOLD, _heap.GLIBC_DEFAULT),
        ("mallopt", _heap.M_TRIM_THRESHOLD, _heap.GLIBC_DEFAULT),
        ("malloc_trim", 0, 0),
    ]


def test_older_glibc_gets_its_largest_mmap_threshold_and_errors_still_restore():
    libc = _FakeLibc(max_mmap=32 << 20)
    with pytest.raises(ValueError), _heap.reuse_freed_memory(libc):
        raise ValueError("a failing chunk")
    assert ("mallopt", _heap.M_MMAP_THRESHOLD, _heap.RUN_MMAP_MAX_OLD) in libc.calls
    assert libc.calls[-1] == ("malloc_trim", 0, 0)


def test_without_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(_heap, "_glibc", lambda: None)
    with _heap.reuse_freed_memory() as on:
        assert not on
    assert not _heap.keep_freed_memory()
