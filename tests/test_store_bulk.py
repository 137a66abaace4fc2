"""Batched inserts of the store: one Arrow-backed statement per table and batch, with the
same first-wins / last-wins semantics the row-by-row inserts had."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import coded, make_article, make_event
from detente.records import Entity, Event, Place, Reject
from detente.store import DedupBatch, Store


def test_store_bulk_write_roundtrip_with_empty_and_null_columns(db_path: Path) -> None:
    art = make_article(aid="a1")
    plain = make_event("e1", mode=(), context=(), objects=(), location=None)
    rich = make_event("e2", mode=("military",), context=("military", "economic"),
                      location=Place(text="Ankara", name="Ankara", country="TUR", lat=39.9,
                                     lon=32.8, geonameid=323786),
                      recipient=None)
    with Store(db_path) as store:
        store.write([coded(art, plain, rich)], kb_version="kb1", coder="c")
        got = {e.id: e for e in store.iter_events()}
    assert set(got) == {"e1", "e2"}
    assert got["e1"].mode == () and got["e1"].objects == () and got["e1"].location is None
    assert got["e2"].context == ("military", "economic")
    assert got["e2"].location is not None and got["e2"].location.geonameid == 323786
    assert got["e2"].recipient == ()
    assert got["e1"].actor[0].code == "USA"


def test_store_bulk_write_keeps_first_of_duplicate_keys(db_path: Path) -> None:
    a1 = make_article("first text", aid="a1")
    a1_again = make_article("second text", aid="a1")
    e = make_event("e1")
    e_again = make_event("e1", event_type="ACCUSE")
    with Store(db_path) as store:
        store.write([coded(a1, e), coded(a1_again, e_again)])
        store.write([coded(make_article("third", aid="a1"), make_event("e1", cameo="999"))])
        assert store.counts()["articles"] == 1
        assert store.counts()["events"] == 1
        (ev,) = store.iter_events()
        assert ev.event_type == "REQUEST" and ev.cameo == "100"
        assert store.con.execute("SELECT count(*) FROM event_entities").fetchone() == (2,)


def test_store_bulk_write_dedup_rows_replace(db_path: Path) -> None:
    art = make_article(aid="a1")
    row1 = ("a1", "h1", None, None, None, None, "s")
    row2 = ("a1", "h2", b"\x00" * 8, "a0", "near", 0.9, "s")
    with Store(db_path) as store:
        store.write([coded(art)], dedup=DedupBatch(articles=[row1]))
        store.write([], dedup=DedupBatch(articles=[row1, row2]))
        got = store.con.execute("SELECT body_hash, duplicate_of, kind FROM article_dedup"
                                ).fetchall()
    assert got == [("h2", "a0", "near")]


def test_store_bulk_write_many_rows_and_rejects(db_path: Path) -> None:
    items: list[object] = []
    for i in range(300):
        art = make_article(f"text {i}", aid=f"a{i}", day=date(2021, 1, 1 + i % 28))
        evs: list[Event] = [make_event(f"e{i}-{k}", article_id=art.id,
                                       actor=(Entity(code="USA"), Entity(code="GBR")))
                            for k in range(3)]
        items.append(coded(art, *evs))
    items.append(Reject(source="x.jsonl:3", stage="ingest", code="E101", message="bad"))
    with Store(db_path) as store:
        store.write(items)  # type: ignore[arg-type]
        counts = store.counts()
        n_ents = store.con.execute("SELECT count(*) FROM event_entities").fetchone()
    assert counts["articles"] == 300 and counts["events"] == 900 and counts["rejects"] == 1
    assert n_ents == (900 * 3,)
