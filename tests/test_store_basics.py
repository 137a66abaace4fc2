"""Store: schema, idempotent batched writes, filters, rejects, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import coded, make_article, make_event
from detente.errors import NotFound, SchemaMismatch, StoreError
from detente.records import Reject
from detente.store import Store


def test_store_write_and_read_back(db_path: Path) -> None:
    with Store(db_path) as store:
        store.write([coded(make_article(), make_event("e1"), make_event("e2", actor="RUS"))])
        assert store.counts() == {"articles": 1, "events": 2, "rejects": 0}
        (ev,) = store.events(actor="RUS")
        assert ev["id"] == "e2"
        assert ev["cameo"] == "100" and isinstance(ev["cameo"], str)
        assert ev["actor"][0]["code"] == "RUS"
        assert ev["recipient"][0]["cameo"] == "TURGOV"
        assert ev["objects"][0]["name"] == "S-400"


def test_store_write_is_idempotent(db_path: Path) -> None:
    batch = [coded(make_article(), make_event("e1")),
             Reject(source="f.txt", stage="ingest", code="E103", message="empty")]
    with Store(db_path) as store:
        store.write(batch)
        store.write(batch)
        assert store.counts() == {"articles": 1, "events": 1, "rejects": 1}
        assert store.has_article("a1")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "USA"}, {"e1", "e3"}),
        ({"actor": "usagov"}, {"e1", "e3"}),
        ({"recipient": "TUR"}, {"e1", "e2"}),
        ({"event_type": "consult"}, {"e3"}),
        ({"since": date(2021, 9, 1)}, {"e1", "e2"}),
        ({"until": date(2021, 8, 31)}, {"e3"}),
        ({"text": "URGED"}, {"e1", "e2", "e3"}),
        ({"min_confidence": 0.8}, {"e2"}),
        ({"actor": "USA' OR 1=1 --"}, set()),
    ],
)
def test_store_event_filters(db_path: Path, filters: dict[str, object],
                             expected: set[str]) -> None:
    with Store(db_path) as store:
        store.write([coded(make_article(), make_event("e1"),
                           make_event("e2", actor="RUS", confidence=0.9),
                           make_event("e3", event_type="CONSULT", recipient="CHN",
                                      day=date(2021, 8, 1)))])
        got = {r["id"] for r in store.events(**filters)}  # type: ignore[arg-type]
    assert got == expected


def test_store_reopen_read_only(db_path: Path) -> None:
    with Store(db_path) as store:
        store.write([coded(make_article(), make_event())])
    with Store(db_path, read_only=True) as store:
        assert store.counts()["events"] == 1
        assert store.event("e1")["event_type"] == "REQUEST"
        with pytest.raises(NotFound):
            store.event("nope")


def test_store_missing_file_read_only_is_clear(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as info:
        Store(tmp_path / "absent.duckdb", read_only=True)
    assert info.value.code == "E404"


def test_store_refuses_foreign_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE x (a INT)")
    con.close()
    with pytest.raises(SchemaMismatch):
        Store(path)


def test_store_refuses_non_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        Store(path)


def test_store_missing_directory_is_clear(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Store(tmp_path / "no" / "such" / "dir.duckdb")
    assert "does not exist" in info.value.message
