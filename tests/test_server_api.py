"""The HTTP API over a hand-built store (no model needed): reads, pagination, the one
error shape, limits, authentication, read-only mode, CORS."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import coded, make_article, make_event
from detente.errors import QueryTimeout, TokenRequired
from detente.records import Entity, Factuality
from detente.server import ServerConfig, create_app, decode_cursor, encode_cursor, is_loopback
from detente.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1"


def build_store(path: Path) -> None:
    """3 articles, 12 events: USA->TUR over three months, RUS->UKR assaults, one negated."""
    arts = []
    for i in range(3):
        day = date(2021, 8 + i, 1)
        art = make_article(f"The US urged Turkey to stop. Russia attacked Ukraine. {i}",
                           day=day, aid=f"a{i}")
        evs = [make_event(f"e{i}{j}", article_id=art.id, day=day + timedelta(days=j))
               for j in range(2)]
        evs.append(make_event(f"e{i}9", article_id=art.id, event_type="ASSAULT",
                              actor="RUS", recipient="UKR", day=day, quad_class=4,
                              goldstein=-9.0, cameo="190", mode=("airstrike",),
                              context=("military",)))
        evs.append(make_event(f"e{i}8", article_id=art.id, event_type="AGREE", day=day,
                              quad_class=1, goldstein=4.0, cameo="030", objects=(),
                              factuality=Factuality(negated=True)))
        arts.append(coded(art, *evs))
    with Store(path) as s:
        s.write(arts)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for the module: no test here stores anything."""
    path = tmp_path_factory.mktemp("api") / "api.duckdb"
    build_store(path)
    s = Store(path)
    yield s
    s.close()


def client(store: Store, **kw: Any) -> TestClient:
    config = ServerConfig(db=store.path, **kw)
    return TestClient(create_app(config, store=store), base_url=BASE)


