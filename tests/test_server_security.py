"""HTTP security: SQL injection against every parameter of every read endpoint (taken
from the OpenAPI schema), path traversal in uploads, script injection, CORS, the token's
constant-time comparison, page limits, and schemathesis fuzzing from the OpenAPI schema
with no server error.

The limits themselves (body size, rate, query time) and the token/read-only/CORS rules are
tested in ``test_server_api.py``; here they are attacked.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from conftest import coded, has_model, make_article, make_event
from detente.server import ServerConfig, create_app
from detente.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1"
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
INJECTIONS = (
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE events; --",
    '" OR ""="',
    "USA' UNION SELECT id, text FROM articles --",
    "%' OR '%'='",
    "USA%",
    "_",
    "\\'; SELECT 1; --",
    "1; ATTACH '/tmp/x.db' AS x; --",
    "$1",
    "?",
    "e1' AND (SELECT count(*) FROM articles) > 0 --",
    "read_csv('/etc/passwd')",
    "../../etc/passwd",
    "\u0000",
    "😀'",
)
LEAKS = re.compile(r"duckdb|Binder Error|Parser Error|Catalog Error|syntax error|"
                   r"Traceback|root:", re.IGNORECASE)


def _build(path: Path) -> None:
    with Store(path) as s:
        art = make_article(f"The US urged Turkey to stop. {EVIL}", aid="a1")
        s.write([coded(art, make_event("e1", article_id="a1"),
                       make_event("e2", article_id="a1", actor="RUS", recipient="UKR",
                                  evidence=make_event().evidence.__class__(
                                      sentence=EVIL, sentence_index=1, start=29,
                                      end=29 + len(EVIL), trigger="script",
                                      trigger_start=30, trigger_end=36)))])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("sec") / "sec.duckdb"
    _build(path)
    s = Store(path)
    yield s
    s.close()


def _client(store: Store, **kw: Any) -> TestClient:
    kw.setdefault("rate_limit", 0)
    return TestClient(create_app(ServerConfig(db=store.path, **kw), store=store),
                      base_url=BASE)


def _snapshot(store: Store) -> tuple[Any, ...]:
    with store.fork() as s:
        tables = s.con.execute("SELECT table_name FROM information_schema.tables "
                               "ORDER BY 1").fetchall()
        return (tuple(tables), tuple(sorted(s.counts().items())))


def _get_operations(app_client: TestClient) -> list[tuple[str, list[dict[str, Any]]]]:
    spec = app_client.get("/openapi.json").json()
    ops = []
    for path, item in spec["paths"].items():
        if "get" in item:
            ops.append((path, item["get"].get("parameters", [])))
    return ops


def test_security_sql_injection_every_parameter(store: Store) -> None:
    c = _client(store)
    before = _snapshot(store)
    ops = _get_operations(c)
    assert len(ops) >= 10
    tried = 0
    for path, params in ops:
        defaults = {p["name"]: "USA" for p in params if p["in"] == "path"}
        for p in params:
            for payload in INJECTIONS:
                if p["in"] == "path":
                    values = {**defaults, p["name"]: quote(payload, safe="")}
                    url = path.format(**values)
                    r = c.get(url)
                elif p["in"] == "query":
                    url = path.format(**{k: quote(v, safe="") for k, v in defaults.items()})
                    r = c.get(url, params={p["name"]: payload})
                else:
                    continue
                tried += 1
                assert r.status_code < 500, (path, p["name"], payload, r.text)
                assert not LEAKS.search(r.text), (path, p["name"], payload, r.text[:300])
                if r.status_code >= 400:
                    assert set(r.json()) == {"error"}
                elif path == "/events" and p["name"] in ("actor", "recipient", "text",
                                                         "article"):
                    # a literal that matches nothing: never all the events
                    assert r.json()["events"] == [], (p["name"], payload)
    assert tried >= 150
    assert _snapshot(store) == before  # nothing dropped, nothing written


def test_security_injection_in_written_text_is_stored_verbatim(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    if not has_model():
        pytest.skip("needs the spaCy model")
    path = tmp_path / "w.duckdb"
    Store(path).close()
    s = Store(path)
    try:
        c = _client(s)
        text = "Russia urged Turkey to stop. '); DROP TABLE articles; -- " + EVIL
        r = c.post("/ingest", json={"articles": [{"text": text, "date": "2021-10-01",
                                                  "title": "'; DELETE FROM events; --"}]})
        assert r.status_code == 201, r.text
        with s.fork() as f:
            (row,) = f.con.execute("SELECT text, title FROM articles").fetchall()
            assert "DROP TABLE articles" in row[0] and row[1].startswith("'; DELETE")
            assert f.counts()["articles"] == 1
    finally:
        s.close()


@pytest.mark.parametrize("filename", ["../../../../tmp/detente-pwned.jsonl",
                                      "/tmp/detente-pwned-abs.jsonl",
                                      "..\\..\\detente-pwned-win.jsonl",
                                      "x/../../detente-pwned.jsonl", "\u0000.jsonl"])
def test_security_upload_names_are_never_paths(store: Store, filename: str,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    c = _client(store, read_only=False)
    # an empty upload: nothing is coded (no model needed), the name is the attack
    r = c.post("/ingest/upload", files={"file": (filename, b"")}, data={"format": "jsonl"})
    assert r.status_code < 500, r.text
    assert not LEAKS.search(r.text)
    for p in (Path("/tmp/detente-pwned.jsonl"), Path("/tmp/detente-pwned-abs.jsonl"),
              tmp_path.parent / "detente-pwned.jsonl"):
        assert not p.exists()
    assert list(tmp_path.iterdir()) == []  # nothing written next to the server either
    assert "detente-pwned" not in r.text


def test_security_script_injection_is_inert(store: Store) -> None:
    c = _client(store)
    for url in ("/events", "/events/e2", "/articles/a1", "/articles",
                f"/events/{quote(EVIL, safe='')}", f"/actors/{quote(EVIL, safe='')}",
                f"/nowhere/{quote(EVIL, safe='')}"):
        r = c.get(url)
        assert r.status_code < 500
        assert r.headers["content-type"].startswith("application/json"), url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src" in r.headers.get("content-security-policy", ""), url
    evidence = c.get("/events/e2").json()["event"]["sentence"]
    assert evidence == EVIL  # data comes back as data, for the page to render as text
    for page in ("/", "/docs", "/redoc"):
        r = c.get(page, params={"q": EVIL})
        assert r.status_code == 200
        assert "<script>alert" not in r.text and "onerror=alert" not in r.text
        script_src = r.headers["content-security-policy"].split("script-src", 1)[1]
        if page == "/":  # the dashboard runs no inline script (the API docs pages need one)
            assert "unsafe-inline" not in script_src.split(";", 1)[0]


def test_security_cors_preflight_closed_by_default(store: Store) -> None:
    c = _client(store, token="t0ken")
    r = c.options("/ingest", headers={"Origin": "http://evil.example",
                                      "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "authorization"})
    assert "access-control-allow-origin" not in r.headers
    r = c.get("/events", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_security_token_compared_in_constant_time(store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    from detente import server

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(server.hmac, "compare_digest", spy)
    c = _client(store, token="s3cret-token")
    for given in ("s", "s3cret-tokeX", "x" * 5000, "s3cret-token\u00e9"):
        r = c.post("/code", json={"text": "x", "date": "2021-10-01"},
                   headers={"Authorization": f"Bearer {given}".encode("latin-1")})
        assert r.status_code == 401, r.text
    assert len(calls) == 4 and all(b == b"s3cret-token" for _, b in calls)
    for bad in ("Basic czNjcmV0LXRva2Vu", "Bearer", "bearer s3cret-token extra", ""):
        r = c.post("/code", json={"text": "x", "date": "2021-10-01"},
                   headers={"Authorization": bad})
        assert r.status_code == 401, (bad, r.text)


def test_security_page_size_is_capped(store: Store) -> None:
    c = _client(store, max_page=5)
    for path in ("/events", "/articles", "/clusters", "/actors"):
        r = c.get(path, params={"limit": 6})
        assert r.status_code == 422, (path, r.text)
        r = c.get(path, params={"limit": 10**12})
        assert r.status_code == 422, (path, r.text)
        r = c.get(path, params={"limit": -1})
        assert r.status_code == 422, (path, r.text)


# -- fuzzing --------------------------------------------------------------------------

FUZZ_EXAMPLES = 25
"""Examples per operation: ~20 operations, so about 500 requests (seconds, not minutes)."""


def _fuzz(op: Any, failures: list[str]) -> None:
    """Run ``FUZZ_EXAMPLES`` generated requests against one operation."""
    from hypothesis import HealthCheck, Phase, given, settings

    @given(case=op.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call()
        if response.status_code >= 500:
            failures.append(f"{op.method.upper()} {op.path}: {response.status_code} "
                            f"{response.text[:200]}")
        elif response.status_code >= 400:
            ctype = response.headers.get("content-type", [""])
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            assert ctype.startswith("application/json"), (op.path, ctype)

    run()


@pytest.mark.slow
def test_security_schemathesis_fuzz_no_server_error(tmp_path: Path) -> None:
    schemathesis = pytest.importorskip("schemathesis")

    path = tmp_path / "fuzz.duckdb"
    _build(path)
    s = Store(path)
    try:
        # writes are disabled here (coding needs the model and minutes); the read side and
        # every error path are fuzzed, writes answer E705 whatever the body
        app = create_app(ServerConfig(db=path, rate_limit=0, read_only=True,
                                      allowed_hosts=("testserver",)), store=s)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        failures: list[str] = []
        operations = 0
        for result in schema.get_all_operations():
            _fuzz(result.ok(), failures)
            operations += 1
        assert operations >= 15
        assert not failures, failures[:10]
    finally:
        s.close()
