"""Store: one writer, readers that wait for the file, bulk inserts (no model needed)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import coded, make_article, make_event
from detente.errors import StoreLocked, UsageError
from detente.records import Reject
from detente.store import Store, default_lock_timeout, writer_lock

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


def _hold(db: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_store_reader_gives_up_with_e402_naming_the_holder(db_path: Path) -> None:
    Store(db_path).close()
    proc = _hold(db_path, "rw", 30)
    try:
        with pytest.raises(StoreLocked) as info:
            Store(db_path, read_only=True, lock_timeout=0.3)
        assert f"process {proc.pid}" in info.value.message
        assert "DETENTE_LOCK_TIMEOUT" in info.value.hint
        assert info.value.code == "E402"
    finally:
        proc.kill()
        proc.wait()


def test_store_reader_waits_for_a_short_writer(db_path: Path) -> None:
    with Store(db_path) as s:
        s.write([coded(make_article(), make_event("e1"))])
    proc = _hold(db_path, "rw", 1.0)
    t0 = time.perf_counter()
    with Store(db_path, read_only=True, lock_timeout=30) as store:
        assert store.counts()["events"] == 1
    assert time.perf_counter() - t0 > 0.1  # it did wait
    proc.wait()


def test_store_readers_share_the_file(db_path: Path) -> None:
    Store(db_path).close()
    proc = _hold(db_path, "ro", 30)
    try:
        with Store(db_path, read_only=True, lock_timeout=0) as store:
            assert store.counts()["articles"] == 0
        with pytest.raises(StoreLocked):  # but a writer must wait for readers
            Store(db_path, lock_timeout=0.2)
    finally:
        proc.kill()
        proc.wait()


def test_store_second_writer_is_refused_at_once(db_path: Path) -> None:
    code = ("import sys, time; from detente.store import writer_lock\n"
            "with writer_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked) as info, writer_lock(db_path):
            pass
        assert str(proc.pid) in info.value.message
    finally:
        proc.kill()
        proc.wait()
    with writer_lock(db_path):  # the kernel dropped the dead holder's lock
        pass


def test_store_writer_lock_is_reentrant_across_runs(db_path: Path) -> None:
    for _ in range(2):
        with writer_lock(db_path):
            pass


@pytest.mark.parametrize(("raw", "expected"), [("", 30.0), ("0", 0.0), ("2.5", 2.5)])
def test_store_lock_timeout_from_environment(monkeypatch: pytest.MonkeyPatch, raw: str,
                                             expected: float) -> None:
    monkeypatch.setenv("DETENTE_LOCK_TIMEOUT", raw)
    assert default_lock_timeout() == expected


@pytest.mark.parametrize("raw", ["soon", "-1", "nan"])
def test_store_lock_timeout_rejects_nonsense(monkeypatch: pytest.MonkeyPatch,
                                             raw: str) -> None:
    monkeypatch.setenv("DETENTE_LOCK_TIMEOUT", raw)
    with pytest.raises(UsageError):
        default_lock_timeout()


def test_store_bulk_write_dedups_keys_within_a_batch(db_path: Path) -> None:
    art = make_article()
    rej = Reject(source="f.txt", stage="ingest", code="E103", message="empty")
    with Store(db_path) as store:
        store.write([coded(art, make_event("e1"), make_event("e1")), coded(art), rej, rej])
        assert store.counts() == {"articles": 1, "events": 1, "rejects": 1}
        assert store.stored_ids(["a1", "zz"]) == {"a1"}
        assert store.stored_ids([]) == set()
        (ev,) = store.events()
        assert ev["lat"] is None and ev["mode"] == [] and ev["geonameid"] is None


def test_store_failed_batch_leaves_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           ) -> None:
    with Store(db_path) as store:
        orig = store._insert

        def boom(table: str, rows: object, **kw: object) -> None:
            if table == "event_entities":
                raise KeyboardInterrupt
            orig(table, rows, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "_insert", boom)
        with pytest.raises(KeyboardInterrupt):
            store.write([coded(make_article(), make_event("e1"))])
        assert store.counts() == {"articles": 0, "events": 0, "rejects": 0}