@pytest.fixture(scope="module")
def c(store: Store) -> TestClient:
    return client(store)


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    """The one error shape: {"error": {code, message, hint, status, details}}."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "hint", "status", "details"}
    assert re.fullmatch(r"E\d{3}", err["code"])
    assert err["code"] == code, err
    assert err["status"] == status
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], dict)
    return err


# -- reads ------------------------------------------------------------------------------


def test_server_health_and_version(c: TestClient) -> None:
    h = c.get("/health").json()
    assert h["status"] == "ok" and h["events"] == 12 and h["articles"] == 3
    assert h["writes"] == "open"
    v = c.get("/version").json()
    assert v["detente"] and v["knowledge"] and v["schema"] == 1


@pytest.mark.parametrize(("query", "ids"), [
    ("actor=usa&type=REQUEST", {"e00", "e01", "e10", "e11", "e20", "e21"}),
    ("actor=RUS", {"e09", "e19", "e29"}),
    ("recipient=UKR&since=2021-09-01", {"e19", "e29"}),
    ("until=2021-08-31", {"e00", "e01", "e09", "e08"}),
    ("mode=airstrike", {"e09", "e19", "e29"}),
    ("context=military&until=2021-08-31", {"e09"}),
    ("object=s-400&since=2021-10-01", {"e20", "e21", "e29"}),
    ("text=URGED&since=2021-10-02", {"e21"}),
    ("type=AGREE&certain=true", set()),
    ("type=AGREE", {"e08", "e18", "e28"}),
    ("article=a1&type=ASSAULT", {"e19"}),
    ("min_confidence=0.9", set()),
])
def test_server_events_filters(c: TestClient, query: str, ids: set[str]) -> None:
    r = c.get(f"/events?{query}&limit=100")
    assert r.status_code == 200, r.text
    assert {e["id"] for e in r.json()["events"]} == ids


def test_server_events_newest_first_with_cursor_pages(c: TestClient) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        r = c.get("/events", params={"limit": 5, **({"cursor": cursor} if cursor else {})})
        page = r.json()
        seen += page["events"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 12 and len({e["id"] for e in seen}) == 12
    keys = [(e["date"], e["id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)
    assert seen[0]["actor"][0]["code"] in {"USA", "RUS"}
    assert "start_char" in seen[0]["actor"][0]


def test_server_cursor_roundtrip_and_garbage() -> None:
    assert decode_cursor(encode_cursor(date(2021, 1, 2), "e1")) == (date(2021, 1, 2), "e1")


def test_server_event_detail_article_and_actor(c: TestClient) -> None:
    d = c.get("/events/e10").json()
    assert d["event"]["id"] == "e10" and d["article"]["id"] == "a1"
    assert "text" not in d["article"]
    assert d["event"]["trigger"] == "urged"
    a = c.get("/articles/a1").json()
    assert a["article"]["text"].startswith("The US urged")
    assert [e["id"] for e in a["events"]] and len(a["events"]) == 4
    arts = c.get("/articles?limit=2").json()
    assert [x["id"] for x in arts["articles"]] == ["a2", "a1"]
    more = c.get("/articles", params={"limit": 2, "cursor": arts["next_cursor"]}).json()
    assert [x["id"] for x in more["articles"]] == ["a0"]
    actor = c.get("/actors/usa").json()
    assert actor["code"] == "USA" and actor["resolution"][0]["kb_key"].endswith(":USA")
    assert actor["partners"][0]["code"] == "TUR"
    assert actor["offices"], "office-holders of the USA come from the knowledge base"
    assert c.get("/actors?q=ru").json()["actors"][0]["code"] == "RUS"


def test_server_analytics(c: TestClient) -> None:
    s = c.get("/dyads/USA/TUR?by=month").json()
    assert [p["period"] for p in s["series"]] == ["2021-08-01", "2021-09-01", "2021-10-01"]
    assert all(p["events"] == 2 for p in s["series"])  # the negated AGREE is left out
    s2 = c.get("/dyads/usa/tur?by=year&include_uncertain=true").json()
    assert s2["series"][0]["events"] == 9
    assert c.get("/top/actors").json()["actors"][0]["code"] == "USA"
    assert c.get("/top/dyads?limit=1").json()["dyads"][0]["source"] == "USA"
    net = c.get("/network").json()
    assert {n["id"] for n in net["nodes"]} >= {"USA", "TUR", "RUS", "UKR"}
    assert c.get("/alerts").json() == {"alerts": []}
    assert c.get("/clusters").json() == {"clusters": []}


# -- the one error shape ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/nowhere", 404, "E706"),
    ("GET", "/static/nothing.js", 404, "E706"),
    ("DELETE", "/events", 405, "E707"),
    ("PUT", "/health", 405, "E707"),
    ("GET", "/events?limit=0", 422, "E708"),
    ("GET", "/events?limit=501", 422, "E708"),
    ("GET", "/events?since=yesterday", 422, "E708"),
    ("GET", "/events?actor=US%20A", 422, "E708"),
    ("GET", "/dyads/USA/TUR?by=fortnight", 422, "E708"),
    ("GET", "/events?cursor=bm9wZQ", 400, "E709"),
    ("GET", "/events/nope", 404, "E404"),
    ("GET", "/articles/nope", 404, "E404"),
    ("GET", "/actors/ZZZ", 404, "E404"),
    ("GET", "/clusters/nope", 404, "E404"),
    ("POST", "/code", 422, "E708"),
    ("POST", "/ingest", 422, "E708"),
])
def test_server_every_error_has_the_one_shape(c: TestClient, method: str, path: str,
                                              status: int, code: str) -> None:
    assert_error(c.request(method, path), status, code)


def test_server_openapi_declares_the_error_shape_everywhere(c: TestClient) -> None:
    spec = c.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "ErrorResponse" in spec["components"]["schemas"]
    paths = spec["paths"]
    for p in ("/events", "/events/{event_id}", "/articles", "/actors/{code}",
              "/dyads/{actor}/{recipient}", "/top/actors", "/top/dyads", "/network",
              "/alerts", "/health", "/version", "/code", "/ingest", "/ingest/upload"):
        assert p in paths, p
    for p, ops in paths.items():
        for method, op in ops.items():
            for status in ("404", "422", "429", "500"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]
                assert ref["$ref"].endswith("/ErrorResponse"), (p, method, status)
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()


def test_server_internal_errors_keep_the_shape(store: Store, monkeypatch: Any) -> None:
    from detente import api

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "event_detail", boom)
    app = create_app(ServerConfig(db=store.path), store=store)
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as tc:
        assert_error(tc.get("/events/e00"), 500, "E714")


# -- limits -----------------------------------------------------------------------------


def test_server_body_size_limit(store: Store) -> None:
    tc = client(store, max_body=1000)
    big = {"articles": [{"text": "x" * 5000, "date": "2021-01-01"}]}
    assert_error(tc.post("/ingest", json=big), 413, "E701")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"articles": [{"text": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'", "date": "2021-01-01"}]}'

    r = tc.post("/ingest", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "E701")


def test_server_rate_limit_per_client(store: Store) -> None:
    tc = client(store, rate_limit=60)  # 1/s, bursts of 10
    codes = [tc.get("/health").status_code for _ in range(15)]
    assert codes[:10] == [200] * 10 and 429 in codes
    r = tc.get("/health")
    err = assert_error(r, 429, "E702")
    assert int(r.headers["retry-after"]) >= 1 and err["details"]["retry_after"] >= 1
    assert tc.get("/static/app.css").status_code == 200  # assets are not counted


def test_server_query_timeout(store: Store) -> None:
    with pytest.raises(QueryTimeout) as info, store.deadline(0.05):
        store.con.execute("SELECT count(*) FROM range(1000000000000) t(i) "
                          "WHERE i % 7 = 3").fetchall()
    assert info.value.code == "E703" and info.value.http_status == 504


def test_server_query_timeout_answers_504(store: Store, monkeypatch: Any) -> None:
    def slow(self: Store, *a: Any, **k: Any) -> Any:
        return self.con.execute("SELECT count(*) FROM range(1000000000000) t(i) "
                                "WHERE i % 7 = 3").fetchall()

    monkeypatch.setattr(Store, "code_dyad_series", slow)
    tc = client(store, query_timeout=0.05, memory_index=False)  # the store answers
    assert_error(tc.get("/dyads/USA/TUR"), 504, "E703")


def test_server_foreign_host_refused_on_loopback(c: TestClient) -> None:
    assert_error(c.get("/health", headers={"host": "evil.example"}), 400, "E712")
    assert c.get("/health", headers={"host": "localhost:8000"}).status_code == 200


# -- writes: token, read-only, origin ------------------------------------------------------


def test_server_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("example.org")


def test_server_refuses_network_writes_without_token(store: Store) -> None:
    with pytest.raises(TokenRequired):
        create_app(ServerConfig(db=store.path, host="0.0.0.0"), store=store)
    create_app(ServerConfig(db=store.path, host="0.0.0.0", read_only=True), store=store)
    create_app(ServerConfig(db=store.path, host="0.0.0.0", token="s3cret"), store=store)


def test_server_read_only_refuses_writes(store: Store) -> None:
    tc = client(store, read_only=True)
    assert tc.get("/health").json()["writes"] == "disabled"
    body = {"text": "Russia and China signed a deal.", "date": "2024-05-16"}
    assert_error(tc.post("/code", json=body), 403, "E705")
    assert_error(tc.post("/ingest", json={"articles": [body]}), 403, "E705")
    assert_error(tc.post("/ingest/upload", files={"file": ("a.txt", b"x")}), 403, "E705")


def test_server_token_required_and_compared(store: Store) -> None:
    tc = client(store, token="s3cret")
    body = {"articles": [{"text": "", "date": "2024-05-16"}]}
    r = tc.post("/ingest", json=body)
    assert_error(r, 401, "E704")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(tc.post("/ingest", json=body, headers={"Authorization": "Bearer nope"}),
                 401, "E704")
    # the right token passes authentication and reaches validation (empty text: 422)
    assert_error(tc.post("/ingest", json=body, headers={"Authorization": "Bearer s3cret"}),
                 422, "E708")


def test_server_cross_origin_write_refused(c: TestClient) -> None:
    body = {"articles": [{"text": "", "date": "2024-05-16"}]}
    assert_error(c.post("/ingest", json=body, headers={"Origin": "http://evil.example"}),
                 403, "E711")
    r = c.post("/ingest", json=body, headers={"Origin": BASE})
    assert r.status_code == 422  # same origin: passes the check


def test_server_upload_format_checked(c: TestClient) -> None:
    r = c.post("/ingest/upload", files={"file": ("a.exe", b"MZ")}, data={"format": "exe"})
    assert_error(r, 415, "E713")


def test_server_cors_closed_by_default(store: Store) -> None:
    r = client(store).get("/health", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers
    tc = client(store, cors_origins=("http://elsewhere.example",))
    r = tc.get("/health", headers={"Origin": "http://elsewhere.example"})
    assert r.headers["access-control-allow-origin"] == "http://elsewhere.example"


def test_server_security_headers_and_offline_assets(c: TestClient) -> None:
    r = c.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    js = c.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:200].lower()
    docs = c.get("/docs").text
    assert "/vendor/docs/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert c.get("/vendor/docs/swagger-ui-bundle.js").status_code == 200
    assert "cdn" not in c.get("/redoc").text.lower()


def test_server_entities_untouched_by_code_case(store: Store) -> None:
    """Codes are matched case-insensitively but returned as stored."""
    with Store(store.path.parent / "x.duckdb") as s2:  # a second store of its own
        art = make_article(aid="b1")
        s2.write([coded(art, make_event("x1", article_id="b1", actor=(
            Entity(code="NATO", name="NATO", text="the alliance", start=0, end=3),)))])
        tc = TestClient(create_app(ServerConfig(db=s2.path), store=s2), base_url=BASE)
        ev = tc.get("/events?actor=nato").json()["events"]
        assert [e["id"] for e in ev] == ["x1"] and ev[0]["actor"][0]["code"] == "NATO"


def test_server_answer_cache_lru_and_generation() -> None:
    from detente.server import AnswerCache

    cache = AnswerCache(2)
    cache.put(("a",), b"1")
    cache.put(("b",), b"2")
    assert cache.get(("a",)) == b"1"
    cache.put(("c",), b"3")  # evicts b, the least recently used
    assert cache.get(("b",)) is None and cache.get(("c",)) == b"3"
    cache.invalidate()
    assert cache.get(("a",)) is None and cache.stats()["entries"] == 0
    off = AnswerCache(0)
    off.put(("a",), b"1")
    assert off.get(("a",)) is None


def test_server_aggregates_come_from_the_cache(store: Store) -> None:
    tc = client(store, cache_size=16)
    first = tc.get("/dyads/USA/TUR").json()
    assert tc.get("/dyads/usa/tur").json() == first
    stats = tc.get("/health").json()["cache"]
    assert stats["hits"] == 1 and stats["misses"] == 1


def test_server_event_pages_from_the_event_cache(store: Store) -> None:
    # an event page that is not kept whole is made of kept events and events read
    # from the store; byte for byte the page the server makes without any cache
    plain = client(store, cache_size=0, memory_index=False, memory_events=0)
    kept = client(store, cache_size=2, memory_events=0)
    queries = ["/events?limit=2", "/events?actor=USA&limit=3", "/events?limit=5",
               "/events?type=ASSAULT", "/events?actor=USA&recipient=TUR&limit=50",
               "/events?limit=4&certain=true", "/events?actor=RUS&limit=1"]
    for q in queries * 2:
        page = plain.get(q)
        assert kept.get(q).content == page.content, q
        cursor = page.json()["next_cursor"]
        if cursor:
            nxt = f"{q}&cursor={cursor}"
            assert kept.get(nxt).content == plain.get(nxt).content, nxt
    stats = kept.get("/health").json()["event_cache"]
    assert stats["hits"] > 0 and stats["misses"] > 0 and stats["entries"] <= 32
    assert plain.get("/health").json()["event_cache"] is None
