"""Load-test kit: a synthetic store of N events, a real ``detente serve`` on loopback, and
many concurrent HTTP clients while a writer ingests through the API.

Used by ``bench/bench_load.py`` (200 clients, 60 s, one million events) and by the short
CI variant in ``tests/test_load.py``.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

CODES = ("USA", "CHN", "RUS", "TUR", "IRN", "ISR", "UKR", "IND", "PAK", "FRA", "DEU", "GBR",
         "JPN", "KOR", "PRK", "SAU", "EGY", "SYR", "IRQ", "AFG", "BRA", "MEX", "NGA", "ZAF",
         "ETH", "SOM", "YEM", "LBY", "SDN", "VEN")
TYPES = (("CONSULT", 1, 1.0, "040"), ("AGREE", 1, 3.0, "030"), ("REQUEST", 1, -1.0, "100"),
         ("ACCUSE", 3, -2.0, "112"), ("THREATEN", 3, -6.0, "130"), ("SANCTION", 4, -8.0,
                                                                      "163"),
         ("ASSAULT", 4, -9.0, "190"), ("COOPERATE", 2, 6.0, "060"), ("AID", 2, 7.0, "070"),
         ("PROTEST", 3, -6.5, "140"))


def build_synthetic_store(path: Path, *, events: int, seed: int = 7) -> dict[str, int]:
    """A detente store with ``events`` synthetic events (ten per article, two entities
    each, three mentions per cluster), built in SQL in seconds. Articles are dated over
    1,800 days from 2019-01-01 in the order of their ids, as a store filled by ingesting
    news as it arrives is."""
    from detente.store import Store

    Store(path).close()  # the schema
    con = duckdb.connect(str(path))
    n_art = max(1, events // 10)
    codes = list(CODES)
    types = [t[0] for t in TYPES]
    quads = [t[1] for t in TYPES]
    golds = [t[2] for t in TYPES]
    cameos = [t[3] for t in TYPES]
    con.execute(f"SELECT setseed({(seed % 100) / 100})")
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO articles SELECT 'syn' || i, DATE '2019-01-01' + (i * 1800 // ?::BIGINT)::INT, "
        "'Synthetic report ' || i, 'https://example.org/' || i, 'synthetic', 'Example', "
        "'en', 'Synthetic article ' || i || '. The delegations met.', 2, 10, 'synthetic', "
        "'kb', now() FROM range(?) t(i)", [n_art, n_art])
    con.execute(
        "INSERT INTO events (id, article_id, event_type, mode, context, cameo, goldstein, "
        "quad_class, intensity, date, date_precision, date_basis, published, actor_codes, "
        "recipient_codes, negated, hypothetical, future, historical, confidence, "
        "sentence_index, sentence, sentence_start, sentence_end, trigger, trigger_start, "
        "trigger_end, coder, kb_version) "
        "SELECT 'se' || i, 'syn' || (i // 10), ?[1 + i % 10], [], [], ?[1 + i % 10], "
        "?[1 + i % 10], ?[1 + i % 10], 0.0, "
        "DATE '2019-01-01' + ((i // 10) * 1800 // ?::BIGINT)::INT, 'day', 'publication', "
        "DATE '2019-01-01' + ((i // 10) * 1800 // ?::BIGINT)::INT, "
        "[?[1 + (i * 7) % 30]], [?[1 + (i * 13 + 1) % 30]], false, false, false, false, "
        "0.5 + (i % 50) / 100.0, i % 10, 'Delegation ' || i || ' met its counterpart.', 0, "
        "40, 'met', 15, 18, 'synthetic', 'kb' FROM range(?) t(i)",
        [types, cameos, golds, quads, n_art, n_art, codes, codes, events])
    con.execute(
        "INSERT INTO event_entities (event_id, role, position, code, sector, name, text, "
        "cameo) SELECT e.id, r.role, 0, CASE WHEN r.role = 'actor' THEN e.actor_codes[1] "
        "ELSE e.recipient_codes[1] END, 'GOV', NULL, NULL, NULL FROM events e, "
        "(VALUES ('actor'), ('recipient')) r(role)")
    con.execute(
        "INSERT INTO event_clusters SELECT 'se' || (i - i % 3), 'k' || (i - i % 3), "
        "DATE '2019-01-01', DATE '2019-01-01', [], '', [], [] FROM range(?) t(i) "
        "WHERE i % 3 = 0", [events])
    con.execute("INSERT INTO event_mentions SELECT 'se' || i, 'se' || (i - i % 3) "
                "FROM range(?) t(i)", [events])
    con.execute("INSERT INTO article_dedup SELECT id, id, NULL, NULL, NULL, NULL, "
                "'example' FROM articles")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
              for t in ("articles", "events", "event_entities")}
    con.close()
    with Store(path) as store:  # the rows above bypassed Store.write
        store.rebuild_summaries()
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, *, port: int, token: str, timeout: float = 180.0,
                 extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    """``detente serve`` on loopback with no rate limit; returns once /health answers."""
    import httpx

    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "serve", "--db",
           str(db), "--port", str(port), "--token", token, "--rate-limit", "0",
           "--log-level", "warning", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: {proc.stderr.read().decode()}"  # type: ignore[union-attr]
                               )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not answer /health in time")


@dataclass
class LoadResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    error_codes: dict[str, int] = field(default_factory=dict)
    """Errors by ``status code`` (``503 E716``) or exception name."""
    latencies: dict[str, list[float]] = field(default_factory=dict)
    shed: int = 0
    """503 answers (server busy) that were retried after their Retry-After."""
    writes_sent: int = 0
    writes_confirmed: list[str] = field(default_factory=list)
    write_latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def error(self, code: str, example: str) -> None:
        self.errors.append(example)
        self.error_codes[code] = self.error_codes.get(code, 0) + 1

    def summary(self) -> dict[str, Any]:
        every = sorted(x for v in self.latencies.values() for x in v)

        def pct(xs: list[float], q: float) -> float | None:
            if not xs:
                return None
            return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 1)

        per = {k: {"n": len(v), "p50_ms": pct(sorted(v), 0.5),
                   "p95_ms": pct(sorted(v), 0.95), "p99_ms": pct(sorted(v), 0.99)}
               for k, v in sorted(self.latencies.items())}
        return {"requests": self.requests, "errors": len(self.errors), "shed": self.shed,
                "errors_by_code": dict(sorted(self.error_codes.items())),
                "error_examples": self.errors[:5],
                "rps": round(self.requests / self.seconds, 1) if self.seconds else None,
                "p50_ms": pct(every, 0.5), "p95_ms": pct(every, 0.95),
                "p99_ms": pct(every, 0.99), "max_ms": pct(every, 1.0),
                "mean_ms": round(statistics.fmean(every) * 1000, 1) if every else None,
                "writes_sent": self.writes_sent,
                "writes_confirmed": len(self.writes_confirmed),
                "write_p50_ms": pct(sorted(self.write_latencies), 0.5),
                "per_endpoint": per}


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class RawConnection:
    """One keep-alive HTTP/1.1 connection for GET requests, on asyncio streams (a tenth of
    httpx's CPU per request). A request sent on a reused connection that the server had
    closed meanwhile (keep-alive timeout) is sent again once on a new one; every other
    failure is raised."""

    def __init__(self, base: str, *, timeout: float = 120.0) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.timeout = host, int(port or 80), timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str) -> RawResponse:
        reused = self.writer is not None
        try:
            return await asyncio.wait_for(self._get(path), self.timeout)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
            return await asyncio.wait_for(self._get(path), self.timeout)

    async def _get(self, path: str) -> RawResponse:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "Accept: application/json\r\n\r\n".encode())
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            raise ValueError(f"an answer without length to GET {path}")
        if headers.get("connection", "").lower() == "close":
            self.close()
        return RawResponse(status, headers, body)


def _code(r: Any) -> str:
    """The detente error code of an error answer (``?`` when it has none)."""
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "?"


RETRIES = 5
"""How often a client retries a 503 answer after its Retry-After (the latency counts the
whole wait)."""


def _requests(rng: random.Random, n_events: int) -> tuple[str, str]:
    """(label, path) of one read request."""
    a, b = rng.sample(CODES[:10], 2)
    i = rng.randrange(n_events)
    choice = rng.randrange(10)
    if choice == 0:
        return "events", "/events?limit=50"
    if choice == 1:
        return "events?actor", f"/events?actor={a}&limit=50"
    if choice == 2:
        return "events?dyad+since", f"/events?actor={a}&recipient={b}&since=2022-01-01&limit=20"
    if choice == 3:
        return "event", f"/events/se{i}"
    if choice == 4:
        return "article", f"/articles/syn{i // 10}"
    if choice == 5:
        return "dyad", f"/dyads/{a}/{b}?by=month"
    if choice == 6:
        return "top/actors", "/top/actors?limit=20"
    if choice == 7:
        return "clusters", "/clusters?limit=20"
    if choice == 8:
        return "actor", f"/actors/{a}"
    return "health", "/health"


async def run_load(base: str, *, clients: int, seconds: float, n_events: int, token: str,
                   write_every: float = 1.0, articles_per_write: int = 4,
                   seed: int = 11) -> LoadResult:
    """``clients`` readers loop over a mix of read requests for ``seconds`` while one
    writer posts ``articles_per_write`` new articles every ``write_every`` seconds; then
    every article the server confirmed is looked up. Each reader keeps one HTTP/1.1
    connection (:class:`RawConnection`, light enough that the load generator does not
    take the server's CPU); the writer uses httpx."""
    import httpx

    result = LoadResult()
    stop = time.monotonic() + seconds
    # the writer's idle connection is dropped before the server's keep-alive timeout
    # (uvicorn: 5 s) would close it under a request being sent
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def reader(k: int) -> None:
            rng = random.Random(seed * 1000 + k)
            conn = RawConnection(base)
            try:
                while time.monotonic() < stop:
                    label, path = _requests(rng, n_events)
                    t0 = time.perf_counter()
                    try:
                        r = await conn.get(path)
                        for _ in range(RETRIES):  # a busy server says when to come back
                            if r.status_code != 503 or "retry-after" not in r.headers:
                                break
                            result.shed += 1
                            await asyncio.sleep(float(r.headers["retry-after"]))
                            r = await conn.get(path)
                        ok = r.status_code == 200 or (r.status_code == 404
                                                      and label != "health")
                        if not ok:
                            result.error(f"{r.status_code} {_code(r)}",
                                         f"{r.status_code} {path} {r.text[:120]}")
                    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                        result.error(type(exc).__name__, f"{type(exc).__name__} {path}")
                        conn.close()
                    result.latencies.setdefault(label, []).append(time.perf_counter() - t0)
                    result.requests += 1
            finally:
                conn.close()

        async def writer() -> None:
            n = 0
            while time.monotonic() < stop:
                arts = []
                for _ in range(articles_per_write):
                    n += 1
                    arts.append({"text": f"Load test report {n}: Japan signed a trade "
                                 f"agreement with India on Monday, number {n}.",
                                 "date": "2024-05-16", "title": f"Load {n}"})
                t0 = time.perf_counter()
                try:
                    r = await http.post("/ingest", json={"articles": arts},
                                        headers={"Authorization": f"Bearer {token}"})
                    result.writes_sent += len(arts)
                    if r.status_code in (200, 201):
                        result.writes_confirmed += r.json()["article_ids"]
                    else:
                        result.error(f"write {r.status_code} {_code(r)}",
                                     f"write {r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    result.error(f"write {type(exc).__name__}", f"write {type(exc).__name__}")
                result.write_latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(write_every)

        t0 = time.perf_counter()
        await asyncio.gather(writer(), *(reader(k) for k in range(clients)))
        result.seconds = time.perf_counter() - t0
    return result


def warm_up(base: str, token: str) -> float:
    """Load the model and the knowledge base in the server (first write, first actor
    page) before measuring; returns the seconds it took."""
    import httpx

    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=600) as http:
        r = http.post("/ingest", headers={"Authorization": f"Bearer {token}"},
                      json={"articles": [{"text": "Warm-up: Chile met Peru on Monday.",
                                          "date": "2024-05-15"}]})
        r.raise_for_status()
        http.get("/actors/USA").raise_for_status()
    return time.perf_counter() - t0


def lost_writes(base: str, ids: list[str]) -> list[str]:
    """The confirmed article ids the server cannot find."""
    import httpx

    lost = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for aid in dict.fromkeys(ids):
            if http.get(f"/articles/{aid}").status_code != 200:
                lost.append(aid)
    return lost


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
