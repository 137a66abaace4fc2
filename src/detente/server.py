"""The HTTP API and the dashboard: a thin FastAPI face over :mod:`detente.api`.

Handlers parse the request, call the facade and format the answer; nothing else. What
the face adds is what a network service needs:

- one JSON error shape, ``{"error": {"code", "message", "hint", "status", "details"}}``,
  for every error, including unknown routes (E706), wrong methods (E707) and
  validation errors (E708);
- limits: request body size (E701), page size, a per-client rate limit (E702), a query
  timeout (E703);
- writes (``POST /code``, ``POST /ingest``, ``POST /ingest/upload``) need a bearer
  token (compared in constant time) whenever one is set, and one must be set when the
  server listens on anything but loopback (E710); ``read_only`` turns them off (E705);
  a write from another web origin is refused (E711); on loopback, requests naming
  another host are refused (E712, against DNS rebinding);
- CORS is closed unless origins are named;
- the dashboard (``web/``) and its JavaScript come from the repository and from
  installed packages (plotly's bundled ``plotly.min.js``; the Swagger UI and ReDoc
  assets of ``fastapi-offline``): nothing is loaded from the internet.

Uploads are read in memory (bounded by the body limit); user input never becomes a
file path or SQL text.
"""

# No `from __future__ import annotations` here: FastAPI reads the annotations of the
# handlers defined inside create_app at run time.
import base64
import binascii
import hmac
import io
import ipaddress
import json
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date as Date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from . import __version__, api
from .errors import (
    BadCursor,
    BadHost,
    CrossOriginWrite,
    DetenteError,
    HttpError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    RateLimited,
    RequestTooLarge,
    RouteNotFound,
    ServerBusy,
    TokenRequired,
    Unauthorized,
    UnsupportedUpload,
    WebExtraMissing,
    WritesDisabled,
)
from .serving import ServingIndex
from .store import EventFilter, Store, to_json

try:  # pragma: no cover - depends on the environment
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None  # type: ignore[assignment]

log = logging.getLogger("detente.server")

WEB_DIR = Path(str(resources.files("detente") / "web"))
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
UPLOAD_FORMATS = ("dated", "text", "jsonl", "csv", "html", "feed")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


