"""The server under load, without timing anything: the reader pool and its queue (503
E716 with Retry-After instead of a timeout), connections reused after a timeout, and a
cache that a write empties only where it changed something."""

from __future__ import annotations

import threading
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import coded, has_model, make_article, make_event
from detente.server import AnswerCache, ServerConfig, create_app, page_tag
from detente.store import EventFilter, Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "l.duckdb") as s:
        s.write([coded(make_article(aid="a1"), make_event("e1"),
                       make_event("e2", actor="RUS", recipient="UKR", event_type="ASSAULT"))])
        yield s


def app_and_client(store: Store, **kw: Any) -> tuple[Any, TestClient]:
    """An app whose answers are computed by the store (no in-memory index), unless
    ``memory_index`` says otherwise: what these tests are about."""
    kw.setdefault("memory_index", False)
    app = create_app(ServerConfig(db=store.path, rate_limit=0, **kw), store=store)
    return app, TestClient(app, base_url=BASE, raise_server_exceptions=False)


def test_server_busy_answers_503_with_retry_after(store: Store) -> None:
    app, tc = app_and_client(store, db_workers=1, queue_timeout=0.05)
    readers = app.app.state.detente.readers
    assert readers.slots.acquire(timeout=5)  # the one worker is taken
    try:
        r = tc.get("/events?actor=USA")
    finally:
        readers.slots.release()
    assert r.status_code == 503
    body = r.json()["error"]
    assert body["code"] == "E716" and body["status"] == 503 and body["hint"]
    assert int(r.headers["retry-after"]) >= 1
    assert tc.get("/events?actor=USA").status_code == 200  # the worker is free again
    assert tc.get("/health").json()["readers"]["busy_answers"] == 1


def test_server_requests_queue_for_a_worker(store: Store) -> None:
    app, tc = app_and_client(store, db_workers=1, queue_timeout=30, cache_size=0)
    readers = app.app.state.detente.readers
    assert readers.slots.acquire(timeout=5)
    answers: list[int] = []
    t = threading.Thread(target=lambda: answers.append(tc.get("/dyads/USA/TUR").status_code))
    t.start()
    t.join(0.3)
    assert t.is_alive() and not answers  # waiting for the worker, not refused
    readers.slots.release()
    t.join(30)
    assert answers == [200]


def test_server_connection_reused_after_a_timeout(store: Store, monkeypatch: Any) -> None:
    def slow(self: Store, *a: Any, **k: Any) -> Any:
        return self.con.execute("SELECT count(*) FROM range(1000000000000) t(i) "
                                "WHERE i % 7 = 3").fetchall()

    app, tc = app_and_client(store, db_workers=1, query_timeout=0.05, cache_size=0)
    with monkeypatch.context() as m:
        m.setattr(Store, "code_dyad_series", slow)
        assert tc.get("/dyads/USA/TUR").json()["error"]["code"] == "E703"
    for _ in range(3):
        r = tc.get("/dyads/USA/TUR")
        assert r.status_code == 200 and r.json()["series"][0]["events"] == 1


def test_server_cache_drops_only_what_a_write_touches() -> None:
    cache = AnswerCache(10)
    cache.put(("dyad", "USA", "TUR"), b"1", tags=("d:USA>TUR", "d:TUR>USA"))
    cache.put(("dyad", "RUS", "UKR"), b"2", tags=("d:RUS>UKR", "d:UKR>RUS"))
    cache.put(("top",), b"3")
    cache.invalidate({"*", "a:RUS", "d:RUS>UKR"})
    assert cache.get(("dyad", "USA", "TUR")) == b"1"
    assert cache.get(("dyad", "RUS", "UKR")) is None and cache.get(("top",)) is None
    generation = cache.generation
    cache.invalidate({"d:USA>TUR"})  # a write committed while an answer was computed
    cache.put(("dyad", "CHN", "IND"), b"4", tags=("d:CHN>IND",), generation=generation)
    assert cache.get(("dyad", "CHN", "IND")) is None
    small = AnswerCache(10, max_bytes=80)
    for i in range(5):
        small.put((i,), b"x" * 10)
    small.put((9,), b"y" * 10)
    assert small.stats()["bytes"] <= 80 and small.get((9,)) == b"y" * 10


@pytest.mark.parametrize(("filters", "tag"), [
    ({}, "*"), ({"actor": "usa"}, "a:USA"), ({"recipient": "TUR"}, "r:TUR"),
    ({"event_type": "assault"}, "t:ASSAULT"), ({"actor": "USA", "recipient": "tur",
                                                "event_type": "REQUEST"}, "d:USA>TUR"),
    ({"actor": "USA", "article_id": "a1"}, "*")])
