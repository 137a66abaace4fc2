"""The ingest's checkpoint after each batch holds DuckDB's memory down, and never fails
for want of memory DuckDB could have had."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from detente import store as store_mod
from detente.errors import StoreError
from detente.records import Article, CodedArticle
from detente.store import Store


def _batch(k: int, n: int = 50) -> list[CodedArticle]:
    return [CodedArticle(Article(id=f"a{k}-{i}", published=date(2021, 1, 1 + i % 28),
                                 text=f"Report {k}-{i}: " + "talks resumed in Geneva. " * 40),
                         (), 40) for i in range(n)]


def _limit(store: Store) -> str:
    row = store.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("headroom", [store_mod.CHECKPOINT_HEADROOM, 0])
def test_lean_checkpoint_writes_the_wal_and_restores_the_limit(
        tmp_path: Path, headroom: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no headroom at all DuckDB runs out of memory in the checkpoint; it is then
    run with the default limit. Either way the WAL is written into the file and the
    default limit is back."""
    monkeypatch.setattr(store_mod, "CHECKPOINT_HEADROOM", headroom)
    db = tmp_path / "s.duckdb"
    for k in range(3):
        with Store(db) as s:
            default = _limit(s)
            s.write(_batch(k))
            s.lean_checkpoint()
            wal = Path(str(db) + ".wal")
            assert not wal.exists() or wal.stat().st_size == 0
            assert _limit(s) == default
    with Store(db, read_only=True) as s:
        assert s.counts()["articles"] == 150
        s.lean_checkpoint()  # read-only: nothing to do, no error


class _FailingCheckpoint:
    """A connection whose CHECKPOINT fails as a full disk makes it fail."""

    def __init__(self, con: object) -> None:
        self._con = con

    def execute(self, sql: str, *args: object) -> object:
        if sql == "CHECKPOINT":
            raise duckdb.IOException("IO Error: No space left on device")
        return self._con.execute(sql, *args)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._con.close()  # type: ignore[attr-defined]


def test_lean_checkpoint_failure_is_a_store_error_and_loses_no_batch(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        s.write(_batch(0))
        s.con = _FailingCheckpoint(s.con)  # type: ignore[assignment]
        with pytest.raises(StoreError, match="checkpointing .* failed") as info:
            s.lean_checkpoint()
        assert "write-ahead log" in (info.value.hint or "")
    with Store(db, read_only=True) as s:
        assert s.counts()["articles"] == 50
