"""The store: one DuckDB file holding articles, events, their actors and rejects.

All SQL of detente lives here, always parameterised. Writes go in batches, one
transaction per batch, so a killed run loses at most the batch in flight and a restart
(which skips articles already stored) neither loses nor doubles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from .dedup import BLOCKING_KINDS, ArticleIndex, Cluster, DedupConfig, StoredMention, blocking
from .errors import (
    NotFound,
    QueryTimeout,
    SchemaMismatch,
    StoreError,
    StoreLocked,
    UsageError,
)
from .records import (
    Article,
    CodedArticle,
    Entity,
    Event,
    EventObject,
    Evidence,
    Factuality,
    Place,
    Reject,
)

SCHEMA_VERSION = 1
DEFAULT_DB = "detente.duckdb"
PERIODS = ("day", "week", "month", "quarter", "year")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS articles (
    id VARCHAR PRIMARY KEY,
    published DATE NOT NULL,
    title VARCHAR,
    url VARCHAR,
    source VARCHAR,
    publisher VARCHAR,
    language VARCHAR,
    text VARCHAR NOT NULL,
    sentences INTEGER,
    events INTEGER,
    coder VARCHAR,
    kb_version VARCHAR,
    ingested_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR PRIMARY KEY,
    article_id VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    mode VARCHAR[],
    context VARCHAR[],
    cameo VARCHAR,
    goldstein DOUBLE,
    quad_class INTEGER,
    intensity DOUBLE,
    date DATE NOT NULL,
    date_precision VARCHAR,
    date_basis VARCHAR,
    date_text VARCHAR,
    published DATE,
    actor_codes VARCHAR[],
    recipient_codes VARCHAR[],
    negated BOOLEAN,
    hypothetical BOOLEAN,
    future BOOLEAN,
    historical BOOLEAN,
    confidence DOUBLE,
    content VARCHAR,
    sentence_index INTEGER,
    sentence VARCHAR,
    sentence_start INTEGER,
    sentence_end INTEGER,
    trigger VARCHAR,
    trigger_start INTEGER,
    trigger_end INTEGER,
    url VARCHAR,
    place VARCHAR,
    place_name VARCHAR,
    place_country VARCHAR,
    place_admin1 VARCHAR,
    lat DOUBLE,
    lon DOUBLE,
    geonameid BIGINT,
    coder VARCHAR,
    kb_version VARCHAR
);
CREATE TABLE IF NOT EXISTS event_entities (
    event_id VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    code VARCHAR,
    sector VARCHAR,
    name VARCHAR,
    text VARCHAR,
    office VARCHAR,
    wikidata VARCHAR,
    cameo VARCHAR,
    kb_key VARCHAR,
    start_char INTEGER,
    end_char INTEGER,
    PRIMARY KEY (event_id, role, position)
);
CREATE TABLE IF NOT EXISTS event_objects (
    event_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    name VARCHAR,
    text VARCHAR,
    category VARCHAR,
    origin VARCHAR,
    kb_key VARCHAR,
    PRIMARY KEY (event_id, position)
);
CREATE TABLE IF NOT EXISTS article_dedup (
    article_id VARCHAR PRIMARY KEY,
    body_hash VARCHAR,
    minhash BLOB,
    duplicate_of VARCHAR,
    kind VARCHAR,
    similarity DOUBLE,
    source_name VARCHAR
);
CREATE TABLE IF NOT EXISTS event_clusters (
    id VARCHAR PRIMARY KEY,
    key VARCHAR NOT NULL,
    date_lo DATE NOT NULL,
    date_hi DATE NOT NULL,
    modes VARCHAR[],
    country VARCHAR,
    objects VARCHAR[],
    evidence VARCHAR[]
);
CREATE TABLE IF NOT EXISTS dedup_terms (
    word VARCHAR PRIMARY KEY,
    mentions BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS dedup_signals (
    signal VARCHAR NOT NULL,
    cluster_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS event_mentions (
    event_id VARCHAR PRIMARY KEY,
    cluster_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    id VARCHAR PRIMARY KEY,
    source VARCHAR,
    stage VARCHAR,
    code VARCHAR,
    message VARCHAR,
    article_id VARCHAR,
    excerpt VARCHAR,
    rejected_at TIMESTAMP
);
"""

SUMMARY_VERSION = "3"
"""Version of the serving summaries (``meta`` key ``summaries``); a store whose summaries
are missing or of another version has them rebuilt when opened for writing (2 added
``sum_dyad_month``, 3 ``sum_event_entities``)."""

_SUMMARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS sum_dyad_day (source VARCHAR, target VARCHAR, day DATE,
    quad_class INTEGER, certain BOOLEAN, mirror BOOLEAN, events BIGINT, goldstein_n BIGINT,
    goldstein_sum DOUBLE, intensity_n BIGINT, intensity_sum DOUBLE);
CREATE TABLE IF NOT EXISTS sum_dyad_month (source VARCHAR, target VARCHAR, month DATE,
    events BIGINT, conflict BIGINT, goldstein_n BIGINT, goldstein_sum DOUBLE);
CREATE TABLE IF NOT EXISTS sum_key_day (key VARCHAR, day DATE, events BIGINT);
CREATE TABLE IF NOT EXISTS sum_actor (code VARCHAR, events BIGINT, as_actor BIGINT,
    as_recipient BIGINT);
CREATE TABLE IF NOT EXISTS sum_actor_surface (code VARCHAR, role VARCHAR, sector VARCHAR,
    text VARCHAR, name VARCHAR, office VARCHAR, mentions BIGINT);
CREATE TABLE IF NOT EXISTS sum_clusters (id VARCHAR PRIMARY KEY, event_type VARCHAR,
    cameo VARCHAR, date_lo DATE, date_hi DATE, actor_codes VARCHAR[],
    recipient_codes VARCHAR[], mentions BIGINT, articles BIGINT, sources BIGINT,
    confidence DOUBLE, objects VARCHAR[]);
CREATE TABLE IF NOT EXISTS sum_event_entities (day DATE, event_id VARCHAR, role VARCHAR,
    position INTEGER, code VARCHAR, sector VARCHAR, name VARCHAR, text VARCHAR,
    office VARCHAR, wikidata VARCHAR, cameo VARCHAR, kb_key VARCHAR, start_char INTEGER,
    end_char INTEGER);
"""
"""Serving summaries, kept by every write in the batch's transaction (see
:meth:`Store.rebuild_summaries`). Counts are additive: a write appends the counts of the
events it stored (rows of one key add up), so the HTTP API answers from a few rows
instead of scanning every event:

- ``sum_dyad_day``: events per directed pair of different codes (as the network),
  day, quad class and certainty (neither negated nor hypothetical), with Goldstein and
  intensity sums; ``mirror`` marks events that also count for the reverse pair, so a
  two-way series counts each event once;
- ``sum_dyad_month``: the same pairs' certain events per month, with their conflict
  (quad classes 3-4) count and Goldstein sum: what the shift detector reads by month,
  quarter or year (a few rows per dyad and month instead of one per dyad, day and class);
- ``sum_key_day``: events per day for ``*`` (all), ``a:CODE``, ``r:CODE`` and
  ``t:TYPE``, which tells an event page how far back its newest events lie;
- ``sum_actor``, ``sum_actor_surface``: per code, the events, actor and recipient roles,
  and the sectors, names and surface texts it was resolved from;
- ``sum_clusters``: one row per cluster with its report counts (recomputed for the
  clusters a batch changes);
- ``sum_event_entities``: the rows of ``event_entities`` with their event's date, in
  date order, so that an event page finds the entities of its events in the few row
  groups of its dates instead of scanning the whole entity table.
"""

EVENT_COLUMNS = (
    "id", "article_id", "event_type", "mode", "context", "cameo", "goldstein", "quad_class",
    "intensity", "date", "date_precision", "date_basis", "date_text", "published",
    "actor_codes", "recipient_codes", "negated", "hypothetical", "future", "historical",
    "confidence", "content", "sentence_index", "sentence", "sentence_start", "sentence_end",
    "trigger", "trigger_start", "trigger_end", "url", "place", "place_name", "place_country",
    "place_admin1", "lat", "lon", "geonameid", "coder", "kb_version",
)


@dataclass
class DedupBatch:
    """Dedup results to write with a batch: article rows and changed clusters."""

    articles: list[tuple[Any, ...]] = field(default_factory=list)
    """``(article_id, body_hash, minhash bytes, duplicate_of, kind, similarity,
    source_name)``."""
    clusters: list[Cluster] = field(default_factory=list)
    terms: dict[str, int] = field(default_factory=dict)
    """Name-word mention counts to add (:meth:`EventClusterer.take_terms`)."""


def default_path() -> Path:
    """``$DETENTE_DB`` or ``./detente.duckdb``."""
    return Path(os.environ.get("DETENTE_DB") or DEFAULT_DB)


def _event_row(e: Event) -> tuple[Any, ...]:
    ev, f, loc = e.evidence, e.factuality, e.location
    return (
        e.id, e.article_id, e.event_type, list(e.mode), list(e.context), e.cameo, e.goldstein,
        e.quad_class, e.intensity, e.date, e.date_precision, e.date_basis, e.date_text,
        e.published, [a.code for a in e.actor], [r.code for r in e.recipient], f.negated,
        f.hypothetical, f.future, f.historical, e.confidence, e.content, ev.sentence_index,
        ev.sentence, ev.start, ev.end, ev.trigger, ev.trigger_start, ev.trigger_end, ev.url,
        loc.text if loc else None, loc.name if loc else None, loc.country if loc else None,
        loc.admin1 if loc else None, loc.lat if loc else None, loc.lon if loc else None,
        loc.geonameid if loc else None, e.coder, e.kb_version,
    )


def _reject_id(r: Reject) -> str:
    key = "\x1f".join((r.source, r.stage, r.code, r.article_id, r.message))
    return "r" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]


INTEGRITY_CHECKS: dict[str, str] = {
    "duplicate article ids": "SELECT count(*) - count(DISTINCT id) FROM articles",
    "duplicate event ids": "SELECT count(*) - count(DISTINCT id) FROM events",
    "duplicate reject ids": "SELECT count(*) - count(DISTINCT id) FROM rejects",
    "events without their article":
        "SELECT count(*) FROM events e WHERE NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.id = e.article_id)",
    "articles whose event count is wrong":
        "SELECT count(*) FROM articles a WHERE coalesce(a.events, 0) <> "
        "(SELECT count(*) FROM events e WHERE e.article_id = a.id)",
    "entities without their event":
        "SELECT count(*) FROM event_entities x WHERE NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.id = x.event_id)",
    "objects without their event":
        "SELECT count(*) FROM event_objects o WHERE NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.id = o.event_id)",
    "events not in exactly one cluster":
        "SELECT count(*) FROM events e WHERE (SELECT count(*) FROM event_mentions m "
        "WHERE m.event_id = e.id) <> 1",
    "mentions of a missing event or cluster":
        "SELECT count(*) FROM event_mentions m WHERE NOT EXISTS (SELECT 1 FROM events e "
        "WHERE e.id = m.event_id) OR NOT EXISTS (SELECT 1 FROM event_clusters c "
        "WHERE c.id = m.cluster_id)",
    "clusters without mentions":
        "SELECT count(*) FROM event_clusters c WHERE NOT EXISTS "
        "(SELECT 1 FROM event_mentions m WHERE m.cluster_id = c.id)",
    "articles without a dedup row":
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM article_dedup d WHERE d.article_id = a.id)",
}
"""Integrity checks (:meth:`Store.integrity`): each counts rows that should not exist."""

CHECKPOINT_HEADROOM = 64 * 2**20
"""Bytes a batch's checkpoint may use beyond what DuckDB cannot evict
(:meth:`Store.lean_checkpoint`)."""
ALLOCATOR_FLUSH = 16 * 2**20
"""DuckDB's allocator gives memory back to the system after a task that used more than
this (its default: 128 MiB)."""

_ARROW_SCHEMAS: dict[str, Any] = {}
"""Arrow schema of each table (fixed by :data:`SCHEMA_VERSION`), for bulk inserts."""

LOCK_TIMEOUT_ENV = "DETENTE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0
"""Seconds a process waits for a store another process has open (see :class:`Store`)."""
_PID_RE = re.compile(r"\(PID (\d+)\)")


def default_lock_timeout() -> float:
    """``$DETENTE_LOCK_TIMEOUT`` seconds, else :data:`DEFAULT_LOCK_TIMEOUT`."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"${LOCK_TIMEOUT_ENV} must be a number of seconds, got {raw!r}"
                         ) from None
    if value < 0 or value != value:
        raise UsageError(f"${LOCK_TIMEOUT_ENV} must be >= 0, got {raw!r}")
    return value