_ARRIVED: ContextVar[float | None] = ContextVar("detente_arrived", default=None)
"""When the request being answered arrived (set by :class:`Guard`; the handler's thread
sees it), so that waiting in any queue counts towards ``queue_timeout``."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a listen address or a Host header's name) is loopback only."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerConfig:
    """How the API is served (the options of ``detente serve``)."""

    db: Path | str | None = None
    host: str = "127.0.0.1"
    token: str | None = None
    read_only: bool = False
    max_body: int = 10_000_000
    """Largest request body in bytes (uploads included)."""
    max_page: int = 500
    """Largest page size (``limit``) of list endpoints."""
    rate_limit: int = 1200
    """Requests per minute per client address (bursts of up to 10 s worth); 0: no limit."""
    query_timeout: float = 10.0
    """Seconds a query may run before it is interrupted; 0: no timeout."""
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    """Extra Host header names accepted on loopback (besides localhost and 127.0.0.1)."""
    kb_dirs: tuple[str, ...] = ()
    cache_size: int = 1024
    """Answers kept in memory (0: none): event pages, dyad series, aggregates."""
    db_workers: int = 0
    """Requests that query the store at the same time (0: one per CPU core, at least 2);
    the others wait their turn."""
    queue_timeout: float = 10.0
    """Seconds a request may wait for its turn before it is answered 503 (E716) with
    ``Retry-After``; 0: no wait at all when every worker is busy."""
    memory_index: bool = True
    """Answer event pages and dyad series from a :class:`~detente.serving.ServingIndex`
    (built in the background at start-up; the store answers until it is ready)."""
    memory_events: int = 200_000
    """Events read at start-up into the event cache (serialised, about 2 kB each with
    their keys), besides the 16 per answer of ``cache_size``: the first page of every
    actor, recipient, type, directed pair and actor-type pair, then the newest (see
    :meth:`~detente.serving.ServingIndex.warm_keys`)."""

    @property
    def workers(self) -> int:
        return self.db_workers if self.db_workers > 0 else max(2, os.cpu_count() or 2)

    @property
    def writes(self) -> Literal["disabled", "token", "open"]:
        if self.read_only:
            return "disabled"
        return "token" if self.token else "open"


def check_config(config: ServerConfig) -> None:
    """Refuse a configuration that would accept writes from the network without a
    token (:class:`~detente.errors.TokenRequired`)."""
    if not config.read_only and not config.token and not is_loopback(config.host):
        raise TokenRequired(f"the server would listen on {config.host} and accept writes "
                            "without a token", host=config.host)


# -- error shape ----------------------------------------------------------------------


def error_body(exc: DetenteError, status: int | None = None) -> dict[str, Any]:
    """The one JSON shape of every error the API returns."""
    return {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint,
                      "status": status or exc.http_status,
                      "details": to_json(dict(exc.fields))}}


def _json_bytes(content: Any) -> bytes:
    """Compact UTF-8 JSON of store rows and answers (dates as ISO strings): orjson when it
    is installed (the ``web`` extra has it; several times faster on long pages and series),
    else the standard library's encoder over :func:`~detente.store.to_json`."""
    if _orjson is not None:
        try:
            # a copy of exact size: orjson's own object holds a buffer of at least 8 kB,
            # which the caches would keep (8 times the memory of a 1 kB event)
            return bytes(memoryview(_orjson.dumps(content)))
        except TypeError:  # a type orjson does not serialise: the standard library's way
            pass
    return json.dumps(to_json(content), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _error_response_asgi(exc: DetenteError,
                         extra_headers: tuple[tuple[bytes, bytes], ...] = ()
                         ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = _json_bytes(error_body(exc))
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *extra_headers]
    return exc.http_status, headers, body


# -- cursors --------------------------------------------------------------------------


def encode_cursor(day: Date, key: str) -> str:
    raw = json.dumps([day.isoformat(), key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Date, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        day, key = json.loads(raw)
        if not isinstance(day, str) or not isinstance(key, str) or len(key) > 64:
            raise ValueError("bad cursor fields")
        return Date.fromisoformat(day), key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("the cursor is not one this server issued",
                        cursor=cursor[:80]) from exc


# -- the guard: host check, rate limit, body size, security headers ---------------------


class _Buckets:
    """Token buckets per client address (the event loop is single-threaded)."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(10.0, self.rate * 10)
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, client: str, now: float) -> float:
        """0 when allowed, else the seconds to wait."""
        tokens, last = self.state.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self.state[client] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self.state[client] = (tokens - 1.0, now)
        if len(self.state) > 10_000:
            self.state = {k: v for k, v in self.state.items()
                          if v[0] + (now - v[1]) * self.rate < self.capacity}
        return 0.0


_CSP_APP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
_CSP_DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
             "connect-src 'self'; frame-ancestors 'none'; object-src 'none'")


_SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"),
                     (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
                     (b"content-security-policy", _CSP_APP.encode()))


class Guard:
    """ASGI middleware in front of the app: refuses foreign Host headers on loopback,
    applies the per-client rate limit and the body-size limit, and adds security
    headers. Its refusals use the API's error shape."""

    def __init__(self, app: Callable[..., Awaitable[None]], config: ServerConfig, *,
                 fast: Callable[[Scope], Awaitable[bytes | None]] | None = None) -> None:
        self.app = app
        self.config = config
        self.fast = fast
        """Answers the hot GET requests without the framework (None: let it answer)."""
        self.buckets = _Buckets(config.rate_limit) if config.rate_limit > 0 else None
        hosts = {h.lower() for h in (*LOOPBACK_NAMES, *config.allowed_hosts)}
        if not is_loopback(config.host):
            hosts = set()  # a public server: any Host (a proxy in front decides)
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _ARRIVED.set(time.monotonic())
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        refusal = self._refuse(scope, headers)
        if refusal is not None:
            await self._send_error(send, *refusal)
            return
        path = scope.get("path", "")
        if self.fast is not None and scope.get("method") == "GET":
            try:
                body = await self.fast(scope)
            except Exception:  # noqa: BLE001 - the framework answers (its error shape)
                log.exception("the fast path failed on %s", path)
                body = None
            if body is not None:
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"application/json"), *_SECURITY_HEADERS]})
                await send({"type": "http.response.body", "body": body})
                return
        csp = _CSP_DOCS if path in ("/docs", "/redoc") else _CSP_APP
        sent_too_large = replaced = False
        received = 0
        limit = self.config.max_body

        async def limited_receive() -> Message:
            nonlocal received, sent_too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    sent_too_large = True
                    raise RequestTooLarge(f"the request body is larger than {limit} bytes",
                                          limit=limit)
            return message

        async def secured_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if sent_too_large and message["type"] == "http.response.start":
                # the body overflowed while read: answer 413, whatever the app made of it
                replaced = True
                await self._send_error(send, RequestTooLarge(
                    f"the request body is larger than {limit} bytes", limit=limit), ())
                return
            if message["type"] == "http.response.start":
                extra = [*_SECURITY_HEADERS[:3], (b"content-security-policy", csp.encode())]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, limited_receive, secured_send)

    def _refuse(self, scope: Scope, headers: dict[str, str]
                ) -> tuple[DetenteError, tuple[tuple[bytes, bytes], ...]] | None:
        if self.hosts:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in self.hosts:
                return BadHost(f"this server answers to localhost only, not {host!r}",
                               host=host[:100]), ()
        if self.buckets is not None and not scope.get("path", "").startswith("/static/"):
            client = (scope.get("client") or ("?", 0))[0]
            wait = self.buckets.take(client, time.monotonic())
            if wait > 0:
                secs = max(1, int(wait + 0.999))
                return (RateLimited(f"more than {self.config.rate_limit} requests per minute "
                                    "from this client", retry_after=secs),
                        ((b"retry-after", str(secs).encode()),))
        length = headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return InvalidRequest("Content-Length is not a number"), ()
            if n > self.config.max_body:
                return RequestTooLarge(f"the request body ({n} bytes) is larger than "
                                       f"{self.config.max_body} bytes",
                                       limit=self.config.max_body), ()
        return None

    async def _send_error(self, send: Send, exc: DetenteError,
                          extra: tuple[tuple[bytes, bytes], ...]) -> None:
        status, headers, body = _error_response_asgi(exc, extra)
        headers.append((b"content-security-policy", _CSP_APP.encode()))
        headers.append((b"x-content-type-options", b"nosniff"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# -- the app --------------------------------------------------------------------------


ALL = "*"
"""The tag of answers that any write may change."""


class AnswerCache:
    """Answers of read endpoints (event pages, dyad series, top lists, network, alerts,
    actors), least recently used first out, within ``size`` entries and ``max_bytes``.

    Each answer carries tags saying which writes can change it (``*``: any; ``a:USA``:
    new events with actor USA; ``d:USA>TUR``: new events from USA to TUR; see
    :meth:`detente.store.Store.write`); a write drops only the answers whose tags it
    touched. An answer computed while a write was being committed is not kept: ``put``
    is given the :attr:`generation` read before the computation and drops the answer if
    an invalidation came in between."""

    def __init__(self, size: int, *, max_bytes: int = 64_000_000) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.data: OrderedDict[tuple[Any, ...], tuple[bytes, frozenset[str]]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()
        self.generation = 0
        self.hits = self.misses = self.dropped = 0

    def get(self, key: tuple[Any, ...], *, count: bool = True) -> bytes | None:
        """The answer kept under ``key`` (``count``: in the hit and miss figures)."""
        if self.size <= 0:
            return None
        with self.lock:
            item = self.data.get(key)
            if item is None:
                self.misses += count
                return None
            self.hits += count
            self.data.move_to_end(key)
            return item[0]

    def count(self, *, hit: bool) -> None:
        """Count a lookup made with ``get(..., count=False)``."""
        if self.size > 0:
            with self.lock:
                if hit:
                    self.hits += 1
                else:
                    self.misses += 1

    def put(self, key: tuple[Any, ...], value: bytes, *,
            tags: Iterable[str] = (ALL,), generation: int | None = None) -> None:
        if self.size <= 0 or len(value) > self.max_bytes // 8:
            return
        with self.lock:
            if generation is not None and generation != self.generation:
                return
            old = self.data.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0])
            self.data[key] = (value, frozenset(tags))
            self.bytes += len(value)
            while len(self.data) > self.size or self.bytes > self.max_bytes:
                _, (gone, _tags) = self.data.popitem(last=False)
                self.bytes -= len(gone)

    def invalidate(self, tags: Iterable[str] | None = None) -> None:
        """Drop the answers carrying one of ``tags`` (all answers when ``None``)."""
        with self.lock:
            self.generation += 1
            if tags is None:
                self.data.clear()
                self.bytes = 0
                return
            touched = set(tags)
            for key in [k for k, (_, t) in self.data.items() if t & touched]:
                self.bytes -= len(self.data.pop(key)[0])
                self.dropped += 1

    def stats(self) -> dict[str, int]:
        return {"size": self.size, "entries": len(self.data), "bytes": self.bytes,
                "hits": self.hits, "misses": self.misses, "dropped": self.dropped}


class EventCache:
    """Events serialised to JSON (with their entity lists and objects), by id, least
    recently used first out, within ``size`` events. A stored event never changes (the
    store only adds events), so a kept one is never stale and no write drops it: an event
    page the answer cache does not hold looks up its ids and reads from the store only the
    events not kept here."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get_many(self, ids: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with self.lock:
            for i in ids:
                body = self.data.get(i)
                if body is None:
                    self.misses += 1
                else:
                    self.hits += 1
                    self.data.move_to_end(i)
                    out[i] = body
        return out

    def put_many(self, items: dict[str, bytes], *, recent: bool = True) -> None:
        """Keep ``items`` as the most recently used (``recent``), else as the least, in
        reverse order (events read ahead, newest first: the first of each batch is kept
        longest of it, and each batch less long than those kept before)."""
        with self.lock:
            if not recent:
                room = max(0, self.size - len(self.data))
                fresh = [(k, v) for k, v in items.items() if k not in self.data][:room]
                old = self.data
                self.data = OrderedDict(reversed(fresh))
                self.data.update(old)
                return
            self.data.update(items)
            for i in items:
                self.data.move_to_end(i)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def stats(self) -> dict[str, int]:
        return {"size": self.size, "entries": len(self.data), "hits": self.hits,
                "misses": self.misses}


SMALL_STORE = 20_000
"""Stores of at most this many events have their in-memory index built before the app
starts (well under a second); larger ones in the background."""

EVENTS_PER_ANSWER = 16
"""Events the :class:`EventCache` keeps per answer the answer cache keeps (``--cache-size``;
1024 answers: 16,384 events, about 16 MB)."""


class _Readers:
    """The store's readers: at most ``workers`` requests query it at once, each on the
    DuckDB connection of its own thread (opened once, reused), inside one read
    transaction (so a request sees whole batches, and the same ones throughout) and under
    the query timeout. A request that cannot start within ``queue_timeout`` seconds of
    its arrival is answered 503 (:class:`~detente.errors.ServerBusy`) with a
    ``Retry-After`` estimated from the queue and the recent query times."""

    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.store = store
        self.config = config
        self.workers = config.workers
        self.slots = threading.BoundedSemaphore(self.workers)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.waiting = 0
        self.busy_answers = 0
        self.service = 0.05
        """Recent mean seconds a request holds a worker (moving average)."""

    def _retry_after(self) -> int:
        return max(1, min(60, math.ceil(self.waiting * self.service / self.workers)))

    def _connection(self) -> Store:
        s: Store | None = getattr(self.local, "store", None)
        if s is None:
            s = self.store.fork()
            self.local.store = s
        return s

    @contextmanager
    def __call__(self) -> Iterator[Store]:
        arrived = _ARRIVED.get()
        now = time.monotonic()
        budget = self.config.queue_timeout - (now - arrived if arrived is not None else 0.0)
        with self.lock:
            self.waiting += 1
        try:
            got = self.slots.acquire(timeout=budget) if budget > 0 else \
                self.slots.acquire(blocking=False)
        finally:
            with self.lock:
                self.waiting -= 1
        if not got:
            with self.lock:
                self.busy_answers += 1
                retry = self._retry_after()
            raise ServerBusy(f"the server is busy: {self.workers} requests are querying the "
                             f"store and more are waiting", retry_after=retry,
                             waited=round(time.monotonic() - (arrived or now), 3))
        started = time.monotonic()
        try:
            s = self._connection()
            s.con.execute("BEGIN TRANSACTION")
            try:
                with s.deadline(self.config.query_timeout):
                    yield s
            finally:
                try:
                    s.con.execute("ROLLBACK")
                except Exception:  # noqa: BLE001 - a broken connection is replaced
                    self.local.store = None
        finally:
            self.slots.release()
            with self.lock:
                self.service = 0.9 * self.service + 0.1 * (time.monotonic() - started)

    def stats(self) -> dict[str, Any]:
        return {"workers": self.workers, "waiting": self.waiting,
                "busy_answers": self.busy_answers,
                "mean_query_ms": round(self.service * 1000, 1)}


@dataclass
class _State:
    config: ServerConfig
    store: Store
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    cache: AnswerCache = field(default_factory=lambda: AnswerCache(0))
    events: EventCache | None = None
    """Serialised events (None: no answer cache, or no orjson)."""
    readers: _Readers | None = None
    flights: dict[tuple[Any, ...], threading.Lock] = field(default_factory=dict)
    """Answers being computed (see ``compute_body`` in :func:`create_app`)."""
    flights_lock: threading.Lock = field(default_factory=threading.Lock)
    index: ServingIndex | None = None
    """The in-memory index, once built (None: not yet, turned off, or failed)."""
    index_stats: dict[str, Any] = field(default_factory=lambda: {"state": "off"})
    builder: threading.Thread | None = None
    """The thread building the index (on a large store)."""
    builder_store: Store | None = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write to the store (the writes of the block): the answers it changes are
        dropped and its new events go into the in-memory index (which is dropped, not
        left stale, if that fails: the store then answers)."""
        with self.write_lock:
            self.store.touched, self.store.written = set(), set()
            try:
                yield
            finally:
                try:
                    if self.index is not None and self.store.written:
                        self.index.add(self.store, self.store.written)
                except Exception:  # noqa: BLE001 - the store still answers everything
                    log.exception("the in-memory index could not take the new events; "
                                  "the store answers from now on")
                    self.index = None
                    self.index_stats = {"state": "failed"}
                self.cache.invalidate(self.store.touched)
                self.store.touched = self.store.written = None

    def stop_builder(self) -> None:
        """Interrupt a build still running (before the store is closed)."""
        if self.builder is None:
            return
        s = self.builder_store
        if s is not None:
            s.con.interrupt()
        self.builder.join(timeout=30)

    def reader(self) -> Any:
        """A connection for one request (see :class:`_Readers`)."""
        if self.readers is None:
            self.readers = _Readers(self.store, self.config)
        return self.readers()


def page_tag(f: EventFilter) -> str:
    """The one tag an event page depends on: a new event on that page matches every
    filter, so it carries the tag of the most selective one."""
    if f.article_id:
        return ALL
    if f.actor and f.recipient:
        return f"d:{f.actor}>{f.recipient}"
    if f.actor:
        return f"a:{f.actor}"
    if f.recipient:
        return f"r:{f.recipient}"
    if f.event_type:
        return f"t:{f.event_type}"
    return ALL


def _asset(package: str, *parts: str) -> Path | None:
    try:
        base = Path(str(resources.files(package)))
    except (ModuleNotFoundError, TypeError):
        return None
    p = base.joinpath(*parts)
    return p if p.is_file() else None


def plotly_js() -> Path | None:
    """``plotly.min.js`` shipped inside the plotly Python package, if installed."""
    return _asset("plotly", "package_data", "plotly.min.js")


def docs_assets() -> Path | None:
    """The Swagger UI and ReDoc files shipped inside fastapi-offline, if installed."""
    p = _asset("fastapi_offline", "static", "swagger-ui-bundle.js")
    return p.parent if p is not None else None


def _build_index(state: _State) -> None:
    """Build the in-memory index and read the newest events into the event cache (in a
    thread of its own at start-up; writes wait meanwhile, reads ask the store)."""
    config = state.config
    started = time.perf_counter()
    try:
        with state.write_lock:
            s = state.builder_store = state.store.fork()
            try:
                if config.memory_index:
                    state.index = ServingIndex(s)
                state.index_stats = {"state": "reading events",
                                     "build_s": round(time.perf_counter() - started, 1)}
                kept = 0
                if config.memory_events > 0 and state.events is not None:
                    keys = (state.index.warm_keys(config.memory_events) if state.index
                            else s.event_page_keys(limit=config.memory_events))
                    kept = _read_ahead(s, state.events, keys)
            finally:
                state.builder_store = None
                s.close()
        state.index_stats = {"state": "ready" if state.index else "off",
                             "memory_events": kept,
                             "build_s": round(time.perf_counter() - started, 1)}
        log.info("in-memory index ready in %.1f s", time.perf_counter() - started)
    except Exception:  # noqa: BLE001 - the store answers without it
        log.exception("the in-memory index could not be built; the store answers")
        state.index = None
        state.index_stats = {"state": "failed"}


def _read_ahead(s: Store, events: EventCache, keys: list[tuple[str, Date]], *,
                step: int = 20_000) -> int:
    """Put the events ``keys`` (the first kept longest) into ``events``, ``step`` at a
    time (each read's memory stays small); how many were read."""
    kept = 0
    for i in range(0, len(keys), step):
        part = [k[0] for k in keys[i:i + step]]
        rows = {r["id"]: _json_bytes(r) for r in s.iter_events_by_id(part)}
        events.put_many({k: rows[k] for k in part if k in rows}, recent=False)
        kept += len(rows)
    return kept


class _NeedsStore(Exception):
    """An answer the fast path cannot give from memory."""


_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TYPE = re.compile(r"[A-Za-z_]{1,32}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_LIMIT = re.compile(r"[1-9]\d{0,5}")
_BOOLS = {"true": True, "false": False}
_PERIODS = frozenset({"day", "week", "month", "quarter", "year"})


def _hot_request(scope: Scope, max_page: int, event_page: Callable[..., Any],
                 dyad_series: Callable[..., Any]) -> Any:
    """``(key, compute, tags)`` of ``GET /events`` with only actor, recipient, type,
    since, until, certain, limit and cursor, or of ``GET /dyads/A/R`` with only by,
    both, include_uncertain, since and until, every value plainly valid (as the
    handlers would take it); else None."""
    path = scope.get("path", "")
    try:
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        q = dict(pairs)
        if len(q) != len(pairs):  # a repeated parameter
            return None
        days = {k: Date.fromisoformat(q[k]) for k in ("since", "until")
                if k in q and _DAY.fullmatch(q[k])}
    except ValueError:
        return None
    if any(k in q and k not in days for k in ("since", "until")):
        return None
    if path == "/events":
        if not q.keys() <= {"actor", "recipient", "type", "since", "until", "certain",
                            "limit", "cursor"}:
            return None
        limit = q.get("limit", "50")
        if not (_LIMIT.fullmatch(limit) and int(limit) <= max_page):
            return None
        if any(k in q and not _CODE.fullmatch(q[k]) for k in ("actor", "recipient")):
            return None
        if ("type" in q and not _TYPE.fullmatch(q["type"])) or \
                q.get("certain", "false") not in _BOOLS:
            return None
        after = None
        if "cursor" in q:
            if len(q["cursor"]) > 200:
                return None
            try:
                after = decode_cursor(q["cursor"])
            except BadCursor:
                return None
        f = EventFilter(actor=q.get("actor"), recipient=q.get("recipient"),
                        event_type=q.get("type"), since=days.get("since"),
                        until=days.get("until"), certain_only=_BOOLS[q.get("certain", "false")])
        return event_page(f, after, int(limit))
    parts = path.split("/")
    if len(parts) != 4 or parts[1] != "dyads" or not (_CODE.fullmatch(parts[2])
                                                      and _CODE.fullmatch(parts[3])):
        return None
    if not q.keys() <= {"by", "both", "include_uncertain", "since", "until"}:
        return None
    by = q.get("by", "month")
    both, uncertain = q.get("both", "false"), q.get("include_uncertain", "false")
    if by not in _PERIODS or both not in _BOOLS or uncertain not in _BOOLS:
        return None
    return dyad_series(parts[2], parts[3], by, _BOOLS[both], _BOOLS[uncertain],
                       days.get("since"), days.get("until"))


def create_app(config: ServerConfig, *, store: Store | None = None) -> Any:
    """The FastAPI application (wrapped in :class:`Guard`). ``store`` may be given
    (tests, ``detente get``); otherwise ``config.db`` is opened."""
    try:
        from fastapi import Depends, FastAPI, File, Form, Query, Request
        from fastapi import Path as PathParam
        from fastapi.exceptions import RequestValidationError
        from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
        from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
        from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
        from fastapi.staticfiles import StaticFiles
        from pydantic import BaseModel, Field
        from starlette.concurrency import run_in_threadpool
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise WebExtraMissing(f"the HTTP API needs FastAPI: {exc}") from exc

    check_config(config)
    if store is None:
        store = api.open_for_serving(config.db, read_only=config.read_only)
    state = _State(config=config, store=store, cache=AnswerCache(config.cache_size))
    kept = config.cache_size * EVENTS_PER_ANSWER + config.memory_events
    if kept > 0 and _orjson is not None and hasattr(_orjson, "Fragment"):
        state.events = EventCache(kept)
    state.readers = _Readers(store, config)
    if config.memory_index or config.memory_events > 0:
        state.index_stats = {"state": "building"}
        if store.generation()[1] <= SMALL_STORE:
            _build_index(state)
        else:
            state.builder = threading.Thread(target=_build_index, args=(state,),
                                             name="detente-index", daemon=True)
            state.builder.start()
    max_page = config.max_page

    class ErrorBody(BaseModel):
        code: str = Field(pattern=r"^E\d{3}$", examples=["E404"])
        message: str
        hint: str
        status: int
        details: dict[str, Any] = Field(default_factory=dict)

    class ErrorResponse(BaseModel):
        """Every error: a code (``E7xx`` for HTTP-level ones), message, hint, status."""

        error: ErrorBody

    err = {"model": ErrorResponse}
    errors: dict[int | str, dict[str, Any]] = {
        s: {**err, "description": d} for s, d in (
            (400, "Bad request (E709 bad cursor, E712 bad host, E5xx usage)"),
            (404, "Not found (E404, E706)"), (405, "Method not allowed (E707)"),
            (413, "Body too large (E701)"), (422, "Validation error (E708)"),
            (429, "Rate limited (E702)"), (500, "Internal error (E714)"),
            (503, "Server busy (E716, with Retry-After), store busy or model missing"),
            (504, "Query timeout (E703)"))}
    write_errors: dict[int | str, dict[str, Any]] = {
        **errors, 401: {**err, "description": "Missing or wrong token (E704)"},
        403: {**err, "description": "Writes disabled (E705) or cross-origin (E711)"},
        415: {**err, "description": "Unsupported upload (E713)"}}

    app = FastAPI(
        title="detente",
        version=__version__,
        description="Political event data from dated news text: events, articles, actors, "
        "dyad series, networks and alerts from a detente store; code and ingest news text. "
        "Every error has the shape `{\"error\": {\"code\", \"message\", \"hint\", \"status\", "
        "\"details\"}}`.",
        docs_url=None,
        redoc_url=None,
        responses=errors,
    )
    app.state.detente = state

    # -- errors ------------------------------------------------------------------

    def respond(exc: DetenteError, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(error_body(exc), status_code=exc.http_status, headers=headers)

    @app.exception_handler(DetenteError)
    async def _detente_error(request: Request, exc: DetenteError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, RateLimited | ServerBusy):
            headers = {"Retry-After": str(exc.fields.get("retry_after", 1))}
        return respond(exc, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            e: DetenteError = RouteNotFound(f"no route {request.method} {request.url.path}")
        elif exc.status_code == 405:
            e = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
        else:
            e = HttpError(str(exc.detail))
            return JSONResponse(error_body(e, exc.status_code), status_code=exc.status_code)
        return respond(e)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems: list[dict[str, Any]] = [
            {"loc": [str(x) for x in p.get("loc", ())], "msg": str(p.get("msg", "")),
             "type": str(p.get("type", ""))} for p in exc.errors()]
        where = ", ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems[:5])
        return respond(InvalidRequest(f"invalid request: {where}", errors=problems))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(InternalError(f"unexpected {type(exc).__name__} while answering "
                                     f"{request.method} {request.url.path}"))

    # -- helpers ------------------------------------------------------------------

    def ok(content: Any, status: int = 200) -> Response:
        return Response(_json_bytes(content), status_code=status,
                        media_type="application/json")

    async def cached(key: tuple[Any, ...], compute: Callable[[Any], Any],
                     tags: Iterable[str] = (ALL,), *, lazy: bool = False) -> Response:
        """An answer from the cache, or computed (and kept, with the tags of the writes
        that can change it). The cache is looked up on the event loop, so a kept answer
        never waits for a worker thread behind requests that wait for the store."""
        body = state.cache.get(key)
        if body is None:
            body = await run_in_threadpool(compute_body, key, compute, tags, lazy)
        return Response(body, media_type="application/json")

    def compute_body(key: tuple[Any, ...], compute: Callable[[Any], Any],
                     tags: Iterable[str], lazy: bool = False) -> bytes:
        """Compute and keep one answer. Requests for the same answer that miss the cache
        together (after a write dropped it) wait for the first one's result instead of
        computing it again each."""
        if state.cache.size <= 0:
            return compute_now(key, compute, tags, lazy)
        with state.flights_lock:
            flight = state.flights.setdefault(key, threading.Lock())
        try:
            with flight:
                body = state.cache.get(key, count=False)  # computed meanwhile
                if body is not None:
                    return body
                return compute_now(key, compute, tags, lazy)
        finally:
            with state.flights_lock:
                if state.flights.get(key) is flight:
                    del state.flights[key]

    def compute_now(key: tuple[Any, ...], compute: Callable[[Any], Any],
                    tags: Iterable[str], lazy: bool = False) -> bytes:
        """``compute`` is given a store connection, or with ``lazy`` a function that
        gives one (taken only if called: answers from memory need none)."""
        generation = state.cache.generation
        with ExitStack() as stack:
            if lazy:
                held: list[Store] = []

                def db() -> Store:
                    if not held:
                        held.append(stack.enter_context(state.reader()))
                    return held[0]

                answer = compute(db)
            else:
                answer = compute(stack.enter_context(state.reader()))
        body = _json_bytes(answer)  # outside: the reader is free for the next request
        state.cache.put(key, body, tags=tags, generation=generation)
        return body

    def page_events(db: Callable[[], Store], keys: list[tuple[str, Date]]) -> list[Any]:
        """The events ``keys`` of a page: the kept ones as JSON fragments, the others read
        from the store (and kept); without an event cache, all read as rows."""
        if state.events is None:
            return db().events_by_key(keys)
        kept = state.events.get_many(k[0] for k in keys)
        missing = [k for k in keys if k[0] not in kept]
        if missing:
            new = {row["id"]: _json_bytes(row) for row in db().events_by_key(missing)}
            state.events.put_many(new)
            kept.update(new)
        return [_orjson.Fragment(kept[k[0]]) for k in keys]

    Answer = tuple[tuple[Any, ...], Callable[[Callable[[], Store]], Any], tuple[str, ...]]

    def event_page(f: EventFilter, after: tuple[Date, str] | None, limit: int) -> Answer:
        """``(cache key, compute, tags)`` of an event page (``compute`` is lazy)."""

        def page(db: Callable[[], Store]) -> dict[str, Any]:
            index = state.index
            keys = index.page_keys(f, after=after, limit=limit) if index else None
            if keys is None:
                keys = db().event_page_keys(f, after=after, limit=limit)
            nxt = encode_cursor(keys[-1][1], keys[-1][0]) if len(keys) == limit else None
            return {"events": page_events(db, keys), "next_cursor": nxt, "limit": limit}

        return ("events", f, limit, after), page, (page_tag(f),)

    def dyad_series(actor: str, recipient: str, by: str, both: bool, include_uncertain: bool,
                    since: Date | None, until: Date | None) -> Answer:
        """``(cache key, compute, tags)`` of a dyad series (``compute`` is lazy)."""
        a, r = actor.upper(), recipient.upper()
        options: dict[str, Any] = {"by": by, "both_directions": both,
                                   "include_uncertain": include_uncertain,
                                   "since": since, "until": until}

        def series(db: Callable[[], Store]) -> dict[str, Any]:
            index = state.index
            rows = index.dyad_series(a, r, **options) if index else None
            if rows is None:
                rows = db().code_dyad_series(a, r, **options)
            return {"actor": a, "recipient": r, "by": by, "both": both,
                    "include_uncertain": include_uncertain, "series": rows}

        return (("dyad", a, r, by, both, include_uncertain, since, until), series,
                (f"d:{a}>{r}", f"d:{r}>{a}"))

    async def fast(scope: Scope) -> bytes | None:
        """The answer to a plain event page or dyad series request, without the
        framework (a third of a millisecond of CPU a request): kept, or computed from
        memory. ``None`` (the framework answers, errors included) for anything else: a
        parameter it does not know or whose value is not plainly valid, or an answer
        that needs the store."""
        answer = _hot_request(scope, max_page, event_page, dyad_series)
        if answer is None:
            return None
        key, compute, tags = answer
        body = state.cache.get(key, count=False)  # counted below, or by the framework
        if body is not None:
            state.cache.count(hit=True)
            return body
        generation = state.cache.generation

        def no_store() -> Store:
            raise _NeedsStore

        try:
            body = _json_bytes(compute(no_store))
        except _NeedsStore:
            return None
        state.cache.count(hit=False)
        state.cache.put(key, body, tags=tags, generation=generation)
        return body

    bearer = HTTPBearer(auto_error=False, description="The server's token (--token or "
                        "$DETENTE_TOKEN); needed for writes when one is set.")

    def require_write(request: Request, credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> None:
        if config.read_only:
            raise WritesDisabled("this server is read-only")
        origin = request.headers.get("origin")
        if origin:
            own = f"{request.url.scheme}://{request.headers.get('host', '')}"
            if origin != own and origin not in config.cors_origins:
                raise CrossOriginWrite(f"writes from {origin[:100]} are not accepted")
        if config.token:
            given = credentials.credentials if credentials is not None else ""
            if not hmac.compare_digest(given.encode("utf-8"), config.token.encode("utf-8")):
                raise Unauthorized("a valid bearer token is required for writes")

    Code = Annotated[str, PathParam(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                                    description="Entity code, e.g. USA, TUR, NATO.")]
    Id = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    CodeQ = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="Entity code (exact, any case).")]
    Since = Annotated[Date | None, Query(description="From date YYYY-MM-DD (inclusive).")]
    Until = Annotated[Date | None, Query(description="To date YYYY-MM-DD (inclusive).")]
    Limit = Annotated[int, Query(ge=1, le=max_page, description=f"Page size (1-{max_page}).")]
    Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the "
                                         "previous page.")]
    By = Annotated[Literal["day", "week", "month", "quarter", "year"],
                   Query(description="Period.")]

    # -- dashboard and docs ---------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def dashboard() -> Response:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(WEB_DIR)), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> Response:
        p = plotly_js()
        if p is None:
            return Response("/* plotly is not installed: charts are shown as tables */",
                            media_type="text/javascript")
        return FileResponse(p, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    assets = docs_assets()
    if assets is not None:
        app.mount("/vendor/docs", StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if assets is None:
            return HTMLResponse("<p>Install fastapi-offline for the interactive docs; the "
                                "schema is at <a href='/openapi.json'>/openapi.json</a>.</p>")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="detente API",
                                   swagger_js_url="/vendor/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/vendor/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        if assets is None:
            return HTMLResponse("<p>Install fastapi-offline for ReDoc.</p>")
        return get_redoc_html(openapi_url="/openapi.json", title="detente API",
                              redoc_js_url="/vendor/docs/redoc.standalone.js",
                              redoc_favicon_url="/static/favicon.svg",
                              with_google_fonts=False)

    # -- reads ----------------------------------------------------------------------

    @app.get("/health", tags=["meta"], summary="Health and store counts")
    async def health() -> Response:
        """Counts come from the answer cache (dropped by every write), so a busy server
        still answers at once."""
        key = ("health-counts",)
        body = state.cache.get(key, count=False)
        if body is None:
            body = await run_in_threadpool(compute_body, key, lambda s: s.generation(), (ALL,))
        articles, events = json.loads(body)
        return ok({"status": "ok", "articles": articles, "events": events,
                   "writes": config.writes, "read_only": config.read_only,
                   "max_page": max_page, "max_body": config.max_body,
                   "cache": state.cache.stats(),
                   "event_cache": state.events.stats() if state.events else None,
                   "index": {**state.index_stats,
                             **(state.index.stats() if state.index else {})},
                   "readers": state.readers.stats() if state.readers else None})

    @app.get("/version", tags=["meta"], summary="Versions of detente, knowledge, model")
    def version() -> Response:
        from .nlp import model_name
        from .store import SCHEMA_VERSION

        try:
            model = model_name()
        except DetenteError:
            model = None
        kb = api.knowledge(config.kb_dirs)
        return ok({"detente": __version__, "knowledge": kb.version, "model": model,
                   "coder": api.DEFAULT_CODER, "schema": SCHEMA_VERSION})

    @app.get("/events", tags=["events"], summary="Events with filters, newest first")
    async def events(
        actor: CodeQ = None,
        recipient: CodeQ = None,
        type: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z_]+$",
                                          description="PLOVER event type, e.g. REQUEST."
                                          )] = None,
        mode: Annotated[str | None, Query(max_length=64)] = None,
        context: Annotated[str | None, Query(max_length=64)] = None,
        since: Since = None,
        until: Until = None,
        text: Annotated[str | None, Query(max_length=200, description="Evidence sentence "
                                          "contains (any case).")] = None,
        object: Annotated[str | None, Query(max_length=100, description="Object name or "
                                            "text, e.g. S-400.")] = None,
        min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
        article: Annotated[str | None, Query(max_length=64)] = None,
        certain: Annotated[bool, Query(description="Leave out negated and hypothetical "
                                       "events (as the dyad series do).")] = False,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Response:
        """Events newest first (date, then id). Follow `next_cursor` for the next page."""
        after = decode_cursor(cursor) if cursor else None
        f = EventFilter(actor=actor, recipient=recipient, event_type=type, mode=mode,
                        context=context, since=since, until=until, text=text, obj=object,
                        min_confidence=min_confidence, article_id=article,
                        certain_only=certain)
        return await cached(*event_page(f, after, limit), lazy=True)

    @app.get("/events/{event_id}", tags=["events"], summary="One event with its evidence")
    def event(event_id: Id) -> Response:
        """The event, its article (without text) and the other reports of the same
        real-world event."""
        with state.reader() as s:
            answer = api.event_detail(s, event_id)
        return ok(answer)

    @app.get("/articles", tags=["articles"], summary="Stored articles, newest first")
    def articles(limit: Limit = 50, cursor: Cursor = None) -> Response:
        after = decode_cursor(cursor) if cursor else None
        with state.reader() as s:
            rows = s.article_page(after=after, limit=limit)
        nxt = (encode_cursor(rows[-1]["published"], rows[-1]["id"])
               if len(rows) == limit else None)
        return ok({"articles": rows, "next_cursor": nxt, "limit": limit})

    @app.get("/articles/{article_id}", tags=["articles"], summary="One article and its events")
    def article(article_id: Id) -> Response:
        with state.reader() as s:
            answer = api.article_detail(s, article_id)
        return ok(answer)

    @app.get("/actors", tags=["actors"], summary="Actor codes in the store")
    async def actors(q: Annotated[str | None, Query(max_length=64, description="Code prefix or "
                                              "name substring.")] = None,
               limit: Limit = 100) -> Response:
        return await cached(("actors", q, limit), lambda s: {"actors": s.actor_list(q=q,
                                                                              limit=limit)})

    @app.get("/actors/{code}", tags=["actors"], summary="One actor: resolution, offices, "
             "partners")
    async def actor(code: Code, partners: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
        c = code.upper()
        return await cached(("actor", c, partners), lambda s: api.actor_profile(
            s, c, kb=api.knowledge(config.kb_dirs), partners=partners), (f"a:{c}", f"r:{c}"))

    @app.get("/dyads/{actor}/{recipient}", tags=["analytics"],
             summary="Dyad series: events by quad class and Goldstein mean per period")
    async def dyad(actor: Code, recipient: Code, by: By = "month",
             both: Annotated[bool, Query(description="Count both directions.")] = False,
             include_uncertain: Annotated[bool, Query(description="Also count negated and "
                                                      "hypothetical events.")] = False,
             since: Since = None, until: Until = None) -> Response:
        return await cached(*dyad_series(actor, recipient, by, both, include_uncertain,
                                         since, until), lazy=True)

    @app.get("/top/actors", tags=["analytics"], summary="Most active actors")
    async def top_actors(role: Literal["actor", "recipient"] = "actor",
                   limit: Annotated[int, Query(ge=1, le=max_page)] = 20,
                   since: Since = None, until: Until = None) -> Response:
        return await cached(("top-actors", role, limit, since, until), lambda s: {
            "actors": api.top_actors(db=s, role=role, limit=limit, since=since, until=until)})

    @app.get("/top/dyads", tags=["analytics"], summary="Most active directed dyads")
    async def top_dyads(limit: Annotated[int, Query(ge=1, le=max_page)] = 20,
                  since: Since = None, until: Until = None) -> Response:
        return await cached(("top-dyads", limit, since, until), lambda s: {
            "dyads": api.network(db=s, since=since, until=until)["edges"][:limit]})

    @app.get("/network", tags=["analytics"], summary="Directed actor network")
    async def network(min_events: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                since: Since = None, until: Until = None) -> Response:
        return await cached(("network", min_events, since, until), lambda s: api.network(
            db=s, min_events=min_events, since=since, until=until))

    @app.get("/alerts", tags=["analytics"], summary="Dyad-periods that left their range")
    async def alerts(by: By = "month", window: Annotated[int, Query(ge=1, le=120)] = 6,
               k: Annotated[float, Query(gt=0, le=100)] = 2.0,
               min_events: Annotated[int, Query(ge=1, le=1_000_000)] = 3) -> Response:
        return await cached(("alerts", by, window, k, min_events), lambda s: {
            "alerts": api.alerts(db=s, by=by, window=window, k=k, min_events=min_events)})

    @app.get("/clusters", tags=["events"], summary="Real-world events with report counts")
    async def clusters(actor: CodeQ = None, recipient: CodeQ = None,
                 type: Annotated[str | None, Query(max_length=32,
                                                   pattern=r"^[A-Za-z_]+$")] = None,
                 min_articles: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 limit: Limit = 50) -> Response:
        return await cached(("clusters", actor and actor.upper(), recipient and recipient.upper(),
                       type and type.upper(), min_articles, limit),
                      lambda s: {"clusters": api.clusters(
                          db=s, actor=actor, recipient=recipient, event_type=type,
                          min_articles=min_articles, limit=limit)})

    @app.get("/clusters/{cluster_id}", tags=["events"], summary="One real-world event")
    def cluster(cluster_id: Id) -> Response:
        with state.reader() as s:
            answer = api.cluster(cluster_id, db=s)
        return ok(answer)

    # -- writes ---------------------------------------------------------------------

    class CodeRequest(BaseModel):
        text: str = Field(min_length=1, max_length=200_000)
        date: Date = Field(description="Publication date YYYY-MM-DD.")
        title: str = Field("", max_length=1_000)
        url: str = Field("", max_length=2_000)

    class ArticleIn(BaseModel):
        text: str = Field(min_length=1, max_length=2_000_000)
        date: Date | None = Field(None, description="Publication date (else the request's).")
        title: str = Field("", max_length=1_000)
        url: str = Field("", max_length=2_000)
        id: str = Field("", max_length=200, description="Your id, kept as a reference.")

    class IngestRequest(BaseModel):
        articles: list[ArticleIn] = Field(min_length=1, max_length=1_000)
        date: Date | None = Field(None, description="Date for articles that give none.")

    def summary_body(summary: api.IngestSummary) -> dict[str, Any]:
        return summary.to_dict()

    @app.post("/code", tags=["writes"], summary="Code a text; returns events, stores nothing",
              dependencies=[Depends(require_write)], responses=write_errors)
    def code(body: CodeRequest) -> Response:
        with state.write_lock:
            events = api.code(body.text, date=body.date, title=body.title, url=body.url,
                              kb_dirs=config.kb_dirs)
        return ok({"events": api.event_dicts(events)})

    @app.post("/ingest", tags=["writes"], summary="Ingest articles given as JSON",
              dependencies=[Depends(require_write)], responses=write_errors)
    def ingest(body: IngestRequest) -> Response:
        lines = []
        for a in body.articles:
            rec = {"text": a.text, "title": a.title, "url": a.url}
            day = a.date or body.date
            if day is not None:
                rec["date"] = day.isoformat()
            if a.id:
                rec["id"] = a.id
            lines.append(json.dumps(rec, ensure_ascii=False))
        stream = io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))
        with state.writing():
            summary = api.ingest_stream(stream, store=state.store, fmt="jsonl",
                                        kb_dirs=config.kb_dirs)
        return ok(summary_body(summary), status=201 if summary.articles else 200)

    @app.post("/ingest/upload", tags=["writes"], summary="Ingest an uploaded file",
              dependencies=[Depends(require_write)], responses=write_errors)
    def ingest_upload(
        file: Annotated[bytes, File(description="A file in a format `detente ingest` "
                                    "reads.")],
        format: Annotated[str | None, Form(description="dated, text, jsonl, csv, html or "
                                           "feed (default: from the content).")] = None,
        date: Annotated[Date | None, Form(description="Date for articles that give "
                                          "none.")] = None,
    ) -> Response:
        """The file is read in memory; its name is never used as a path."""
        if format is not None and format not in UPLOAD_FORMATS:
            raise UnsupportedUpload(f"unknown format {format[:40]!r}",
                                    formats=list(UPLOAD_FORMATS))
        with state.writing():
            summary = api.ingest_stream(io.BytesIO(file), store=state.store, fmt=format,
                                        date=date, kb_dirs=config.kb_dirs)
        return ok(summary_body(summary), status=201 if summary.articles else 200)

    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    return Guard(app, config, fast=None if config.cors_origins else fast)


