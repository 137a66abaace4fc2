"""The HTTP API's in-memory index answers event pages and dyad series as the store does:
on random stores, random filters and cursors, after writes (its delta) and after the
delta is merged; through the app, byte for byte, on a store built from the examples."""

from __future__ import annotations

import random
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import has_model
from detente import serving
from detente.server import ServerConfig, _json_bytes, create_app
from detente.serving import ServingIndex
from detente.store import EventFilter, Store
from test_store_summaries import CODES, TYPES, approx, fill, random_batches

ROOT = Path(__file__).resolve().parents[1]


def random_filter(rng: random.Random) -> EventFilter:
    codes = [c for c in CODES if c] + ["zzz"]
    kw: dict[str, Any] = {}
    if rng.random() < 0.5:
        kw["actor"] = rng.choice(codes).lower() if rng.random() < 0.2 else rng.choice(codes)
    if rng.random() < 0.4:
        kw["recipient"] = rng.choice(codes)
    if rng.random() < 0.4:
        kw["event_type"] = rng.choice(TYPES)[0]
    if rng.random() < 0.3:
        kw["since"] = date(2021, rng.randrange(1, 13), 1)
    if rng.random() < 0.3:
        kw["until"] = date(2021, rng.randrange(1, 13), 15)
    if rng.random() < 0.3:
        kw["certain_only"] = True
    return EventFilter(**kw)


def assert_same_pages(index: ServingIndex, store: Store, seed: int, n: int = 120) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        f = random_filter(rng)
        limit = rng.choice((1, 2, 7, 50))
        after = None
        for _ in range(6):  # follow the cursor
            expected = store.event_page_keys(f, after=after, limit=limit)
            assert index.page_keys(f, after=after, limit=limit) == expected, (f, after)
            if len(expected) < limit:
                break
            after = (expected[-1][1], expected[-1][0])


def assert_same_series(index: ServingIndex, store: Store) -> None:
    for a in ("USA", "TUR", "RUS", "CHN", "XXX"):
        for r in ("TUR", "CHN", "USA", "RUS"):
            for kw in ({}, {"both_directions": True}, {"include_uncertain": True},
                       {"by": "day", "since": date(2021, 3, 1), "until": date(2021, 9, 30)},
                       {"by": "week", "both_directions": True},
                       {"by": "quarter", "include_uncertain": True},
                       {"by": "year", "both_directions": True, "include_uncertain": True}):
                got = index.dyad_series(a, r, **kw)
                if a == r:
                    assert got is None  # the store answers
                    continue
                assert got == approx(store.code_dyad_series(a, r, **kw)), (a, r, kw)


def test_serving_index_answers_as_the_store(tmp_path: Path) -> None:
    with fill(tmp_path / "s.duckdb", 3) as store:
        index = ServingIndex(store)
        assert_same_pages(index, store, 1)
        assert_same_series(index, store)
        # filters the index cannot apply are left to the store
        for f in (EventFilter(text="talks"), EventFilter(mode="x"), EventFilter(obj="S-400"),
                  EventFilter(min_confidence=0.5), EventFilter(article_id="a1"),
                  EventFilter(context="military")):
            assert index.page_keys(f) is None
        assert index.stats()["events"] == store.counts()["events"]


def test_serving_index_takes_new_events(tmp_path: Path, monkeypatch: Any) -> None:
    batches = random_batches(9, articles=60)
    with Store(tmp_path / "w.duckdb") as store:
        store.write(batches[0])
        index = ServingIndex(store)
        monkeypatch.setattr(serving, "DELTA_MAX", 25)  # some writes merge the delta
        merged = False
        for batch in batches[1:]:
            store.written = set()
            store.write(batch)
            before = len(index.delta)
            index.add(store, store.written)
            merged |= bool(store.written) and len(index.delta) < before + len(store.written)
            store.written = None
            assert_same_pages(index, store, len(index.delta), n=15)
        assert merged
        store.written = set()
        store.write(batches[1])  # written again: nothing new
        assert store.written == set()
        store.written = None
        assert_same_pages(index, store, 5)
        assert_same_series(index, store)


def test_store_events_by_id_as_events_by_key(tmp_path: Path) -> None:
    with fill(tmp_path / "e.duckdb", 5) as store:
        keys = store.event_page_keys(EventFilter(), limit=100_000)
        want = keys[3::2] + [("nope", date(2021, 1, 1))]
        bulk = list(store.iter_events_by_id([k[0] for k in reversed(want)], batch_size=7))
        assert [r["id"] for r in bulk] == [k[0] for k in want[:-1]]
        assert [_json_bytes(r) for r in bulk] == [_json_bytes(r)
                                                   for r in store.events_by_key(want[:-1])]


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
def test_server_index_pages_byte_identical_on_the_examples(tmp_path: Path) -> None:
    from detente import api

    with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    db = tmp_path / "ex.duckdb"
    api.ingest([ROOT / "examples"], db=db)
    with Store(db) as store:
        codes = [r["code"] for r in store.actor_list(limit=30)]
        types = [r["event_type"] for r in store.type_counts()]

        def client(**kw: Any) -> TestClient:
            return TestClient(create_app(ServerConfig(db=db, rate_limit=0, **kw), store=store),
                              base_url="http://localhost")

        memory = client(cache_size=0)
        index = memory.get("/health").json()["index"]
        assert index["state"] == "ready"
        assert index["memory_events"] == store.counts()["events"]
        plain = client(cache_size=0, memory_index=False, memory_events=0)
        queries = ["/events?limit=3", "/events?certain=true&limit=4"]
        queries += [f"/events?type={t}&limit=2" for t in types]
        for a in codes[:8]:
            queries += [f"/events?actor={a}&limit=3", f"/events?recipient={a}&limit=5"]
            queries += [f"/events?actor={a}&recipient={r}" for r in codes[:8] if r != a]
            queries += [f"/dyads/{a}/{r}?by=day&both=true&include_uncertain=true"
                        for r in codes[:8] if r != a]
        for q in queries:
            expected = plain.get(q)
            assert expected.status_code == 200, q
            assert memory.get(q).content == expected.content, q
            cursor = expected.json().get("next_cursor")
            if cursor:
                nxt = f"{q}&cursor={cursor}"
                assert memory.get(nxt).content == plain.get(nxt).content, nxt