def _connect(path: Path, *, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting up to ``timeout`` seconds (with backoff) while
    another process holds a conflicting lock."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            msg = str(exc)
            if "lock" not in msg.lower():
                raise StoreError(f"cannot open {path}: {msg}", path=str(path)) from exc
            left = deadline - time.monotonic()
            if left <= 0:
                m = _PID_RE.search(msg)
                pid = int(m[1]) if m else None
                who = f"process {pid}" if pid else "another process"
                raise StoreLocked(
                    f"{path} is held by {who} (an ingest writing, or a reader); waited "
                    f"{timeout:g} s", path=str(path), pid=pid,
                    hint=f"wait for it to finish, or wait longer with ${LOCK_TIMEOUT_ENV}="
                    "SECONDS; an ingest releases the store between batches") from exc
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path} is not a usable DuckDB file: {exc}",
                             path=str(path)) from exc


@contextmanager
def writer_lock(path: Path | str | None = None) -> Iterator[None]:
    """Hold the store's writer lock (``<store>.lock``) for one writing run.

    Only one process writes a store at a time. An ingest opens the DuckDB file only while
    it commits a batch, so readers get in between batches; this lock keeps a second
    writer out for the whole run. It is an OS lock (``flock``): the kernel drops it when
    the holder dies, so a killed ingest never leaves a stale lock behind. Raises
    :class:`~detente.errors.StoreLocked` at once when another writer holds it.
    """
    db = Path(path) if path is not None else default_path()
    lock_path = db.with_name(db.name + ".lock")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: DuckDB's own lock still applies
        yield
        return
    try:
        fh = lock_path.open("a+")
    except OSError as exc:
        raise StoreError(f"cannot create the writer lock {lock_path}: {exc.strerror}",
                         path=str(lock_path)) from exc
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise StoreLocked(f"{db} is being written by another detente process "
                              f"(pid {holder})", path=str(db), pid=holder,
                              hint="one writer per store: wait for it to finish") from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class EventFilter:
    """The filters of an event page (:meth:`Store.event_page`); hashable, so it can key
    a cache. ``actor``/``recipient`` match an entity code (``USA``, ``NATO``) exactly,
    ignoring case; ``event_type`` a PLOVER type, ignoring case; ``mode``/``context`` one
    of the event's modes/contexts; ``since``/``until`` the event date (inclusive);
    ``text`` a substring of the evidence sentence (any case); ``obj`` an object's name or
    surface text (``S-400``, any case); ``min_confidence`` the least confidence;
    ``article_id`` the article; ``certain_only`` leaves out negated and hypothetical
    events (as the dyad series do). Codes and types are kept upper-cased."""

    actor: str | None = None
    recipient: str | None = None
    event_type: str | None = None
    mode: str | None = None
    context: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None
    obj: str | None = None
    min_confidence: float | None = None
    article_id: str | None = None
    certain_only: bool = False

    def __post_init__(self) -> None:
        for name in ("actor", "recipient", "event_type"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, value.upper())