def serve(config: ServerConfig, *, port: int = 8000, log_level: str = "info") -> None:
    """Run the app with uvicorn until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise WebExtraMissing(f"the HTTP API needs uvicorn: {exc}") from exc
    from contextlib import nullcontext

    from .store import writer_lock

    check_config(config)
    # a writable server is the store's one writer while it runs (a CLI ingest stops at
    # once with E402 instead of waiting for the file)
    lock = nullcontext() if config.read_only else writer_lock(config.db)
    with lock:
        store = api.open_for_serving(config.db, read_only=config.read_only)
        app = None
        try:
            app = create_app(config, store=store)
            uvicorn.run(app, host=config.host, port=port, log_level=log_level,
                        timeout_graceful_shutdown=5)
        finally:
            if app is not None:
                app.app.state.detente.stop_builder()
            store.close()


def get(path: str, *, config: ServerConfig) -> tuple[int, bytes, str]:
    """Run one GET request in process (``detente get /events?actor=USA``); returns
    ``(status, body, content type)``."""
    import warnings

    try:
        with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient
    except ImportError as exc:  # pragma: no cover
        raise WebExtraMissing(f"`detente get` needs httpx: {exc}") from exc
    if not path.startswith("/"):
        path = "/" + path
    store = api.open(config.db, read_only=True)
    try:
        # one request: no in-memory index to build
        app = create_app(replace(config, memory_index=False, memory_events=0), store=store)
        with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
            r = c.get(path)
        return r.status_code, r.content, r.headers.get("content-type", "")
    finally:
        store.close()


__all__ = ["Guard", "ServerConfig", "create_app", "error_body", "get", "is_loopback", "serve"]