def test_server_page_tag(filters: dict[str, str], tag: str) -> None:
    assert page_tag(EventFilter(**filters)) == tag


def test_store_write_reports_what_it_touched(store: Store) -> None:
    store.touched = set()
    store.write([coded(make_article(aid="a2"), make_event("e9", article_id="a2",
                                                          actor="CHN", recipient="IND",
                                                          event_type="AGREE"))])
    assert store.touched == {"*", "a:CHN", "r:IND", "t:AGREE", "d:CHN>IND"}
    store.touched = set()
    store.write([coded(make_article(aid="a2"), make_event("e9", article_id="a2"))])
    assert store.touched == {"*"}  # nothing new: no event tag
    store.touched = None


def test_server_write_keeps_untouched_answers(store: Store) -> None:
    """Through the app: answers about other dyads and actors stay cached across a write
    (the write made as the ingest endpoints make it, without the model)."""
    app, tc = app_and_client(store, cache_size=64, memory_index=True)
    state = app.app.state.detente
    usa = tc.get("/dyads/USA/TUR").json()
    tc.get("/events?actor=RUS")
    with state.writing():
        state.store.write([coded(make_article(aid="a3", day=date(2021, 10, 2)),
                                 make_event("e10", article_id="a3", actor="RUS",
                                            recipient="UKR", event_type="ASSAULT",
                                            day=date(2021, 10, 2)))])
    hits = tc.get("/health").json()["cache"]["hits"]
    assert tc.get("/dyads/USA/TUR").json() == usa
    assert tc.get("/health").json()["cache"]["hits"] == hits + 1
    assert [e["id"] for e in tc.get("/events?actor=RUS").json()["events"]][0] == "e10"


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
def test_server_ingest_drops_only_touched_answers(store: Store) -> None:
    app, tc = app_and_client(store, cache_size=64)
    usa = tc.get("/dyads/USA/TUR").json()
    before = tc.get("/dyads/JPN/IND").json()["series"]
    r = tc.post("/ingest", json={"articles": [{
        "text": "Japan signed a trade agreement with India on Monday.",
        "date": "2024-05-16"}]})
    assert r.status_code == 201, r.text
    hits = tc.get("/health").json()["cache"]["hits"]
    assert tc.get("/dyads/USA/TUR").json() == usa
    assert tc.get("/health").json()["cache"]["hits"] == hits + 1
    after = tc.get("/dyads/JPN/IND?include_uncertain=true").json()["series"]
    assert sum(p["events"] for p in after) > sum(p["events"] for p in before)


def test_server_kept_answers_and_health_need_no_worker(store: Store) -> None:
    """A kept answer and /health's counts are served while every worker is busy."""
    app, tc = app_and_client(store, db_workers=1, queue_timeout=0.05)
    assert tc.get("/dyads/USA/TUR").status_code == 200  # computed and kept
    assert tc.get("/health").status_code == 200
    readers = app.app.state.detente.readers
    assert readers.slots.acquire(timeout=5)
    try:
        assert tc.get("/dyads/USA/TUR").status_code == 200
        health = tc.get("/health")
        assert health.status_code == 200 and health.json()["events"] == 2
        assert tc.get("/events/e1").status_code == 503  # not kept: needs a worker
    finally:
        readers.slots.release()


def test_server_concurrent_misses_compute_an_answer_once(store: Store,
                                                        monkeypatch: Any) -> None:
    calls: list[str] = []
    gate = threading.Event()
    real = Store.code_dyad_series

    def slow(self: Store, *a: Any, **kw: Any) -> Any:
        calls.append(a[0])
        gate.wait(10)
        return real(self, *a, **kw)

    monkeypatch.setattr(Store, "code_dyad_series", slow)
    _, tc = app_and_client(store, db_workers=4)
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        tc.get("/dyads/USA/TUR").status_code)) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(200):  # the first one is computing
        if calls:
            break
        threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join(30)
    assert answers == [200] * 4
    assert calls == ["USA"]


def test_server_json_bytes_match_the_standard_encoder() -> None:
    import json
    from datetime import datetime

    from detente.server import _json_bytes
    from detente.store import to_json

    value = {"d": date(2024, 5, 16), "t": datetime(2024, 5, 16, 10, 30, 1, 5),
             "s": "Zürich — «x»", "n": None, "f": 0.1, "l": [1, (2, 3)], "b": True}
    assert json.loads(_json_bytes(value)) == json.loads(json.dumps(to_json(value)))