class Store:
    """A detente DuckDB store. Use as a context manager or call :meth:`close`.

    Concurrency: DuckDB lets one process open a file for writing, or several for reading.
    Opening waits up to ``lock_timeout`` seconds (default ``$DETENTE_LOCK_TIMEOUT`` or
    30) while another process holds the file, then raises
    :class:`~detente.errors.StoreLocked`. Writers commit a batch in one transaction, so a
    reader sees every batch whole or not at all.
    """

    _borrowed: bool = False
    _lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    """Seconds this store waited, and a reopening waits, for the file's lock."""
    touched: set[str] | None = None
    """When a set, :meth:`write` adds to it the tags of what each committed batch
    changed (``*``; ``a:CODE``, ``r:CODE``, ``t:TYPE`` and ``d:ACTOR>RECIPIENT`` of its new
    events), so that the HTTP API's cache drops only the answers those events change."""
    written: set[str] | None = None
    """When a set, :meth:`write` adds to it the ids of the new events of each committed
    batch (the HTTP API's in-memory index adds them)."""
    summaries: bool = False
    """Whether the serving summaries are present and current (see
    :data:`_SUMMARY_SCHEMA`); when not (an older store opened read-only), reads fall back
    to scanning the events."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False,
                 lock_timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise NotFound(f"no store at {self.path}",
                           hint="create one with `detente ingest PATH --db FILE`")
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise StoreError(f"directory {self.path.parent} does not exist",
                             hint="create the directory or choose another --db")
        self._lock_timeout = default_lock_timeout() if lock_timeout is None else lock_timeout
        self.con = _connect(self.path, read_only=read_only, timeout=self._lock_timeout)
        try:
            self._init_schema()
        except BaseException:
            self.con.close()
            raise

    # -- lifecycle -----------------------------------------------------------------

    def _init_schema(self) -> None:
        tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        if "meta" in tables:
            row = self.con.execute("SELECT value FROM meta WHERE key = ?",
                                   ["schema_version"]).fetchone()
            found = int(row[0]) if row else 0
            if found != SCHEMA_VERSION:
                raise SchemaMismatch(f"{self.path} has schema version {found}, this detente "
                                     f"uses {SCHEMA_VERSION}", found=found,
                                     expected=SCHEMA_VERSION)
            if not self.read_only:
                self._add_columns(tables)
            row = self.con.execute("SELECT value FROM meta WHERE key = ?",
                                   ["summaries"]).fetchone()
            self.summaries = row is not None and row[0] == SUMMARY_VERSION
            if not self.summaries and not self.read_only:
                self.rebuild_summaries()
            return
        if tables:
            raise SchemaMismatch(f"{self.path} is a DuckDB file but not a detente store "
                                 f"(tables: {sorted(tables)[:5]})",
                                 hint="choose another --db path")
        if self.read_only:
            raise SchemaMismatch(f"{self.path} is empty", hint="ingest articles first")
        self.con.execute("BEGIN")
        self.con.execute(_SCHEMA)
        self.con.execute(_SUMMARY_SCHEMA)
        self.con.execute("INSERT INTO meta VALUES (?, ?), (?, ?)",
                         ["schema_version", str(SCHEMA_VERSION), "summaries", SUMMARY_VERSION])
        self.con.execute("COMMIT")
        self.summaries = True

    def _add_columns(self, tables: set[str]) -> None:
        """Columns and tables added since a store was made (nothing else changes in its
        tables); a store without ``dedup_signals`` gets it filled from its clusters."""
        self.con.execute("ALTER TABLE event_clusters ADD COLUMN IF NOT EXISTS evidence "
                         "VARCHAR[]")
        self.con.execute("CREATE TABLE IF NOT EXISTS dedup_terms (word VARCHAR PRIMARY KEY, "
                         "mentions BIGINT NOT NULL)")
        if "dedup_signals" not in tables:
            self.con.execute("BEGIN")
            self.con.execute("CREATE TABLE dedup_signals (signal VARCHAR NOT NULL, "
                             "cluster_id VARCHAR NOT NULL)")
            self.con.execute(f"INSERT INTO dedup_signals {_SIGNAL_ROWS}")
            self.con.execute("COMMIT")

    def close(self) -> None:
        if not self._borrowed:
            self.con.close()

    def lean_checkpoint(self) -> None:
        """Checkpoint now, with DuckDB's memory limited to what it cannot evict (its
        indexes, uncommitted data) plus :data:`CHECKPOINT_HEADROOM`, and its allocator
        returning freed memory to the system.

        An ingest opens and closes the store for each batch, and each close checkpoints.
        The checkpoints merge the small row groups the batches leave, rewriting (and
        recompressing) up to a row group of article texts at once: with DuckDB's default
        limit (80% of the machine) that made the writing process grow by up to 250 MB at
        60,000 articles (bench/bench_memory.py); limited, DuckDB evicts cached blocks
        instead. Should even that be too little, the checkpoint runs with the default
        limit: never an error for want of memory DuckDB could have had."""
        if self.read_only or self._borrowed:
            return
        con = self.con
        row = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                          "WHERE tag <> 'BASE_TABLE'").fetchone()
        limit = (int(row[0]) if row else 0) + CHECKPOINT_HEADROOM
        con.execute(f"SET allocator_flush_threshold = '{ALLOCATOR_FLUSH >> 20}MiB'")
        con.execute(f"SET memory_limit = '{-(-limit // 2**20)}MiB'")
        try:
            try:
                con.execute("CHECKPOINT")
            except (duckdb.OutOfMemoryException, duckdb.FatalException):
                # DuckDB gives up the database after a failed checkpoint; what was committed
                # is in its write-ahead log, which a new connection replays
                con.close()
                self.con = _connect(self.path, read_only=False, timeout=self._lock_timeout)
                self.con.execute("CHECKPOINT")
            else:
                con.execute("RESET memory_limit")
        except duckdb.Error as exc:
            raise StoreError(
                f"checkpointing {self.path} failed: {exc}", path=str(self.path),
                hint="the batches committed so far are kept in its write-ahead log "
                     f"({self.path}.wal), which DuckDB replays when the store is next "
                     "opened; free disk space if it is full, then rerun the same command "
                     "(stored articles are skipped)") from exc

    def borrow(self) -> Store:
        """This store under another name whose :meth:`close` does nothing (for code that
        closes what it opens, handed a store someone else owns)."""
        twin = object.__new__(Store)
        twin.path, twin.read_only, twin.con = self.path, self.read_only, self.con
        twin.summaries = self.summaries
        twin._borrowed = True
        return twin

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes --------------------------------------------------------------------

    def stored_ids(self, article_ids: Sequence[str]) -> set[str]:
        """Those of ``article_ids`` that are stored."""
        if not article_ids:
            return set()
        rows = self.con.execute("SELECT id FROM articles WHERE id IN (SELECT unnest(?))",
                                [list(article_ids)]).fetchall()
        return {r[0] for r in rows}

    def has_article(self, article_id: str) -> bool:
        return self.con.execute("SELECT 1 FROM articles WHERE id = ?",
                                [article_id]).fetchone() is not None

    def write(self, items: Sequence[CodedArticle | Reject], *, kb_version: str = "",
              coder: str = "", dedup: DedupBatch | None = None) -> None:
        """Store a batch of coded articles and rejects, and the batch's dedup results,
        in one transaction."""
        if self.read_only:
            raise UsageError("this store is open read-only")
        now = datetime.now(UTC).replace(tzinfo=None)
        art_rows, ev_rows, ent_rows, obj_rows, rej_rows = [], [], [], [], []
        for it in items:
            if isinstance(it, Reject):
                rej_rows.append((_reject_id(it), it.source, it.stage, it.code, it.message,
                                 it.article_id, it.excerpt, now))
                continue
            a = it.article
            art_rows.append((a.id, a.published, a.title, a.url, a.source, a.publisher,
                             a.language, a.text, it.sentences, len(it.events), coder,
                             kb_version, now))
            for e in it.events:
                ev_rows.append(_event_row(e))
                for role, ents in (("actor", e.actor), ("recipient", e.recipient)):
                    for pos, en in enumerate(ents):
                        ent_rows.append((e.id, role, pos, en.code, en.sector, en.name, en.text,
                                         en.office, en.wikidata, en.cameo, en.kb_key, en.start,
                                         en.end))
                for pos, o in enumerate(e.objects):
                    obj_rows.append((e.id, pos, o.name, o.text, o.category, o.origin,
                                     o.kb_key))
        con = self.con
        try:
            con.execute("BEGIN")
            self._insert("articles", art_rows)
            new_ids = self._insert("events", ev_rows, returning=self.summaries
                                   or self.touched is not None or self.written is not None)
            self._insert("event_entities", ent_rows, key=3)
            self._insert("event_objects", obj_rows, key=2)
            self._insert("rejects", rej_rows)
            if new_ids and self.summaries:
                self._summarise_new(ev_rows, ent_rows, new_ids)
            if dedup is not None:
                self._write_dedup(dedup)
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"writing a batch to {self.path} failed: {exc}") from exc
            raise
        if self.touched is not None:
            self.touched.add("*")
            self.touched.update(_tags(ev_rows, new_ids))
        if self.written is not None:
            self.written.update(str(i) for i in new_ids)

    def _write_dedup(self, d: DedupBatch) -> None:
        mentions = [(m, c.id) for c in d.clusters for m in c.new_members]
        touched = {c.id for c in d.clusters}
        if self.summaries and mentions:  # clusters that lose a re-assigned mention
            touched.update(r[0] for r in self.con.execute(
                "SELECT DISTINCT cluster_id FROM event_mentions "
                "WHERE event_id IN (SELECT unnest(?))", [[m for m, _ in mentions]]
            ).fetchall())
        self._insert("article_dedup", d.articles, replace=True)
        self._insert("event_clusters",
                     [(c.id, c.key, c.date_lo, c.date_hi, sorted(c.modes), c.country,
                       sorted(c.objects), sorted(c.evidence)) for c in d.clusters],
                     replace=True)
        self._insert("event_mentions", mentions, replace=True)
        signals = [(sig, c.id) for c in d.clusters for sig in sorted(c.evidence - c.indexed)
                   if blocking(sig)]
        if signals:
            self._append("dedup_signals", signals)
        if self.summaries and touched:
            self._summarise_clusters(sorted(touched))
        if d.terms:
            import pyarrow as pa

            data = pa.table({"word": list(d.terms), "mentions": list(d.terms.values())})
            self.con.register("_detente_new_terms", data)
            try:
                self.con.execute(
                    "INSERT INTO dedup_terms SELECT word, mentions FROM _detente_new_terms "
                    "ON CONFLICT (word) DO UPDATE SET mentions = mentions + "
                    "excluded.mentions")
            finally:
                self.con.unregister("_detente_new_terms")

    def _arrow_schema(self, table: str) -> Any:
        import pyarrow as pa

        cached = _ARROW_SCHEMAS.get(table)
        if cached is not None:
            return cached
        cols = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main' "
            "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
        types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "INTEGER": pa.int32(),
                 "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
                 "BLOB": pa.binary(), "TIMESTAMP": pa.timestamp("us"),
                 "VARCHAR[]": pa.list_(pa.string())}
        schema = pa.schema([(name, types[dtype]) for name, dtype in cols])
        _ARROW_SCHEMAS[table] = schema
        return schema

    def _arrow(self, table: str, rows: Sequence[tuple[Any, ...]]) -> Any:
        """``rows`` as an Arrow table with the columns of ``table``."""
        import pyarrow as pa

        schema = self._arrow_schema(table)
        if not rows:
            return schema.empty_table()
        columns = list(zip(*rows, strict=True))
        return pa.Table.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
            schema=schema)

    def _insert(self, table: str, rows: Sequence[tuple[Any, ...]], *, key: int = 1,
                replace: bool = False, returning: bool = False) -> set[Any]:
        """Insert rows in one statement (via Arrow: ``executemany`` costs a statement per
        row). Rows whose primary key (the first ``key`` columns) is already stored are
        skipped, or replace the stored row when ``replace``; within ``rows`` the first
        (for ``replace``: the last) row of a key wins. With ``returning``: the first
        column of the rows actually inserted (else an empty set)."""
        if not rows:
            return set()
        unique: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for r in rows:
            k = r[:key]
            if replace or k not in unique:
                unique[k] = r
        schema = self._arrow_schema(table)
        data = self._arrow(table, list(unique.values()))
        view = f"_detente_new_{table}"
        self.con.register(view, data)
        try:
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
            sql = f"{verb} INTO {table} SELECT * FROM {view}"  # noqa: S608
            if returning:
                cols = [f.name for f in schema]
                return {r[0] for r in self.con.execute(f"{sql} RETURNING {cols[0]}"
                                                       ).fetchall()}
            self.con.execute(sql)
            return set()
        finally:
            self.con.unregister(view)

    def _append(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append rows to a table without a key, in one statement (via Arrow)."""
        view = f"_detente_new_{table}"
        self.con.register(view, self._arrow(table, rows))
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM {view}")  # noqa: S608
        finally:
            self.con.unregister(view)

    def candidate_clusters(self, keys: Sequence[tuple[str, date, date]],
                           signals: Sequence[tuple[str, date, date]] = ()) -> list[Cluster]:
        """Clusters that have the key of one of ``keys`` ``(key, lo, hi)``, or the evidence
        signal of one of ``signals`` ``(signal, lo, hi)`` (a blocking kind,
        :data:`~detente.dedup.BLOCKING_KINDS`), and whose date interval touches that
        entry's ``[lo, hi]``; sorted by id.

        Signals are looked up in ``dedup_signals`` (signal -> cluster, kept by every write)
        instead of in every cluster's evidence list; a store opened read-only that
        predates the table is read from the lists (the same result, slower)."""
        if not keys and not signals:
            return []
        has_table = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = "
            "'dedup_signals' AND table_schema = 'main'").fetchone() if self.read_only else (1,)
        table = ("dedup_signals" if has_table and has_table[0]
                 else f"({_SIGNAL_ROWS})")
        cols = [list(c) for c in zip(*keys, strict=True)] if keys else [[], [], []]
        sigs = [list(c) for c in zip(*signals, strict=True)] if signals else [[], [], []]
        hits = (
            "WITH k AS (SELECT unnest(?::VARCHAR[]) AS k, unnest(?::DATE[]) AS lo, "
            "unnest(?::DATE[]) AS hi), "
            "s AS (SELECT unnest(?::VARCHAR[]) AS k, unnest(?::DATE[]) AS lo, "
            "unnest(?::DATE[]) AS hi) "
            "SELECT c.id FROM event_clusters c JOIN k ON c.key = k.k "
            "WHERE c.date_hi >= k.lo AND c.date_lo <= k.hi UNION "
            f"SELECT c.id FROM {table} x JOIN s ON x.signal = s.k "
            "JOIN event_clusters c ON c.id = x.cluster_id "
            "WHERE c.date_hi >= s.lo AND c.date_lo <= s.hi")
        ids = [r[0] for r in self.con.execute(hits, [*cols, *sigs]).fetchall()]
        if not ids:
            return []
        rows = self.con.execute(
            "SELECT id, key, date_lo, date_hi, modes, country, objects, evidence "
            "FROM event_clusters WHERE id IN (SELECT unnest(?)) ORDER BY id", [ids]
        ).fetchall()
        return [Cluster(id=r[0], key=r[1], date_lo=r[2], date_hi=r[3],
                        modes=frozenset(r[4] or ()), country=r[5] or "",
                        objects=frozenset(r[6] or ()), evidence=(ev := frozenset(r[7] or ())),
                        indexed=ev)
                for r in rows]

    def term_counts(self) -> tuple[int, dict[str, int]]:
        """How many event mentions hold name words (evidence ``t:``), and how many hold
        each word (for :class:`~detente.dedup.EventClusterer`'s rarity test)."""
        counts = dict(self.con.execute("SELECT word, mentions FROM dedup_terms").fetchall())
        return int(counts.pop("", 0)), {str(w): int(c) for w, c in counts.items()}

    def article_mentions(self, article_ids: Sequence[str]) -> list[StoredMention]:
        """The clustered events of the given articles, with their clusters."""
        if not article_ids:
            return []
        rows = self.con.execute(
            "SELECT e.article_id, e.event_type, e.trigger, e.sentence, c.id, c.key, "
            "c.date_lo, c.date_hi, c.modes, c.country, c.objects, c.evidence FROM events e "
            "JOIN event_mentions m ON m.event_id = e.id "
            "JOIN event_clusters c ON c.id = m.cluster_id "
            "WHERE e.article_id IN (SELECT unnest(?)) "
            "ORDER BY e.article_id, e.sentence_index, e.trigger_start, e.id",
            [list(article_ids)]).fetchall()
        return [StoredMention(article_id=r[0], event_type=r[1], trigger=r[2] or "",
                              sentence=r[3] or "",
                              cluster=Cluster(id=r[4], key=r[5], date_lo=r[6], date_hi=r[7],
                                              modes=frozenset(r[8] or ()),
                                              country=r[9] or "",
                                              objects=frozenset(r[10] or ()),
                                              evidence=(ev := frozenset(r[11] or ())),
                                              indexed=ev))
                for r in rows]

    def article_index(self, config: DedupConfig) -> ArticleIndex:
        """An LSH index of every stored article's signature, for near-duplicate checks."""
        import numpy as np

        index = ArticleIndex(config)
        cur = self.con.execute("SELECT article_id, body_hash, minhash, duplicate_of "
                               "FROM article_dedup ORDER BY article_id")
        while batch := cur.fetchmany(10_000):
            for aid, bhash, blob, dup in batch:
                sig = (np.frombuffer(blob, dtype=np.uint64)
                       if blob is not None and len(blob) == 8 * config.num_perm else None)
                index.add(aid, bhash, sig, dup)
        return index

    def clear_dedup(self) -> None:
        """Forget all dedup results (before a rebuild with another configuration)."""
        self.con.execute("BEGIN")
        for table in ("article_dedup", "event_clusters", "event_mentions", "dedup_terms",
                      "dedup_signals"):
            self.con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        if self.summaries:
            self.con.execute("DELETE FROM sum_clusters")
        self.con.execute("COMMIT")

    def clusters(self, *, actor: str | None = None, recipient: str | None = None,
                 event_type: str | None = None, min_articles: int = 1, limit: int = 100,
                 offset: int = 0) -> list[dict[str, Any]]:
        """Canonical events: one row per cluster with its mention, article and source
        counts (near-duplicate articles count once), largest first.

        With the summaries (and ``actor``/``recipient`` plain codes, if given), a cluster
        is listed when one of its mentions matches and its counts are those of all its
        mentions; without, only the matching mentions are counted."""
        if self.summaries and all(v is None or self._is_code(v) for v in (actor, recipient)):
            return self._summary_clusters(actor=actor, recipient=recipient,
                                          event_type=event_type, min_articles=min_articles,
                                          limit=limit, offset=offset)
        where, params = ["true"], []
        for role, value in (("actor", actor), ("recipient", recipient)):
            if value:
                f, p = self._role_filter("e", role, value)
                where.append(f)
                params += p
        if event_type:
            where.append("upper(e.event_type) = upper(?)")
            params.append(event_type)
        sql = (
            "SELECT c.id, any_value(e.event_type) AS event_type, c.date_lo, c.date_hi, "
            "any_value(e.cameo) AS cameo, "
            "list_distinct(flatten(list(e.actor_codes))) AS actor_codes, "
            "list_distinct(flatten(list(e.recipient_codes))) AS recipient_codes, "
            "count(*) AS mentions, "
            "count(DISTINCT coalesce(d.duplicate_of, e.article_id)) AS articles, "
            "count(DISTINCT nullif(d.source_name, '')) AS sources, "
            "max(e.confidence) AS confidence, c.objects "
            "FROM event_clusters c JOIN event_mentions m ON m.cluster_id = c.id "
            "JOIN events e ON e.id = m.event_id "
            "LEFT JOIN article_dedup d ON d.article_id = e.article_id "
            f"WHERE {' AND '.join(where)} GROUP BY c.id, c.date_lo, c.date_hi, c.objects "
            "HAVING count(DISTINCT coalesce(d.duplicate_of, e.article_id)) >= ? "
            "ORDER BY articles DESC, mentions DESC, c.date_lo DESC, c.id LIMIT ? OFFSET ?")
        return self._dicts(sql, [*params, min_articles, limit, offset])

    def _summary_clusters(self, *, actor: str | None, recipient: str | None,
                          event_type: str | None, min_articles: int, limit: int,
                          offset: int) -> list[dict[str, Any]]:
        where: list[str] = ["articles >= ?"]
        params: list[Any] = [min_articles]
        for column, value in (("actor_codes", actor), ("recipient_codes", recipient)):
            if value:
                where.append(f"list_contains({column}, upper(?))")
                params.append(value)
        if event_type:
            where.append("upper(event_type) = upper(?)")
            params.append(event_type)
        return self._dicts(
            "SELECT id, event_type, date_lo, date_hi, cameo, actor_codes, recipient_codes, "
            "mentions, articles, sources, confidence, objects FROM sum_clusters "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY articles DESC, mentions DESC, date_lo DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset])

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        """One canonical event with all its mentions (article, sentence, offsets,
        confidence)."""
        rows = self.clusters_by_id([cluster_id])
        if not rows:
            raise NotFound(f"no cluster {cluster_id!r}", id=cluster_id)
        head = rows[0]
        head["mentions_list"] = self._dicts(
            "SELECT e.id AS event_id, e.article_id, a.title, a.url, a.published, "
            "e.sentence_index, e.sentence_start, e.sentence_end, e.trigger_start, "
            "e.trigger_end, e.sentence, e.confidence, d.duplicate_of "
            "FROM event_mentions m JOIN events e ON e.id = m.event_id "
            "JOIN articles a ON a.id = e.article_id "
            "LEFT JOIN article_dedup d ON d.article_id = e.article_id "
            "WHERE m.cluster_id = ? ORDER BY a.published, e.article_id, e.sentence_index",
            [cluster_id])
        return head

    def clusters_by_id(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if self.summaries:
            return self._dicts(
                "SELECT c.id, c.key, c.date_lo, c.date_hi, c.modes, c.country, c.objects, "
                "s.mentions, s.articles, s.sources FROM event_clusters c "
                f"JOIN sum_clusters s ON s.id = c.id WHERE {_in_list('c.id', ids)} "
                f"AND {_in_list('s.id', ids)}", [*_in_params(ids), *_in_params(ids)])
        return self._dicts(
            "SELECT c.id, c.key, c.date_lo, c.date_hi, c.modes, c.country, c.objects, "
            "count(*) AS mentions, "
            "count(DISTINCT coalesce(d.duplicate_of, e.article_id)) AS articles, "
            "count(DISTINCT nullif(d.source_name, '')) AS sources "
            "FROM event_clusters c JOIN event_mentions m ON m.cluster_id = c.id "
            "JOIN events e ON e.id = m.event_id "
            "LEFT JOIN article_dedup d ON d.article_id = e.article_id "
            "WHERE c.id IN (SELECT unnest(?)) GROUP BY ALL", [list(ids)])

    def event_clusters(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """For each of ``event_ids`` that belongs to a cluster: ``cluster_id`` and the
        cluster's ``mentions``, ``articles`` (copies once) and ``sources``."""
        if not event_ids:
            return {}
        rows = self._dicts(
            "WITH mine AS (SELECT event_id, cluster_id FROM event_mentions "
            "WHERE event_id IN (SELECT unnest(?))), "
            "counts AS (SELECT m.cluster_id, count(*) AS mentions, "
            "count(DISTINCT coalesce(d.duplicate_of, e.article_id)) AS articles, "
            "count(DISTINCT nullif(d.source_name, '')) AS sources "
            "FROM event_mentions m JOIN events e ON e.id = m.event_id "
            "LEFT JOIN article_dedup d ON d.article_id = e.article_id "
            "WHERE m.cluster_id IN (SELECT cluster_id FROM mine) GROUP BY m.cluster_id) "
            "SELECT mine.event_id, counts.* FROM mine JOIN counts USING (cluster_id)",
            [list(event_ids)])
        return {r.pop("event_id"): r for r in rows}

    def dedup_counts(self) -> dict[str, int]:
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM event_clusters), (SELECT count(*) FROM "
            "event_mentions), (SELECT count(*) FROM article_dedup WHERE duplicate_of IS NOT "
            "NULL)").fetchone()
        assert row is not None
        return {"clusters": int(row[0]), "mentions": int(row[1]), "linked_articles": int(row[2])}

    def article_links(self, *, limit: int | None = 100) -> list[dict[str, Any]]:
        """Articles linked as copies of an earlier one (``limit=None``: all)."""
        return self._dicts(
            "SELECT article_id, duplicate_of, kind, similarity FROM article_dedup "
            "WHERE duplicate_of IS NOT NULL ORDER BY article_id LIMIT ?",
            [limit if limit is not None else 2**62])

    def cluster_articles(self, *, min_articles: int = 2) -> list[dict[str, Any]]:
        """Each cluster reported by at least ``min_articles`` articles: ``id``, ``key``,
        ``event_type`` and the sorted ``articles`` (ids) of its mentions."""
        return self._dicts(
            "SELECT c.id, c.key, any_value(e.event_type) AS event_type, "
            "list(DISTINCT e.article_id ORDER BY e.article_id) AS articles "
            "FROM event_clusters c JOIN event_mentions m ON m.cluster_id = c.id "
            "JOIN events e ON e.id = m.event_id GROUP BY c.id, c.key "
            "HAVING count(DISTINCT e.article_id) >= ? ORDER BY c.id", [min_articles])

    # -- reads ---------------------------------------------------------------------

    def _dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def schema_version(self) -> int:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?",
                               ["schema_version"]).fetchone()
        return int(row[0]) if row else 0

    def integrity(self) -> dict[str, int]:
        """Counts that are zero in a sound store (see ``detente doctor``), keyed by what
        they count."""
        out = {}
        for name, sql in INTEGRITY_CHECKS.items():
            row = self.con.execute(sql).fetchone()
            out[name] = int(row[0]) if row else 0
        return out

    def article_stats(self) -> dict[str, int]:
        """Articles with and without events, and rejects (information, not problems:
        an article may rightly report no event)."""
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM articles WHERE events > 0), "
            "(SELECT count(*) FROM articles WHERE coalesce(events, 0) = 0), "
            "(SELECT count(*) FROM rejects), "
            "(SELECT count(DISTINCT r.article_id) FROM rejects r JOIN articles a "
            "ON a.id = r.article_id)").fetchone()
        assert row is not None
        return {"articles with events": int(row[0]), "articles without events": int(row[1]),
                "rejects": int(row[2]), "stored articles with an older reject": int(row[3])}

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "events", "rejects"):
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            out[table] = int(row[0]) if row else 0
        return out

    def events(
        self,
        *,
        actor: str | None = None,
        recipient: str | None = None,
        event_type: str | None = None,
        since: date | None = None,
        until: date | None = None,
        text: str | None = None,
        article_id: str | None = None,
        min_confidence: float | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Events matching the filters, newest first, each with ``actor``/``recipient``
        entity lists and ``objects``.

        ``actor``/``recipient`` match a three-letter country/organisation code (``USA``),
        else a CAMEO actor code prefix (``USAGOV``) or a canonical name, case-insensitively.
        """
        where: list[str] = []
        params: list[Any] = []
        for role, value in (("actor", actor), ("recipient", recipient)):
            if value and self._is_code(value):
                column = "actor_codes" if role == "actor" else "recipient_codes"
                where.append(f"list_contains(e.{column}, upper(?))")
                params.append(value)
            elif value:
                where.append(
                    "e.id IN (SELECT event_id FROM event_entities WHERE role = ? AND "
                    "(upper(code) = upper(?) OR upper(cameo) LIKE upper(?) || '%' OR "
                    "lower(name) = lower(?)))")
                params += [role, value, value, value]
        if event_type:
            where.append("upper(e.event_type) = upper(?)")
            params.append(event_type)
        if since:
            where.append("e.date >= ?")
            params.append(since)
        if until:
            where.append("e.date <= ?")
            params.append(until)
        if text:
            where.append("e.sentence ILIKE '%' || ? || '%'")
            params.append(text)
        if article_id:
            where.append("e.article_id = ?")
            params.append(article_id)
        if min_confidence is not None:
            where.append("e.confidence >= ?")
            params.append(min_confidence)
        if limit is not None and limit < 0:
            raise UsageError("limit must be >= 0")
        sql = "SELECT e.* FROM events e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.date DESC, e.article_id, e.sentence_index, e.trigger_start, e.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        rows = self._dicts(sql, params)
        return self._attach(rows)

    def _attach(self, rows: list[dict[str, Any]], *,
                days: tuple[date, date] | None = None) -> list[dict[str, Any]]:
        """Add each event's ``actor``/``recipient`` entity lists and ``objects``; ``days``:
        the rows' first and last dates, when they are few (see :meth:`events_by_key`)."""
        if not rows:
            return rows
        ids = [r["id"] for r in rows]
        if self.summaries and days is not None:
            # the entities in date order: only the row groups of those days are read
            ents = self._dicts(
                "SELECT * EXCLUDE (day) FROM sum_event_entities WHERE day BETWEEN ? AND ? "
                f"AND {_in_list('event_id', ids)} "  # noqa: S608
                "ORDER BY event_id, role, position", [days[0], days[1], *_in_params(ids)])
        else:
            ents = self._dicts(
                f"SELECT * FROM event_entities WHERE {_in_list('event_id', ids)} "  # noqa: S608
                "ORDER BY event_id, role, position", _in_params(ids))
        objs = self._dicts(
            f"SELECT * FROM event_objects WHERE {_in_list('event_id', ids)} "  # noqa: S608
            "ORDER BY event_id, position", _in_params(ids))
        by_id = {r["id"]: r for r in rows}
        for r in rows:
            r["actor"], r["recipient"], r["objects"] = [], [], []
        for en in ents:
            by_id[en.pop("event_id")][en.pop("role")].append(en)
        for o in objs:
            by_id[o.pop("event_id")]["objects"].append(o)
        return rows

    def event(self, event_id: str) -> dict[str, Any]:
        rows = self._attach(self._dicts("SELECT * FROM events WHERE id = ?", [event_id]))
        if not rows:
            raise NotFound(f"no event {event_id!r}", id=event_id)
        return rows[0]

    def article(self, article_id: str) -> dict[str, Any]:
        rows = self._dicts("SELECT * FROM articles WHERE id = ?", [article_id])
        if not rows:
            raise NotFound(f"no article {article_id!r}", id=article_id)
        return rows[0]

    def articles(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT id, published, title, url, source, sentences, events, ingested_at "
            "FROM articles ORDER BY published DESC, id LIMIT ? OFFSET ?", [limit, offset])

    def rejects(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self._dicts("SELECT * FROM rejects ORDER BY rejected_at, id LIMIT ? OFFSET ?",
                           [limit, offset])

    def type_counts(self) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT event_type, quad_class, count(*) AS events FROM events "
            "GROUP BY ALL ORDER BY events DESC, event_type")

    def iter_events(self, *, batch_size: int = 5000, **filters: Any) -> Iterator[Event]:
        """All events matching ``filters`` (as :meth:`events`) rebuilt as records, in
        batches so memory stays flat on large stores."""
        offset = 0
        while True:
            rows = self.events(limit=batch_size, offset=offset, **filters)
            for r in rows:
                yield row_to_event(r)
            if len(rows) < batch_size:
                return
            offset += batch_size

    def events_for_articles(self, article_ids: Sequence[str]) -> dict[str, list[Event]]:
        """Events of the given articles, rebuilt as records, keyed by article id."""
        rows = self._attach(self._dicts(
            "SELECT * FROM events WHERE article_id IN (SELECT unnest(?)) "
            "ORDER BY article_id, sentence_index, trigger_start, id", [list(article_ids)]))
        out: dict[str, list[Event]] = {a: [] for a in article_ids}
        for r in rows:
            out[r["article_id"]].append(row_to_event(r))
        return out

    def iter_articles(self, *, batch_size: int = 1000) -> Iterator[Article]:
        offset = 0
        while True:
            rows = self._dicts("SELECT * FROM articles ORDER BY published, id LIMIT ? OFFSET ?",
                               [batch_size, offset])
            for r in rows:
                yield Article(id=r["id"], published=r["published"], text=r["text"],
                              title=r["title"] or "", url=r["url"] or "",
                              source=r["source"] or "", publisher=r["publisher"] or "",
                              language=r["language"] or "en")
            if len(rows) < batch_size:
                return
            offset += batch_size

    # -- analytics -----------------------------------------------------------------
    #
    # Speed: every aggregate is one scan of ``events``, using its ``actor_codes`` and
    # ``recipient_codes`` list columns (written with each event, equal to the codes of
    # its entity rows) instead of joins with ``event_entities``; that keeps them under
    # a second on ten million events (bench/bench_store.py). Only a filter value that is
    # not a plain code (a CAMEO actor code such as ``USAGOV``) needs the entity rows.

    @staticmethod
    def _is_code(value: str) -> bool:
        return len(value) == 3 and value.isascii() and value.isalpha()

    def _role_filter(self, alias: str, role: str, value: str) -> tuple[str, list[Any]]:
        """SQL matching events whose ``role`` has code ``value`` (three letters: ``USA``)
        or a CAMEO actor code starting with it (``USAGOV``)."""
        if self._is_code(value):
            column = "actor_codes" if role == "actor" else "recipient_codes"
            return f"list_contains({alias}.{column}, upper(?))", [value]
        return (f"EXISTS (SELECT 1 FROM event_entities x WHERE x.event_id = {alias}.id AND "
                "x.role = ? AND (upper(x.code) = upper(?) OR upper(x.cameo) LIKE upper(?) || "
                "'%'))", [role, value, value])

    def dyad_series(self, actor: str, recipient: str, *, by: str = "month",
                    both_directions: bool = False, include_uncertain: bool = False,
                    since: date | None = None, until: date | None = None,
                    ) -> list[dict[str, Any]]:
        """Events from ``actor`` to ``recipient`` per period: counts by quad class,
        Goldstein mean and sum, mean PLOVER intensity.

        Negated and hypothetical events are left out unless ``include_uncertain``.
        """
        _check_period(by)
        f1, p1 = self._role_filter("e", "actor", actor)
        f2, p2 = self._role_filter("e", "recipient", recipient)
        where = f"({f1} AND {f2})"
        params = p1 + p2
        if both_directions:
            g1, q1 = self._role_filter("e", "actor", recipient)
            g2, q2 = self._role_filter("e", "recipient", actor)
            where = f"({where} OR ({g1} AND {g2}))"
            params += q1 + q2
        where += self._common_filters(include_uncertain, since, until, params)
        sql = (
            "SELECT date_trunc(?, e.date)::DATE AS period, count(*) AS events, "
            "count(*) FILTER (WHERE quad_class = 1) AS verbal_coop, "
            "count(*) FILTER (WHERE quad_class = 2) AS material_coop, "
            "count(*) FILTER (WHERE quad_class = 3) AS verbal_conflict, "
            "count(*) FILTER (WHERE quad_class = 4) AS material_conflict, "
            "avg(goldstein) AS goldstein_mean, sum(goldstein) AS goldstein_sum, "
            "avg(intensity) AS intensity_mean "
            f"FROM events e WHERE {where} GROUP BY ALL ORDER BY period")
        return self._dicts(sql, [by, *params])

    @staticmethod
    def _common_filters(include_uncertain: bool, since: date | None, until: date | None,
                        params: list[Any]) -> str:
        sql = ""
        if not include_uncertain:
            sql += " AND NOT coalesce(e.negated, false) AND NOT coalesce(e.hypothetical, false)"
        if since:
            sql += " AND e.date >= ?"
            params.append(since)
        if until:
            sql += " AND e.date <= ?"
            params.append(until)
        return sql

    def top_actors(self, *, role: str = "actor", limit: int = 20, since: date | None = None,
                   until: date | None = None) -> list[dict[str, Any]]:
        """The most frequent actors (or recipients) with their cooperation/conflict mix.

        An event counts once per distinct code on that side; negated and hypothetical
        events are left out; ``name`` is the country's or organisation's name (else the
        most frequent entity name stored with the code)."""
        if role not in {"actor", "recipient"}:
            raise UsageError(f"role must be actor or recipient, not {role!r}")
        column = "actor_codes" if role == "actor" else "recipient_codes"
        params: list[Any] = []
        extra = self._common_filters(False, since, until, params)
        rows = self._dicts(
            "SELECT e.code, count(*) AS events, "
            "count(*) FILTER (WHERE e.quad_class IN (1, 2)) AS cooperation, "
            "count(*) FILTER (WHERE e.quad_class IN (3, 4)) AS conflict, "
            f"avg(e.goldstein) AS goldstein_mean FROM {_role_rows(column)} e "
            f"WHERE coalesce(e.code, '') <> '' {extra} "
            "GROUP BY e.code ORDER BY events DESC, e.code LIMIT ?", [*params, limit])
        names = self._names(role, [r["code"] for r in rows])
        return [{"code": r["code"], "name": names.get(r["code"], r["code"]),
                 **{k: v for k, v in r.items() if k != "code"}} for r in rows]

    def _names(self, role: str, codes: Sequence[str]) -> dict[str, str]:
        """The name of each code: its country's or organisation's own name where stored,
        else its most frequent entity name (ties: alphabetical)."""
        if not codes:
            return {}
        rows = self.con.execute(
            "SELECT code, arg_min(name, (-own, -n, name)) FROM (SELECT code, name, "
            "count(*) AS n, max(CASE WHEN split_part(kb_key, ':', 1) IN "
            "('countries', 'organisations') THEN 1 ELSE 0 END) AS own "
            "FROM event_entities WHERE role = ? AND code IN (SELECT unnest(?)) "
            "AND coalesce(name, '') <> '' GROUP BY code, name) GROUP BY code",
            [role, list(codes)]).fetchall()
        return {str(c): str(n) for c, n in rows}

    def network(self, *, min_events: int = 1, since: date | None = None,
                until: date | None = None, limit: int = 500) -> dict[str, list[dict[str, Any]]]:
        """Directed actor network: nodes with event counts, edges weighted by
        cooperation and conflict counts and the Goldstein mean."""
        params: list[Any] = []
        extra = self._common_filters(False, since, until, params)
        sql = (
            "SELECT e.source, e.target, count(*) AS events, "
            "count(*) FILTER (WHERE e.quad_class IN (1, 2)) AS cooperation, "
            "count(*) FILTER (WHERE e.quad_class IN (3, 4)) AS conflict, "
            f"avg(e.goldstein) AS goldstein_mean FROM {_PAIRS} e WHERE true {extra} "
            "GROUP BY ALL HAVING count(*) >= ? ORDER BY events DESC, e.source, e.target "
            "LIMIT ?")
        edges = self._dicts(sql, [*params, min_events, limit])
        weight: dict[str, int] = {}
        for e in edges:
            for node in (e["source"], e["target"]):
                weight[node] = weight.get(node, 0) + e["events"]
        nodes = [{"id": k, "events": v} for k, v in sorted(weight.items(),
                                                           key=lambda kv: (-kv[1], kv[0]))]
        return {"nodes": nodes, "edges": edges}

    @staticmethod
    def _dyads_sql(extra: str = "") -> str:
        return (
            "SELECT e.source, e.target, date_trunc(?, e.date)::DATE AS period, "
            "count(*) AS events, "
            "avg(CASE WHEN e.quad_class IN (3, 4) THEN 1.0 ELSE 0.0 END) AS conflict_share, "
            f"avg(e.goldstein) AS goldstein_mean FROM {_PAIRS} e "
            "WHERE NOT coalesce(e.negated, false) AND NOT coalesce(e.hypothetical, false) "
            f"{extra} GROUP BY ALL")

    @staticmethod
    def _summary_dyads_sql(by: str, extra: str = "") -> str:
        """:meth:`_dyads_sql` from the summaries (same rows, same figures): by month,
        quarter or year from ``sum_dyad_month``, by day or week from ``sum_dyad_day``;
        ``extra`` filters on ``day``."""
        if by in ("month", "quarter", "year"):
            return (
                "SELECT source, target, date_trunc(?, month)::DATE AS period, "
                "sum(events)::BIGINT AS events, sum(conflict)::DOUBLE / sum(events) "
                "AS conflict_share, sum(goldstein_sum) / nullif(sum(goldstein_n), 0) "
                f"AS goldstein_mean FROM sum_dyad_month WHERE true "
                f"{extra.replace('day', 'month')} GROUP BY ALL")
        return (
            "SELECT source, target, date_trunc(?, day)::DATE AS period, "
            "sum(events)::BIGINT AS events, "
            "coalesce(sum(events) FILTER (WHERE quad_class IN (3, 4)), 0)::DOUBLE "
            "/ sum(events) AS conflict_share, "
            "sum(goldstein_sum) / nullif(sum(goldstein_n), 0) AS goldstein_mean "
            f"FROM sum_dyad_day WHERE certain {extra} GROUP BY ALL")

    def dyads(self, *, by: str = "month", min_events: int = 1) -> list[dict[str, Any]]:
        """Per directed dyad and period: events, conflict share and Goldstein mean."""
        _check_period(by)
        return self._dicts(f"SELECT * FROM ({self._dyads_sql()}) WHERE events >= ? "
                           "ORDER BY source, target, period", [by, min_events])

    # -- serving summaries (kept by every write; see _SUMMARY_SCHEMA) ---------------

    def rebuild_summaries(self) -> None:
        """Compute the serving summaries afresh from the events, entities and clusters, in
        one transaction (a store written by an older detente gets them when first opened
        for writing; bulk loads that bypass :meth:`write` call this after)."""
        if self.read_only:
            raise UsageError("this store is open read-only")
        con = self.con
        try:
            con.execute("BEGIN")
            con.execute(_SUMMARY_SCHEMA)
            for table in _SUMMARY_TABLES:
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            for sql in _summary_inserts("events", "event_entities"):
                con.execute(sql)
            con.execute(f"INSERT INTO sum_clusters {_CLUSTER_SUMMARY.format(where='')}")
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        ["summaries", SUMMARY_VERSION])
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"building the summaries of {self.path} failed: {exc}"
                                 ) from exc
            raise
        self.summaries = True

    def _summarise_new(self, ev_rows: Sequence[tuple[Any, ...]],
                       ent_rows: Sequence[tuple[Any, ...]], new_ids: set[Any]) -> None:
        """Add the events just stored (``new_ids``, first row of each id, as
        :meth:`_insert` keeps) and their entity rows to the summaries."""
        events: dict[Any, tuple[Any, ...]] = {}
        for r in ev_rows:
            if r[0] in new_ids and r[0] not in events:
                events[r[0]] = r
        ents: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for r in ent_rows:
            if r[0] in new_ids and r[:3] not in ents:
                ents[r[:3]] = r
        views = {"_detente_sum_ev": self._arrow("events", list(events.values())),
                 "_detente_sum_ent": self._arrow("event_entities", list(ents.values()))}
        for name, data in views.items():
            self.con.register(name, data)
        try:
            for sql in _summary_inserts(*views):
                self.con.execute(sql)
        finally:
            for name in views:
                self.con.unregister(name)

    def _summarise_clusters(self, ids: Sequence[str]) -> None:
        """Recompute the summary rows of the clusters ``ids``."""
        self.con.execute("DELETE FROM sum_clusters WHERE id IN (SELECT unnest(?))", [ids])
        where = "WHERE m.cluster_id IN (SELECT unnest(?))"
        self.con.execute(f"INSERT INTO sum_clusters {_CLUSTER_SUMMARY.format(where=where)}",
                         [ids])

    def summary_problems(self) -> dict[str, int]:
        """Rows of each summary that differ from a fresh computation (0 everywhere in a
        sound store; empty when the store has no summaries)."""
        if not self.summaries:
            return {}
        out = {}
        for table, keys, sums in _SUMMARY_CHECKS:
            fresh = "fresh_" + table
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {fresh} AS "  # noqa: S608
                             f"SELECT * FROM {table} LIMIT 0")
            for sql in _summary_inserts("events", "event_entities"):
                if sql.startswith(f"INSERT INTO {table} "):
                    self.con.execute(sql.replace(f"INSERT INTO {table} ",
                                                 f"INSERT INTO {fresh} ", 1))
            if table == "sum_clusters":
                self.con.execute(f"INSERT INTO {fresh} {_CLUSTER_SUMMARY.format(where='')}")
            agg = f"SELECT {keys}, {sums} FROM {{}} GROUP BY ALL"
            row = self.con.execute(
                f"SELECT count(*) FROM (({agg.format(table)} EXCEPT ALL {agg.format(fresh)}) "
                f"UNION ALL ({agg.format(fresh)} EXCEPT ALL {agg.format(table)}))"
            ).fetchone()
            self.con.execute(f"DROP TABLE {fresh}")
            out[table] = int(row[0]) if row else 0
        return out

    # -- serving: per-request connections, deadlines, keyset pages (HTTP API) ---------

    def fork(self) -> Store:
        """A handle on the same database with its own connection, for one thread or one
        request (DuckDB connections must not be shared between threads)."""
        twin = object.__new__(Store)
        twin.path = self.path
        twin.read_only = self.read_only
        twin.summaries = self.summaries
        twin.con = self.con.cursor()
        return twin

    @contextmanager
    def deadline(self, seconds: float | None) -> Iterator[None]:
        """Interrupt the queries run inside the block after ``seconds``; raises
        :class:`~detente.errors.QueryTimeout`."""
        if not seconds or seconds <= 0:
            yield
            return
        armed = [True]
        guard = threading.Lock()

        def interrupt() -> None:  # never once the block is left: the connection is reused
            with guard:
                if armed[0]:
                    self.con.interrupt()

        timer = threading.Timer(seconds, interrupt)
        timer.daemon = True
        timer.start()
        try:
            yield
        except duckdb.InterruptException as exc:
            raise QueryTimeout(f"the query ran longer than {seconds:g} s",
                               seconds=seconds) from exc
        finally:
            with guard:
                armed[0] = False
            timer.cancel()

    def ensure_serving_indexes(self) -> None:
        """Indexes that keep per-event lookups fast for the HTTP API (created once, on a
        writable store; a read-only store is served without them)."""
        if self.read_only:
            return
        for name, table, column in _SERVING_INDEXES:
            self.con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table}({column})")

    def generation(self) -> tuple[int, int]:
        """``(articles, events)``: changes whenever something is stored (cheap)."""
        row = self.con.execute("SELECT (SELECT count(*) FROM articles), "
                               "(SELECT count(*) FROM events)").fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def event_page(self, f: EventFilter | None = None, *,
                   after: tuple[date, str] | None = None,
                   limit: int = 50) -> list[dict[str, Any]]:
        """One page of the events matching ``f`` (all events when ``None``), newest first
        (``date DESC, id DESC``), for keyset pagination: ``after`` is the ``(date, id)``
        of the last event of the previous page. Each event comes with its
        ``actor``/``recipient`` entity lists and ``objects``."""
        return self.events_by_key(self.event_page_keys(f, after=after, limit=limit))

    def event_page_keys(self, f: EventFilter | None = None, *,
                        after: tuple[date, str] | None = None,
                        limit: int = 50) -> list[tuple[str, date]]:
        """The ``(id, date)`` of the events of :meth:`event_page` (same arguments), without
        their rows: what a caller that keeps events (they never change once stored) needs
        to tell which to look up with :meth:`events_by_key`."""
        f = f or EventFilter()
        actor, recipient, event_type = f.actor, f.recipient, f.event_type
        since, until = f.since, f.until
        where: list[str] = []
        params: list[Any] = []
        if actor:
            where.append("list_contains(e.actor_codes, ?)")
            params.append(actor)
        if recipient:
            where.append("list_contains(e.recipient_codes, ?)")
            params.append(recipient)
        if event_type:
            where.append("e.event_type = ?")
            params.append(event_type)
        if f.mode:
            where.append("list_contains(e.mode, ?)")
            params.append(f.mode)
        if f.context:
            where.append("list_contains(e.context, ?)")
            params.append(f.context)
        if since:
            where.append("e.date >= ?")
            params.append(since)
        if until:
            where.append("e.date <= ?")
            params.append(until)
        if f.text:
            where.append("contains(lower(e.sentence), lower(?))")
            params.append(f.text)
        if f.obj:
            where.append("e.id IN (SELECT event_id FROM event_objects "
                         "WHERE lower(name) = lower(?) OR lower(text) = lower(?))")
            params += [f.obj, f.obj]
        if f.min_confidence is not None:
            where.append("e.confidence >= ?")
            params.append(f.min_confidence)
        if f.article_id:
            where.append("e.article_id = ?")
            params.append(f.article_id)
        if f.certain_only:
            where.append("NOT coalesce(e.negated, false) AND NOT coalesce(e.hypothetical, "
                         "false)")
        if after is not None:
            where.append("(e.date, e.id) < (?, ?)")
            params += [after[0], after[1]]
        cond = " AND ".join(where) or "true"
        windows: list[date | None] = [None]
        if self.summaries and not f.article_id and limit > 0:
            upper = min(d for d in (until, after[0] if after else None, date.max) if d)
            windows = self._page_windows(actor=actor, recipient=recipient,
                                         event_type=event_type, upper=upper, since=since,
                                         limit=limit)
        found: list[tuple[str, date]] = []
        for lo in windows:
            # a top-N over two columns lets DuckDB skip row groups by date; a window reads
            # only the row groups of its days
            bound, extra = ("", []) if lo is None else (" AND e.date >= ?", [lo])
            found = [(str(i), d) for i, d in self.con.execute(
                f"SELECT e.id, e.date FROM events e WHERE {cond}{bound} "  # noqa: S608
                "ORDER BY e.date DESC, e.id DESC LIMIT ?", [*params, *extra, limit]
            ).fetchall()]
            if len(found) >= limit:
                break
        return found

    _NARROW_DAYS = 31
    """Events dated within this many days of each other are looked up within their dates
    (DuckDB reads only the row groups of those days, but reads them whole); events further
    apart by id alone (a scan of the id column)."""

    def events_by_key(self, keys: Sequence[tuple[str, date]]) -> list[dict[str, Any]]:
        """The events ``keys`` (``(id, date)`` pairs, as :meth:`event_page_keys` gives
        them) newest first, each with its entity lists and objects."""
        if not keys:
            return []
        ids = [k[0] for k in keys]
        lo, hi = min(k[1] for k in keys), max(k[1] for k in keys)
        if (hi - lo).days <= self._NARROW_DAYS:
            rows = self._dicts(
                f"SELECT * FROM events WHERE date BETWEEN ? AND ? AND "  # noqa: S608
                f"{_in_list('id', ids)} ORDER BY date DESC, id DESC",
                [lo, hi, *_in_params(ids)])
            return self._attach(rows, days=(lo, hi))
        return self._attach(self._dicts(
            f"SELECT * FROM events WHERE {_in_list('id', ids)} "  # noqa: S608
            "ORDER BY date DESC, id DESC", _in_params(ids)))

    def iter_events_by_id(self, ids: Sequence[str], *, batch_size: int = 5000
                          ) -> Iterator[dict[str, Any]]:
        """The events ``ids`` (those stored), newest first (``date DESC, id DESC``), each
        as :meth:`events_by_key` gives it (with its entity lists and objects): one scan
        of the events for any number of ids, instead of a query per page (what the HTTP
        API keeps in memory; give some thousands at a time: the query holds its answer
        in memory)."""
        import pyarrow as pa

        view = f"_detente_ids_{threading.get_ident()}"
        self.con.register(view, pa.table({"id": pa.array(list(ids), type=pa.string())}))
        try:
            yield from self._iter_event_rows(f"id IN (SELECT id FROM {view})", batch_size)
        finally:
            self.con.unregister(view)

    def _iter_event_rows(self, where: str, batch_size: int) -> Iterator[dict[str, Any]]:
        cols = [d[0] for d in self.con.execute("SELECT * FROM events LIMIT 0").description]
        ent = [d[0] for d in self.con.execute("SELECT * FROM event_entities LIMIT 0"
                                              ).description][2:]  # after event_id, role
        obj = [d[0] for d in self.con.execute("SELECT * FROM event_objects LIMIT 0"
                                              ).description][1:]  # after event_id

        def struct(names: list[str]) -> str:
            return "struct_pack(" + ", ".join(f'"{c}" := x."{c}"' for c in names) + ")"

        def listed(role: str) -> str:
            return (f"list({struct(ent)} ORDER BY x.position) FILTER (WHERE x.role = "
                    f"'{role}') AS {role}")

        cur = self.con.execute(
            f"WITH ev AS (SELECT * FROM events WHERE {where}), "  # noqa: S608
            f"ents AS (SELECT x.event_id, {listed('actor')}, {listed('recipient')} "
            "FROM event_entities x WHERE x.event_id IN (SELECT id FROM ev) "
            "GROUP BY x.event_id), "
            f"objs AS (SELECT x.event_id, list({struct(obj)} ORDER BY x.position) AS objects "
            "FROM event_objects x WHERE x.event_id IN (SELECT id FROM ev) "
            "GROUP BY x.event_id) "
            "SELECT ev.*, coalesce(ents.actor, []), coalesce(ents.recipient, []), "
            "coalesce(objs.objects, []) FROM ev LEFT JOIN ents ON ents.event_id = ev.id "
            "LEFT JOIN objs ON objs.event_id = ev.id ORDER BY ev.date DESC, ev.id DESC")
        keys = [*cols, "actor", "recipient", "objects"]
        while rows := cur.fetchmany(batch_size):
            for r in rows:
                yield dict(zip(keys, r, strict=True))

    _WINDOW_STEPS = (1, 8, 64)

    def _page_windows(self, *, actor: str | None, recipient: str | None,
                      event_type: str | None, upper: date, since: date | None,
                      limit: int) -> list[date | None]:
        """Lower date bounds to try, in turn, for a page of ``limit`` events dated up to
        ``upper``: the days from which the summaries count ``limit``, 8 and 64 times
        ``limit`` events of the page's most selective filter (a dyad, an actor, a
        recipient, a type, else all events), then no bound. The first bound that yields a
        full page gives the same page as no bound, reading only the days after it."""
        if actor and recipient and actor.upper() != recipient.upper():
            counts = ("SELECT day, sum(events) AS n FROM sum_dyad_day WHERE source = ? "
                      "AND target = ? AND day <= ?{} GROUP BY day")
            params: list[Any] = [actor.upper(), recipient.upper(), upper]
        else:
            key = (f"a:{actor.upper()}" if actor else f"r:{recipient.upper()}" if recipient
                   else f"t:{event_type.upper()}" if event_type else "*")
            counts = ("SELECT day, sum(events) AS n FROM sum_key_day WHERE key = ? "
                      "AND day <= ?{} GROUP BY day")
            params = [key, upper]
        if since:
            counts = counts.format(" AND day >= ?")
            params.append(since)
        else:
            counts = counts.format("")
        picks = ", ".join(f"max(day) FILTER (WHERE c >= {int(limit) * k})"
                          for k in self._WINDOW_STEPS)
        row = self.con.execute(
            f"SELECT {picks} FROM (SELECT day, sum(n) OVER (ORDER BY day DESC) AS c "
            f"FROM ({counts}))", params).fetchone()
        out: list[date | None] = []
        for lo in row or ():
            if lo is None:
                break
            if not out or lo < out[-1]:  # type: ignore[operator]
                out.append(lo)
        return [*out, None]

    def article_page(self, *, after: tuple[date, str] | None = None,
                     limit: int = 50) -> list[dict[str, Any]]:
        """Stored articles, newest first (``published DESC, id DESC``), without text."""
        where, params = "true", []
        if after is not None:
            where = "(published, id) < (?, ?)"
            params = [after[0], after[1]]
        return self._dicts(
            "SELECT id, published, title, url, source, sentences, events, ingested_at "
            f"FROM articles WHERE {where} ORDER BY published DESC, id DESC LIMIT ?",
            [*params, limit])

    def article_events(self, article_id: str) -> list[dict[str, Any]]:
        """All events of one article in text order, with entities and objects."""
        return self._attach(self._dicts(
            "SELECT * FROM events WHERE article_id = ? "
            "ORDER BY sentence_index, trigger_start, id", [article_id]))

    def event_cluster_id(self, event_id: str) -> str | None:
        row = self.con.execute("SELECT cluster_id FROM event_mentions WHERE event_id = ?",
                               [event_id]).fetchone()
        return str(row[0]) if row else None

    def actor_list(self, *, q: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Entity codes seen as actor or recipient, most frequent first; ``q`` filters on
        a code prefix or a name substring."""
        if self.summaries:
            where, params = "true", []
            if q:
                where = ("(starts_with(upper(a.code), upper(?)) OR a.code IN (SELECT code "
                         "FROM sum_actor_surface WHERE contains(lower(name), lower(?))))")
                params = [q, q]
            return self._dicts(
                "WITH a AS (SELECT code, sum(events)::BIGINT AS events, "
                "sum(as_actor)::BIGINT AS as_actor, sum(as_recipient)::BIGINT AS as_recipient "
                "FROM sum_actor GROUP BY code), "
                "n AS (SELECT code, arg_max(name, (n, name)) AS name FROM (SELECT code, name, "
                "sum(mentions) AS n FROM sum_actor_surface WHERE name IS NOT NULL "
                "GROUP BY code, name) GROUP BY code) "
                "SELECT a.code, n.name, a.events, a.as_actor, a.as_recipient FROM a "
                f"LEFT JOIN n ON n.code = a.code WHERE {where} "
                "ORDER BY a.events DESC, a.code LIMIT ?", [*params, limit])
        where, params = "code IS NOT NULL AND code <> ''", []
        if q:
            where += " AND (starts_with(upper(code), upper(?)) OR contains(lower(name), " \
                     "lower(?)))"
            params = [q, q]
        return self._dicts(
            "SELECT code, mode(name) AS name, count(DISTINCT event_id) AS events, "
            "count(*) FILTER (WHERE role = 'actor') AS as_actor, "
            "count(*) FILTER (WHERE role = 'recipient') AS as_recipient "
            f"FROM event_entities WHERE {where} GROUP BY code "
            "ORDER BY events DESC, code LIMIT ?", [*params, limit])

    def actor_stats(self, code: str) -> dict[str, Any]:
        """Counts for one entity code, the names and sectors it was resolved with, and the
        surface texts that resolved to it."""
        code = code.upper()
        if self.summaries:
            row = self._dicts(
                "SELECT coalesce(sum(events), 0)::BIGINT AS events, "
                "coalesce(sum(as_actor), 0)::BIGINT AS as_actor, "
                "coalesce(sum(as_recipient), 0)::BIGINT AS as_recipient "
                "FROM sum_actor WHERE code = ?", [code])[0]
            row["sectors"] = self._dicts(
                "SELECT sector, sum(mentions)::BIGINT AS mentions FROM sum_actor_surface "
                "WHERE code = ? GROUP BY sector ORDER BY mentions DESC, sector", [code])
            row["surfaces"] = self._dicts(
                "SELECT text, name, office, sum(mentions)::BIGINT AS mentions "
                "FROM sum_actor_surface WHERE code = ? GROUP BY text, name, office "
                "ORDER BY mentions DESC, text LIMIT 25", [code])
            return row
        row = self._dicts(
            "SELECT count(DISTINCT event_id) AS events, "
            "count(*) FILTER (WHERE role = 'actor') AS as_actor, "
            "count(*) FILTER (WHERE role = 'recipient') AS as_recipient "
            "FROM event_entities WHERE code = ?", [code])[0]
        row["sectors"] = self._dicts(
            "SELECT sector, count(*) AS mentions FROM event_entities WHERE code = ? "
            "GROUP BY sector ORDER BY mentions DESC, sector", [code])
        row["surfaces"] = self._dicts(
            "SELECT text, name, office, count(*) AS mentions FROM event_entities "
            "WHERE code = ? GROUP BY ALL ORDER BY mentions DESC, text LIMIT 25", [code])
        return row

    def actor_partners(self, code: str, *, limit: int = 10) -> list[dict[str, Any]]:
        """The codes an actor most often acts towards or receives from, with the
        cooperation/conflict mix and Goldstein mean (from the summaries: pairs of
        different codes; an event with the actor on both sides counts as sent)."""
        if self.summaries:
            return self._dicts(
                "SELECT partner AS code, sum(events)::BIGINT AS events, "
                "coalesce(sum(events) FILTER (WHERE sent), 0)::BIGINT AS sent, "
                "coalesce(sum(events) FILTER (WHERE NOT sent), 0)::BIGINT AS received, "
                "coalesce(sum(events) FILTER (WHERE quad_class IN (1, 2)), 0)::BIGINT "
                "AS cooperation, "
                "coalesce(sum(events) FILTER (WHERE quad_class IN (3, 4)), 0)::BIGINT "
                "AS conflict, "
                "sum(goldstein_sum) / nullif(sum(goldstein_n), 0) AS goldstein_mean FROM ("
                "SELECT target AS partner, true AS sent, * FROM sum_dyad_day WHERE source = ? "
                "UNION ALL SELECT source, false, * FROM sum_dyad_day "
                "WHERE target = ? AND NOT mirror) GROUP BY partner "
                "ORDER BY events DESC, code LIMIT ?", [code.upper(), code.upper(), limit])
        return self._dicts(
            "WITH pairs AS (SELECT e.id, e.quad_class, e.goldstein, "
            "CASE WHEN list_contains(e.actor_codes, ?) THEN 'to' ELSE 'from' END AS direction, "
            "unnest(CASE WHEN list_contains(e.actor_codes, ?) THEN e.recipient_codes "
            "ELSE e.actor_codes END) AS partner FROM events e "
            "WHERE list_contains(e.actor_codes, ?) OR list_contains(e.recipient_codes, ?)) "
            "SELECT partner AS code, count(DISTINCT id) AS events, "
            "count(DISTINCT id) FILTER (WHERE direction = 'to') AS sent, "
            "count(DISTINCT id) FILTER (WHERE direction = 'from') AS received, "
            "count(DISTINCT id) FILTER (WHERE quad_class IN (1, 2)) AS cooperation, "
            "count(DISTINCT id) FILTER (WHERE quad_class IN (3, 4)) AS conflict, "
            "avg(goldstein) AS goldstein_mean FROM pairs WHERE partner <> ? "
            "GROUP BY partner ORDER BY events DESC, code LIMIT ?",
            [code.upper()] * 5 + [limit])

    def code_dyad_series(self, actor: str, recipient: str, *, by: str = "month",
                         both_directions: bool = False, include_uncertain: bool = False,
                         since: date | None = None, until: date | None = None,
                         ) -> list[dict[str, Any]]:
        """:meth:`dyad_series` for entity codes matched exactly (what the HTTP API and
        dashboard use): reads only the events table, so it stays fast on large stores."""
        if by not in PERIODS:
            raise UsageError(f"unknown period {by!r}", hint=f"use one of {', '.join(PERIODS)}")
        a, r = actor.upper(), recipient.upper()
        if self.summaries and a != r:
            return self._summary_dyad_series(a, r, by=by, both_directions=both_directions,
                                             include_uncertain=include_uncertain,
                                             since=since, until=until)
        where = "(list_contains(e.actor_codes, ?) AND list_contains(e.recipient_codes, ?))"
        params: list[Any] = [a, r]
        if both_directions:
            where = (f"({where} OR (list_contains(e.actor_codes, ?) AND "
                     "list_contains(e.recipient_codes, ?)))")
            params += [r, a]
        where += self._common_filters(include_uncertain, since, until, params)
        sql = (
            "SELECT date_trunc(?, e.date)::DATE AS period, count(*) AS events, "
            "count(*) FILTER (WHERE quad_class = 1) AS verbal_coop, "
            "count(*) FILTER (WHERE quad_class = 2) AS material_coop, "
            "count(*) FILTER (WHERE quad_class = 3) AS verbal_conflict, "
            "count(*) FILTER (WHERE quad_class = 4) AS material_conflict, "
            "avg(goldstein) AS goldstein_mean, sum(goldstein) AS goldstein_sum, "
            "avg(intensity) AS intensity_mean "
            f"FROM events e WHERE {where} GROUP BY ALL ORDER BY period")
        return self._dicts(sql, [by, *params])

    def _summary_dyad_series(self, a: str, r: str, *, by: str, both_directions: bool,
                             include_uncertain: bool, since: date | None,
                             until: date | None) -> list[dict[str, Any]]:
        """:meth:`code_dyad_series` from ``sum_dyad_day`` (``a`` and ``r`` differ)."""
        where = "((source = ? AND target = ?)"
        params: list[Any] = [by, a, r]
        if both_directions:  # the reverse pair's events that are not already counted
            where += " OR (source = ? AND target = ? AND NOT mirror)"
            params += [r, a]
        where += ")"
        if not include_uncertain:
            where += " AND certain"
        if since:
            where += " AND day >= ?"
            params.append(since)
        if until:
            where += " AND day <= ?"
            params.append(until)
        quads = ", ".join(
            f"coalesce(sum(events) FILTER (WHERE quad_class = {q}), 0)::BIGINT AS {name}"
            for q, name in ((1, "verbal_coop"), (2, "material_coop"), (3, "verbal_conflict"),
                            (4, "material_conflict")))
        return self._dicts(
            "SELECT date_trunc(?, day)::DATE AS period, sum(events)::BIGINT AS events, "
            f"{quads}, sum(goldstein_sum) / nullif(sum(goldstein_n), 0) AS goldstein_mean, "
            "sum(goldstein_sum) AS goldstein_sum, "
            "sum(intensity_sum) / nullif(sum(intensity_n), 0) AS intensity_mean "
            f"FROM sum_dyad_day WHERE {where} GROUP BY ALL ORDER BY period", params)

    def shifts(self, *, by: str = "month", window: int = 6, k: float = 2.0,
               min_events: int = 3, min_history: int = 3, share_floor: float = 0.1,
               goldstein_floor: float = 1.0, since: date | None = None,
               until: date | None = None) -> list[dict[str, Any]]:
        """The shift detector of :mod:`detente.analytics`, computed in SQL with window
        functions (same method, same results as :func:`detente.analytics.detect_shifts`
        over :meth:`dyads`), newest first.

        ``since``/``until`` limit the periods that may be flagged (those holding the two
        dates and the ones between); their baselines still come from the ``window``
        periods before, so the answer does not change, only the work: only events from
        ``window`` periods before ``since`` are read."""
        from .analytics import TIE, period_back

        _check_period(by)
        if window < 1 or min_history < 1:
            raise UsageError("window and min_history must be at least 1")
        step = {"day": (1, "day"), "week": (7, "day"), "month": (1, "month"),
                "quarter": (3, "month"), "year": (1, "year")}[by]
        frame = (f"RANGE BETWEEN INTERVAL ({step[0] * int(window)}) {step[1]} PRECEDING "
                 f"AND INTERVAL ({step[0]}) {step[1]} PRECEDING")
        data_params: list[Any] = []
        extra = ""
        if since is not None:
            extra += " AND e.date >= ?"
            data_params.append(period_back(since, by=by, n=window))
        if until is not None:
            extra += " AND e.date < ?"
            data_params.append(period_back(until, by=by, n=-1))
        measures = " UNION ALL ".join(
            f"SELECT source, target, period, '{m}' AS measure, {m} AS value, "
            f"{m}_mean AS baseline_mean, greatest({m}_sd, ?) AS baseline_sd, "
            f"{m}_n AS history, events FROM base WHERE history >= ? AND {m}_n >= ? "
            f"AND {m} IS NOT NULL AND events >= ? AND period >= ? "
            f"AND abs({m} - {m}_mean) > ? * greatest({m}_sd, ?) + {TIE!r}"
            for m in ("conflict_share", "goldstein_mean"))
        dyads = (self._summary_dyads_sql(by, extra.replace("e.date", "day"))
                 if self.summaries else self._dyads_sql(extra))
        if window <= _LAG_WINDOW_MAX:
            base = _lagged_baselines(by, int(window))
        else:
            base = (
                "SELECT *, count(*) OVER w AS history, "
                "count(conflict_share) OVER w AS conflict_share_n, "
                "avg(conflict_share) OVER w AS conflict_share_mean, "
                "stddev_pop(conflict_share) OVER w AS conflict_share_sd, "
                "count(goldstein_mean) OVER w AS goldstein_mean_n, "
                "avg(goldstein_mean) OVER w AS goldstein_mean_mean, "
                "stddev_pop(goldstein_mean) OVER w AS goldstein_mean_sd "
                f"FROM d WINDOW w AS (PARTITION BY source, target ORDER BY period {frame})")
        sql = (
            f"WITH d AS ({dyads}), base AS ({base}) "
            f"SELECT *, CASE WHEN value > baseline_mean THEN 'up' ELSE 'down' END AS direction "
            f"FROM ({measures}) "
            "ORDER BY period DESC, source DESC, target DESC, measure DESC")
        first = date(1, 1, 1) if since is None else _trunc(since, by)
        params: list[Any] = [by, *data_params]
        for floor in (share_floor, goldstein_floor):
            params += [floor, min_history, min_history, min_events, first, k, floor]
        return self._dicts(sql, params)


_LAG_WINDOW_MAX = 36
"""Up to this many periods, :meth:`Store.shifts` finds each baseline with ``lag`` (a
dyad's ``window`` previous rows hold every period of its baseline); longer windows use a
``RANGE`` frame, which gives the same answer several times more slowly."""

_PERIOD_INDEX = {
    "day": "(period - DATE '0001-01-01')",
    "week": "(period - DATE '0001-01-01') // 7",  # 0001-01-01 is a Monday
    "month": "(year(period) * 12 + month(period))",
    "quarter": "(year(period) * 12 + month(period) - 1) // 3",
    "year": "year(period)",
}
"""A period's number (consecutive periods, consecutive numbers), from its first day."""


def _lagged_baselines(by: str, window: int) -> str:
    """The rows of ``d`` (one per dyad and period) with their baseline: count, mean and
    population standard deviation of each measure over the dyad's periods among the
    ``window`` periods before (as the ``RANGE`` frame of :meth:`Store.shifts`)."""
    lags = ", ".join(f"lag(ix, {j}) OVER w AS l{j}, lag(conflict_share, {j}) OVER w AS c{j}, "
                     f"lag(goldstein_mean, {j}) OVER w AS g{j}" for j in range(1, window + 1))

    def within(j: int) -> str:
        return f"ix - l{j} <= {window}"

    history = " + ".join(f"CASE WHEN {within(j)} THEN 1 ELSE 0 END"
                         for j in range(1, window + 1))
    lists = ", ".join(
        "[" + ", ".join(f"CASE WHEN {within(j)} THEN {p}{j} END" for j in range(1, window + 1))
        + f"] AS {m}_past" for p, m in (("c", "conflict_share"), ("g", "goldstein_mean")))
    stats = ", ".join(f"list_count({m}_past) AS {m}_n, list_avg({m}_past) AS {m}_mean, "
                      f"list_stddev_pop({m}_past) AS {m}_sd"
                      for m in ("conflict_share", "goldstein_mean"))
    return (
        f"SELECT source, target, period, events, conflict_share, goldstein_mean, history, "
        f"{stats} FROM (SELECT source, target, period, events, conflict_share, "
        f"goldstein_mean, {history} AS history, {lists} FROM (SELECT *, {lags} FROM "
        f"(SELECT *, {_PERIOD_INDEX[by]} AS ix FROM d) "
        "WINDOW w AS (PARTITION BY source, target ORDER BY period)))")


_EVENT_FIELDS = "date, quad_class, goldstein, intensity, negated, hypothetical"


def _role_rows(column: str) -> str:
    """One row per event and distinct code in ``column``; events with one code (most)
    skip ``unnest``, which is the slow part on large stores."""
    return (f"(SELECT {column}[1] AS code, {_EVENT_FIELDS} FROM events "
            f"WHERE len({column}) = 1 UNION ALL "
            f"SELECT unnest(list_distinct({column})) AS code, {_EVENT_FIELDS} FROM events "
            f"WHERE len({column}) > 1)")


_PAIRS = (
    "(SELECT * FROM (SELECT actor_codes[1] AS source, recipient_codes[1] AS target, "
    f"{_EVENT_FIELDS} FROM events WHERE len(actor_codes) = 1 AND len(recipient_codes) = 1 "
    f"UNION ALL SELECT source, unnest(r) AS target, {_EVENT_FIELDS} FROM ("
    f"SELECT unnest(list_distinct(actor_codes)) AS source, "
    f"list_distinct(recipient_codes) AS r, {_EVENT_FIELDS} FROM events "
    "WHERE len(actor_codes) > 1 OR len(recipient_codes) > 1)) "
    "WHERE coalesce(source, '') <> '' AND coalesce(target, '') <> '' AND source <> target)")
"""One row per event and (actor code, recipient code) pair of different, known codes."""


_COL = {c: i for i, c in enumerate(EVENT_COLUMNS)}


def _tags(ev_rows: Sequence[tuple[Any, ...]], ids: set[Any]) -> set[str]:
    """The tags (see :attr:`Store.touched`) of the events among ``ev_rows`` in ``ids``."""
    out: set[str] = set()
    for r in ev_rows:
        if r[0] not in ids:
            continue
        actors = [c for c in r[_COL["actor_codes"]] or () if c]
        recipients = [c for c in r[_COL["recipient_codes"]] or () if c]
        out.add(f"t:{r[_COL['event_type']]}")
        out.update(f"a:{c}" for c in actors)
        out.update(f"r:{c}" for c in recipients)
        out.update(f"d:{a}>{b}" for a in actors for b in recipients)
    return out


_SIGNAL_ROWS = (
    "SELECT signal, id AS cluster_id FROM (SELECT unnest(evidence) AS signal, id "
    "FROM event_clusters) "
    "WHERE left(string_split(signal, '|')[-1], 1) IN ("
    + ", ".join(f"'{k}'" for k in sorted(BLOCKING_KINDS)) + ")")
"""The ``dedup_signals`` rows of the stored clusters (for a store made before the table,
and in place of it in a read-only one)."""


_SUMMARY_TABLES = ("sum_dyad_day", "sum_dyad_month", "sum_key_day", "sum_actor",
                   "sum_actor_surface", "sum_clusters", "sum_event_entities")
_CERTAIN = "NOT coalesce(e.negated, false) AND NOT coalesce(e.hypothetical, false)"


def _summary_inserts(ev: str, ent: str) -> list[str]:
    """Statements adding the counts of the events in relation ``ev`` and of the entity
    rows in ``ent`` to the additive summaries (``events``/``event_entities`` for a full
    build; a batch's new rows for a write). Codes are taken once per event and side;
    events with one code per side (most) skip ``unnest``, the slow part. Rows go in
    sorted by pair (key) and day, so a full build lets a dyad series or an event page's
    day counts read only the row groups of their pair (key) instead of the whole table."""
    one = "len(e.actor_codes) = 1 AND len(e.recipient_codes) = 1"
    fields = f"e.date, e.quad_class, e.goldstein, e.intensity, {_CERTAIN} AS certain"
    pairs = (
        f"SELECT e.actor_codes[1] AS source, e.recipient_codes[1] AS target, {fields}, "
        f"false AS mirror FROM {ev} e WHERE {one} UNION ALL "
        "SELECT source, target, date, quad_class, goldstein, intensity, certain, "
        "list_contains(a, target) AND list_contains(r, source) AS mirror FROM ("
        "SELECT source, unnest(list_distinct(r)) AS target, * EXCLUDE (source) FROM ("
        "SELECT unnest(list_distinct(e.actor_codes)) AS source, e.actor_codes AS a, "
        f"e.recipient_codes AS r, {fields} FROM {ev} e WHERE NOT ({one})))")
    codes = " UNION ALL ".join(
        f"SELECT '{p}:' || e.{col}[1] AS key, e.date FROM {ev} e WHERE len(e.{col}) = 1 "
        f"UNION ALL SELECT '{p}:' || code, date FROM (SELECT "
        f"unnest(list_distinct(e.{col})) AS code, e.date FROM {ev} e WHERE len(e.{col}) > 1)"
        for p, col in (("a", "actor_codes"), ("r", "recipient_codes")))
    known = ("coalesce(source, '') <> '' AND coalesce(target, '') <> '' "
             "AND source <> target")
    return [
        "INSERT INTO sum_dyad_day SELECT source, target, date, quad_class, certain, mirror, "
        "count(*), count(goldstein), sum(goldstein), count(intensity), sum(intensity) "
        f"FROM ({pairs}) WHERE {known} GROUP BY ALL ORDER BY 1, 2, 3",
        "INSERT INTO sum_dyad_month SELECT source, target, date_trunc('month', date)::DATE, "
        "count(*), count(*) FILTER (WHERE quad_class IN (3, 4)), count(goldstein), "
        f"sum(goldstein) FROM ({pairs}) WHERE {known} AND certain GROUP BY ALL "
        "ORDER BY 1, 2, 3",
        "INSERT INTO sum_key_day SELECT key, date, count(*) FROM ("
        f"SELECT '*' AS key, e.date FROM {ev} e UNION ALL "
        f"SELECT 't:' || e.event_type, e.date FROM {ev} e UNION ALL {codes}) "
        "WHERE key NOT IN ('a:', 'r:') GROUP BY ALL ORDER BY 1, 2",
        "INSERT INTO sum_actor SELECT code, count(DISTINCT event_id), "
        "count(*) FILTER (WHERE role = 'actor'), count(*) FILTER (WHERE role = 'recipient') "
        f"FROM {ent} WHERE coalesce(code, '') <> '' GROUP BY code",
        "INSERT INTO sum_actor_surface SELECT code, role, sector, text, name, office, "
        f"count(*) FROM {ent} WHERE coalesce(code, '') <> '' GROUP BY ALL",
        f"INSERT INTO sum_event_entities SELECT e.date, x.* FROM {ent} x JOIN {ev} e "
        "ON e.id = x.event_id ORDER BY e.date, x.event_id, x.role, x.position",
    ]


_CLUSTER_SUMMARY = (
    "SELECT c.id, min(e.event_type), min(e.cameo), c.date_lo, c.date_hi, "
    "list_sort(list_distinct(flatten(list(e.actor_codes)))), "
    "list_sort(list_distinct(flatten(list(e.recipient_codes)))), count(*), "
    "count(DISTINCT coalesce(d.duplicate_of, e.article_id)), "
    "count(DISTINCT nullif(d.source_name, '')), max(e.confidence), c.objects "
    "FROM event_clusters c JOIN event_mentions m ON m.cluster_id = c.id "
    "JOIN events e ON e.id = m.event_id "
    "LEFT JOIN article_dedup d ON d.article_id = e.article_id {where} "
    "GROUP BY c.id, c.date_lo, c.date_hi, c.objects")
"""One ``sum_clusters`` row per cluster with mentions (``where``: which clusters)."""

_SUMMARY_CHECKS = (
    ("sum_dyad_day", "source, target, day, quad_class, certain, mirror",
     "sum(events), sum(goldstein_n), round(sum(goldstein_sum), 6), sum(intensity_n), "
     "round(sum(intensity_sum), 6)"),
    ("sum_dyad_month", "source, target, month",
     "sum(events), sum(conflict), sum(goldstein_n), round(sum(goldstein_sum), 6)"),
    ("sum_key_day", "key, day", "sum(events)"),
    ("sum_actor", "code", "sum(events), sum(as_actor), sum(as_recipient)"),
    ("sum_actor_surface", "code, role, sector, text, name, office", "sum(mentions)"),
    ("sum_clusters", "id, event_type, cameo, date_lo, date_hi, actor_codes, recipient_codes",
     "sum(mentions), sum(articles), sum(sources), max(confidence)"),
    ("sum_event_entities", "day, event_id, role, position, code, sector, name, text, office, "
     "wikidata, cameo, kb_key, start_char, end_char", "count(*)"),
)
"""Per summary: its key columns and what adds up, for :meth:`Store.summary_problems`."""


_SERVING_INDEXES = (("event_entities_event", "event_entities", "event_id"),
                    ("events_article", "events", "article_id"),
                    ("event_mentions_cluster", "event_mentions", "cluster_id"))
"""Indexes for the HTTP API's lookups by key: an event's entities, an article's events,
a cluster's mentions."""

_IN_LIST_MAX = 200


def _in_list(column: str, values: Sequence[Any]) -> str:
    """``column IN (?, ?, ...)`` for a short list (DuckDB looks such a list up in the
    column's index instead of scanning the table), else a join with the unnested list."""
    if len(values) <= _IN_LIST_MAX:
        return f"{column} IN ({', '.join('?' * len(values))})" if values else "false"
    return f"{column} IN (SELECT unnest(?))"


def _in_params(values: Sequence[Any]) -> list[Any]:
    return list(values) if len(values) <= _IN_LIST_MAX else [list(values)]


def _trunc(d: date, by: str) -> date:
    if by == "day":
        return d
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    if by == "quarter":
        return d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)
    return d.replace(month=1, day=1)


def _check_period(by: str) -> None:
    if by not in PERIODS:
        raise UsageError(f"unknown period {by!r}", hint=f"use one of {', '.join(PERIODS)}")


def _entity(d: dict[str, Any]) -> Entity:
    return Entity(code=d["code"] or "", sector=d["sector"] or "", name=d["name"] or "",
                  text=d["text"] or "", office=d["office"] or "", wikidata=d["wikidata"] or "",
                  kb_key=d["kb_key"] or "", cameo=d["cameo"] or "",
                  start=-1 if d["start_char"] is None else d["start_char"],
                  end=-1 if d["end_char"] is None else d["end_char"])


def row_to_event(r: dict[str, Any]) -> Event:
    """Rebuild an :class:`Event` from a row of :meth:`Store.events`."""
    place = None
    if r["place"] is not None:
        place = Place(text=r["place"], name=r["place_name"] or "",
                      country=r["place_country"] or "", admin1=r["place_admin1"] or "",
                      lat=r["lat"], lon=r["lon"], geonameid=r["geonameid"])
    return Event(
        id=r["id"], article_id=r["article_id"], event_type=r["event_type"],
        cameo=r["cameo"] or "", goldstein=r["goldstein"], quad_class=r["quad_class"],
        intensity=r["intensity"], date=r["date"], date_precision=r["date_precision"],
        date_basis=r["date_basis"], date_text=r["date_text"] or "", published=r["published"],
        actor=tuple(_entity(a) for a in r["actor"]),
        recipient=tuple(_entity(a) for a in r["recipient"]),
        evidence=Evidence(sentence=r["sentence"] or "", sentence_index=r["sentence_index"],
                          start=r["sentence_start"], end=r["sentence_end"],
                          trigger=r["trigger"] or "", trigger_start=r["trigger_start"],
                          trigger_end=r["trigger_end"], url=r["url"] or ""),
        mode=tuple(r["mode"] or ()), context=tuple(r["context"] or ()),
        objects=tuple(EventObject(text=o["text"] or "", name=o["name"] or "",
                                  category=o["category"] or "", origin=o["origin"] or "",
                                  kb_key=o["kb_key"] or "") for o in r["objects"]),
        location=place,
        factuality=Factuality(negated=bool(r["negated"]), hypothetical=bool(r["hypothetical"]),
                              future=bool(r["future"]), historical=bool(r["historical"])),
        confidence=r["confidence"], content=r["content"] or "", coder=r["coder"] or "",
        kb_version=r["kb_version"] or "",
    )


def to_json(value: Any) -> Any:
    """JSON-safe copy of store rows (dates as ISO strings)."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def dumps(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    for r in rows:
        yield json.dumps(to_json(r), ensure_ascii=False)