def test_server_reads_ahead_the_first_pages_and_the_newest_events(tmp_path: Path) -> None:
    from detente.server import EventCache, _read_ahead

    with fill(tmp_path / "n.duckdb", 6) as store:
        index = ServingIndex(store)
        everything = store.event_page_keys(EventFilter(), limit=100_000)
        for budget in (1, 10, 40, len(everything) + 5):
            keys = index.warm_keys(budget, limit=3)
            assert len(keys) == min(budget, len(everything)) == len(set(keys))
            assert keys == sorted(keys, key=lambda k: (k[1], k[0]), reverse=True)
            kept = EventCache(1000)
            assert _read_ahead(store, kept, keys, step=4) == len(keys)
            assert list(kept.data) == [k[0] for k in reversed(keys)]  # the first last out
            assert dict(kept.data) == {r["id"]: _json_bytes(r)
                                       for r in store.events_by_key(keys)}
        firsts = set(index.warm_keys(40, limit=3))  # the first pages come first
        for f in (EventFilter(actor="USA"), EventFilter(event_type="AID"),
                  EventFilter(actor="TUR", recipient="RUS")):
            assert set(store.event_page_keys(f, limit=3)) <= firsts, f


def test_server_fast_path_answers_as_the_framework(tmp_path: Path) -> None:
    # plain event pages and dyad series skip the framework: same bytes, same headers;
    # anything else (unknown or invalid parameters, errors) is left to it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with fill(tmp_path / "f.duckdb", 8) as store:
        answered: list[bool] = []

        def client(fast: bool, **kw: Any) -> TestClient:
            app = create_app(ServerConfig(db=store.path, rate_limit=0, **kw), store=store)
            framework_free = app.fast

            async def counted(scope: Any) -> bytes | None:
                body: bytes | None = await framework_free(scope)
                answered.append(body is not None)
                return body

            app.fast = counted if fast else None
            return TestClient(app, base_url="http://localhost")

        for kw in ({}, {"memory_index": False, "memory_events": 0}, {"cache_size": 0}):
            quick, slow = client(True, **kw), client(False, **kw)
            queries = ["/events", "/events?limit=3", "/events?actor=usa&limit=2",
                       "/events?actor=USA&recipient=TUR&type=aid&certain=true",
                       "/events?type=REQUEST&since=2021-03-01&until=2021-09-30&limit=4",
                       "/dyads/USA/TUR", "/dyads/usa/RUS?by=week&both=true",
                       "/dyads/TUR/USA?by=day&include_uncertain=true&since=2021-02-01",
                       "/dyads/USA/USA?by=year",
                       # left to the framework
                       "/events?limit=0", "/events?limit=501", "/events?limit=050",
                       "/events?actor=US A", "/events?since=2021-13-01", "/events?cursor=x",
                       "/events?certain=yes", "/events?actor=USA&actor=TUR",
                       "/events?text=talks", "/events?since=", "/dyads/USA/TUR?by=decade",
                       "/dyads/USA/TUR?both=1", "/dyads/USA/TUR/x", "/dyads/USA"]
            for q in queries:
                for _ in range(2):  # computed, then kept
                    a, b = quick.get(q), slow.get(q)
                    assert (a.status_code, a.content) == (b.status_code, b.content), q
                    assert a.headers.items() == b.headers.items(), q
                page = b.json() if b.status_code == 200 else {}
                if page.get("next_cursor"):
                    nxt = f"{q}{'&' if '?' in q else '?'}cursor={page['next_cursor']}"
                    assert quick.get(nxt).content == slow.get(nxt).content, nxt
            assert any(answered) and not all(answered)
            answered.clear()


def test_serving_index_with_ids_beyond_ascii(tmp_path: Path) -> None:
    from conftest import coded, make_article, make_event

    with Store(tmp_path / "u.duckdb") as store:
        day = date(2021, 5, 1)
        store.write([coded(make_article(aid="a1", day=day),
                           *(make_event(i, day=day) for i in ("e1", "é2", "e3", "z4", "ü5")))])
        index = ServingIndex(store)
        assert index.events.ids.dtype.kind == "U"
        assert_same_pages(index, store, 2, n=30)
