"""Scale-out: the same stage functions on local worker processes or a Dask cluster.

Coding (parse -> actors -> events) is what costs; reading inputs, deduplication and the
DuckDB writes are cheap and stay in the calling process, which is the store's one writer.
Three interchangeable *coders* turn a stream of :class:`~detente.records.Article` (and
passed-through :class:`~detente.records.Reject`) into a stream of
:class:`~detente.records.CodedArticle` / ``Reject`` **in input order**, so
:func:`detente.api.ingest` stores the same articles, events, rejects and dedup links
whichever runs:

- in this process (:func:`detente.api.code_articles`; ``--workers 1``);
- :func:`code_parallel`: a pool of ``N`` local worker processes (``--workers N``), forked
  from this process once it has loaded the model and the knowledge where that is safe,
  else spawned to load them (:func:`start_method`). Workers code chunks of
  :data:`CHUNK_ARTICLES` articles with :func:`code_chunk`; at most ``2 N`` chunks are in
  flight, so memory stays flat however long the input;
- :func:`code_dask`: a Dask cluster (``--dask ADDRESS``, or ``--dask local`` for a
  ``LocalCluster`` of ``--workers N`` processes). Each task codes one partition of
  :data:`PARTITION_ARTICLES` articles with :func:`code_partition` and writes it as three
  Parquet part files (``articles/``, ``events/``, ``rejects/`` under the part directory,
  ``part-NNNNNN.parquet``), which this process then loads into the store, in partition
  order. With ``--parquet DIR`` the part files are kept (a Parquet dataset that DuckDB,
  Spark or BigQuery read directly: ``SELECT * FROM 'DIR/events/*.parquet'``);
  :func:`code_to_parquet` (``--parquet-only``) writes the dataset and no store.

Dask schedules; detente has no scheduler of its own. On an existing cluster the workers
need the same detente, spaCy model and knowledge directories installed (one container
image or one virtual environment on a shared file system), and the part directory must be
a path that the workers and the client both see (NFS, a cluster scratch file system).

Resuming. With a store, a killed run is resumed by running the same command again:
articles already committed are skipped before they are sent to workers, and the batch
that was in flight is coded again (see :func:`detente.api.ingest`). With
``--parquet-only`` there is no store: partitions are numbered over the input in order and
a partition whose ``events`` part file exists is complete (its three files are written to
temporary names and renamed, ``events`` last), so a rerun codes only the missing ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DaskMissing, PartMissing, ScaleError, UsageError, WorkerFailed
from .records import Article, CodedArticle, Reject

if TYPE_CHECKING:
    from distributed import Client

DEFAULT_CODER = "rules-1"
CHUNK_ARTICLES = 32
"""Articles per task of the local process pool."""
PARTITION_ARTICLES = 64
"""Articles per Dask partition of an ingest into a store (one task, three Parquet part
files): about ten seconds of coding on one core, so the tasks spread evenly over the
workers while the scheduling and Parquet overheads stay small."""
DATASET_PARTITION_ARTICLES = 256
"""Articles per partition of a ``--parquet-only`` dataset. A rerun finds the complete
partitions by number, so this must not change between the runs of one dataset."""
PART_TABLES = ("articles", "rejects", "events")
"""Part files of a partition, in the order they are written (``events`` last marks a
partition complete)."""


# -- the unit of work ----------------------------------------------------------------


@dataclass(frozen=True)
class CodingOptions:
    """How to code, as sent to every worker (plain data, picklable)."""

    kb_dirs: tuple[str, ...] = ()
    coder: str = DEFAULT_CODER
    batch_size: int = 32
    """Texts per ``nlp.pipe`` batch."""
    max_chars: int | None = None
    """Longer articles are rejected before parsing (:mod:`detente.guard`)."""
    max_seconds: float | None = None
    """Coding one article longer than this is stopped and rejected."""


def code_chunk(items: Sequence[Article | Reject], options: CodingOptions = CodingOptions(),
               ) -> list[CodedArticle | Reject]:
    """Code a chunk of articles in this process, in order (rejects pass through).

    The model and the knowledge are loaded on the first call in a process and cached, so
    a worker pays for them once.
    """
    from . import api

    kb = api.knowledge(options.kb_dirs)
    return list(api.code_articles(items, kb=kb, coder=options.coder,
                                  batch_size=options.batch_size, max_chars=options.max_chars,
                                  max_seconds=options.max_seconds))


def warm_up(kb_dirs: Sequence[str] = (), parent: int | None = None) -> None:
    """Load the knowledge and the spaCy model into this (worker) process; with
    ``parent``, exit as soon as that process is gone (see :func:`_exit_with_parent`)."""
    from . import api
    from .nlp import load_model

    if parent is not None:
        _exit_with_parent(parent)
    api.knowledge(tuple(kb_dirs))
    load_model()


def _exit_with_parent(parent: int, *, interval: float = 0.5) -> None:
    """Watch the parent from a daemon thread and end this process when it has died.

    A pool worker whose parent is killed (SIGKILL, out-of-memory killer) would otherwise
    wait forever on its task queue, whose pipe it holds open itself.
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="detente-parent-watch", daemon=True).start()


def _chunks(items: Iterable[Article | Reject], size: int, *, tail: int = 0,
            ) -> Iterator[list[Article | Reject]]:
    """Consecutive groups of ``size`` articles (rejects travel with the group they are
    read in).

    With ``tail`` (> 0), the last full group is held back until the input is known to go
    on; when the input ends, it and the remainder (``size`` to ``2 size - 1`` articles)
    are cut into pieces of ``tail`` articles instead, so that several workers share the
    end of a run rather than one coding the last group while the others idle. The groups
    are the same for the same input, whatever the timing.
    """
    chunk: list[Article | Reject] = []
    held: list[Article | Reject] | None = None
    n = 0
    for it in items:
        chunk.append(it)
        if isinstance(it, Article):
            n += 1
            if n >= size:
                if not tail:
                    yield chunk
                else:
                    if held is not None:
                        yield held
                    held = chunk
                chunk, n = [], 0
    rest = (held or []) + chunk
    if rest:
        yield from _chunks(rest, tail) if tail else (rest,)


# -- local worker processes ------------------------------------------------------------


START_METHOD_ENV = "DETENTE_START_METHOD"
"""Environment variable that picks how local workers are started: ``auto`` (the
default), ``fork``, ``spawn`` or ``forkserver``."""


def start_method(requested: str | None = None) -> str:
    """How :func:`code_parallel` starts its workers.

    ``auto`` (or nothing requested, and :data:`START_METHOD_ENV` unset) means ``fork`` on
    Linux when this process runs no other Python thread (a web server, a Dask client):
    the workers then inherit the model and the knowledge that this process loaded, shared
    copy-on-write, and start at once. Otherwise ``spawn``: fresh interpreters that each
    load the model and the knowledge (macOS and Windows have no safe ``fork``; a process
    with threads must not fork, a thread could hold a lock the child needs).
    """
    import multiprocessing
    import sys
    import threading

    method = (requested or os.environ.get(START_METHOD_ENV) or "auto").strip().lower()
    available = multiprocessing.get_all_start_methods()
    if method == "auto":
        if (sys.platform.startswith("linux") and "fork" in available
                and threading.active_count() == 1):
            return "fork"
        return "spawn"
    if method not in available:
        raise UsageError(f"{START_METHOD_ENV}={method!r} is not a start method this "
                         f"platform has",
                         hint=f"use auto or one of {', '.join(available)}")
    return method


def _unfreeze() -> None:
    import gc

    gc.unfreeze()


def code_parallel(items: Iterable[Article | Reject], *, workers: int,
                  options: CodingOptions = CodingOptions(), chunk: int | None = None,
                  method: str | None = None) -> Iterator[CodedArticle | Reject]:
    """Code ``items`` on ``workers`` local processes; yields results in input order.

    Workers are started as :func:`start_method` says (``method`` overrides it): with
    ``fork`` this process loads the model and the knowledge first and the workers share
    them; with ``spawn`` each worker loads them. At most ``2 * workers`` chunks are in
    flight, and the end of the input is cut into smaller chunks (:func:`_chunks`), so the
    workers finish together. Raises :class:`~detente.errors.WorkerFailed` when a worker
    process dies.
    """
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    how = start_method(method)
    frozen = False
    if how == "fork":
        import gc

        warm_up(options.kb_dirs)  # before forking: the workers inherit it
        # Objects that exist now (the model, the knowledge) move to the collector's
        # permanent generation: the workers' collections do not walk them, so their
        # pages stay shared instead of being copied into every worker.
        gc.freeze()
        frozen = True
    ctx = multiprocessing.get_context(how)
    size = chunk or CHUNK_ARTICLES
    with contextlib.ExitStack() as stack:
        if frozen:
            stack.callback(_unfreeze)
        pool = stack.enter_context(ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=warm_up,
            initargs=(options.kb_dirs, os.getpid())))
        window: deque[Future[list[CodedArticle | Reject]]] = deque()
        try:
            for group in _chunks(items, size, tail=max(1, size // 4)):
                window.append(pool.submit(code_chunk, group, options))
                if len(window) >= 2 * workers:
                    yield from window.popleft().result()
            while window:
                yield from window.popleft().result()
        except BrokenProcessPool as exc:
            raise WorkerFailed(f"a worker process died: {exc}", workers=workers) from exc
        finally:
            for fut in window:
                fut.cancel()


# -- Dask ------------------------------------------------------------------------------


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskMissing(f"Dask is not installed: {exc}") from exc


@contextlib.contextmanager
def dask_client(address: str, *, workers: int = 2,
                connect_timeout: float = 30.0) -> Iterator[Client]:
    """A Dask client: ``address`` is a scheduler (``tcp://host:8786``) or ``local`` for a
    ``LocalCluster`` of ``workers`` single-threaded processes, closed on exit."""
    _require_dask()
    import logging

    from distributed import Client, LocalCluster

    if address == "local":
        if workers < 1:
            raise UsageError(f"--workers must be at least 1, not {workers}")
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client
    else:
        try:
            client = Client(address, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ScaleError(f"cannot reach the Dask scheduler at {address}: {exc}",
                             hint="start it (dask scheduler) or check the address; "
                                  "--dask local starts a cluster on this machine",
                             address=address) from exc
        with client:
            yield client


def _part_name(part: int) -> str:
    return f"part-{part:06d}.parquet"


def _part_path(out_dir: Path | str, table: str, part: int) -> Path:
    return Path(out_dir) / table / _part_name(part)


def _arrow_type(value: Any) -> Any:
    import datetime as dt

    import pyarrow as pa

    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, dt.date):
        return pa.date32()
    return pa.string()


@cache
def part_schemas() -> dict[str, Any]:
    """The Arrow schema of each part table, derived from the records (and
    :func:`detente.export.flat_row` for events), so every part file of a dataset has the
    same columns and types, empty ones included."""
    import datetime as dt

    import pyarrow as pa

    from .export import flat_row
    from .records import Event, Evidence

    day = dt.date(1970, 1, 1)
    art = Article(id="", published=day, text="")
    rej = Reject(source="", stage="", code="", message="")
    ev = Event(id="", article_id="", event_type="", cameo="", goldstein=0.0, quad_class=0,
               intensity=0.0, date=day, date_precision="day", date_basis="publication",
               date_text="", published=day, actor=(), recipient=(),
               evidence=Evidence(sentence="", sentence_index=0, start=0, end=0),
               confidence=0.0)
    seq = [("_seq", pa.int64())]
    return {
        "articles": pa.schema(seq + [(f.name, _arrow_type(getattr(art, f.name)))
                                     for f in fields(art)]
                              + [("_sentences", pa.int64()), ("_events", pa.int64())]),
        "rejects": pa.schema(seq + [(f.name, _arrow_type(getattr(rej, f.name)))
                                    for f in fields(rej)]),
        "events": pa.schema([(k, _arrow_type(v)) for k, v in flat_row(ev).items()]),
    }


def _part_rows(coded: list[CodedArticle | Reject]) -> dict[str, list[dict[str, Any]]]:
    from .export import flat_row

    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in PART_TABLES}
    for seq, it in enumerate(coded):
        if isinstance(it, Reject):
            rows["rejects"].append({"_seq": seq,
                                    **{f.name: getattr(it, f.name) for f in fields(it)}})
            continue
        a = it.article
        rows["articles"].append({"_seq": seq, **{f.name: getattr(a, f.name) for f in fields(a)},
                                 "_sentences": it.sentences, "_events": len(it.events)})
        rows["events"].extend(flat_row(e) for e in it.events)
    return rows


def _write_table(rows: list[dict[str, Any]], path: Path, schema: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def code_partition(part: int, items: Sequence[Article | Reject], out_dir: str,
                   options: CodingOptions = CodingOptions()) -> dict[str, int]:
    """Code one partition (on a Dask worker) and write its part files under ``out_dir``.

    Returns the partition number and its counts. The three files are renamed into place
    one by one, ``events`` last, so a partition whose events file exists is complete.
    """
    coded = code_chunk(items, options)
    rows = _part_rows(coded)
    schemas = part_schemas()
    for table in PART_TABLES:  # events last: its file marks the partition complete
        _write_table(rows[table], _part_path(out_dir, table, part), schemas[table])
    return {"part": part, "articles": len(rows["articles"]), "rejects": len(rows["rejects"]),
            "events": len(rows["events"]),
            "sentences": sum(int(a["_sentences"]) for a in rows["articles"])}


def read_partition(out_dir: Path | str, part: int) -> list[CodedArticle | Reject]:
    """The coded articles and rejects of one partition, in input order."""
    import pyarrow.parquet as pq

    from .export import from_flat_row

    paths = {t: _part_path(out_dir, t, part) for t in PART_TABLES}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise PartMissing(f"partition {part} has no part file {missing[0]}",
                          part=part, path=missing[0])
    events: dict[str, list[Any]] = {}
    for row in pq.read_table(paths["events"]).to_pylist():
        events.setdefault(str(row["article_id"]), []).append(from_flat_row(row))
    out: list[tuple[int, CodedArticle | Reject]] = []
    art_fields = {f.name for f in fields(Article)}
    for row in pq.read_table(paths["articles"]).to_pylist():
        art = Article(**{k: v for k, v in row.items() if k in art_fields})
        evs = tuple(events.get(art.id, ()))
        out.append((int(row["_seq"]), CodedArticle(article=art, events=evs,
                                                   sentences=int(row["_sentences"]))))
    rej_fields = {f.name for f in fields(Reject)}
    for row in pq.read_table(paths["rejects"]).to_pylist():
        out.append((int(row["_seq"]), Reject(**{k: v for k, v in row.items()
                                                 if k in rej_fields})))
    out.sort(key=lambda x: x[0])
    return [it for _, it in out]


def _result(fut: Any) -> dict[str, int]:
    try:
        info: dict[str, int] = fut.result()
    except Exception as exc:  # a task failed on its worker (or the worker died)
        raise WorkerFailed(f"a Dask task failed: {type(exc).__name__}: {exc}") from exc
    return info


def code_dask(items: Iterable[Article | Reject], *, client: Client,
              options: CodingOptions = CodingOptions(), partition: int | None = None,
              part_dir: Path | str | None = None) -> Iterator[CodedArticle | Reject]:
    """Code ``items`` on a Dask cluster, partition by partition; yields the results read
    back from the part files, in input order.

    ``part_dir`` keeps the part files (a Parquet dataset); without it they go to a
    temporary directory that is removed at the end. At most ``2 * workers + 2``
    partitions are in flight.
    """
    keep = part_dir is not None
    out = Path(part_dir) if part_dir is not None else Path(tempfile.mkdtemp(prefix="detente-"))
    out.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    limit = 2 * max(1, len(client.scheduler_info().get("workers", {}))) + 2
    window: deque[tuple[int, Any]] = deque()
    try:
        def drain() -> Iterator[CodedArticle | Reject]:
            part, fut = window.popleft()
            _result(fut)
            yield from read_partition(out, part)
            if not keep:
                for t in PART_TABLES:
                    _part_path(out, t, part).unlink(missing_ok=True)

        size = partition or PARTITION_ARTICLES
        for part, group in enumerate(_chunks(items, size, tail=max(1, size // 4))):
            fut = client.submit(code_partition, part, group, str(out), options, pure=False,
                                key=f"detente-partition-{run}-{part}")
            window.append((part, fut))
            if len(window) >= limit:
                yield from drain()
        while window:
            yield from drain()
    finally:
        for _, fut in window:
            fut.cancel()
        if not keep:
            shutil.rmtree(out, ignore_errors=True)


@dataclass
class ParquetSummary:
    """What a ``--parquet-only`` run did."""

    partitions: int = 0
    """Partitions coded by this run."""
    skipped: int = 0
    """Partitions already complete from an earlier run."""
    articles: int = 0
    events: int = 0
    rejected: int = 0
    sentences: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"partitions": self.partitions, "skipped": self.skipped,
                "articles": self.articles, "events": self.events,
                "rejected": self.rejected, "sentences": self.sentences,
                "seconds": round(self.seconds, 3)}


def code_to_parquet(items: Iterable[Article | Reject], out_dir: Path | str, *,
                    client: Client, options: CodingOptions = CodingOptions(),
                    partition: int | None = None, progress: Any = None) -> ParquetSummary:
    """Code ``items`` on a Dask cluster into a Parquet dataset under ``out_dir`` (no
    store). Partitions are numbered over the input; complete ones are skipped, so the
    same call after a crash finishes the job."""
    import time

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ParquetSummary()
    run = uuid.uuid4().hex[:8]
    limit = 2 * max(1, len(client.scheduler_info().get("workers", {}))) + 2
    window: deque[Any] = deque()

    def drain() -> None:
        info = _result(window.popleft())
        summary.partitions += 1
        summary.articles += info["articles"]
        summary.events += info["events"]
        summary.rejected += info["rejects"]
        summary.sentences += info["sentences"]
        if progress is not None:
            progress(summary.articles, summary.events)

    try:
        size = partition or DATASET_PARTITION_ARTICLES
        for part, group in enumerate(_chunks(items, size)):
            if _part_path(out, "events", part).exists():
                summary.skipped += 1
                continue
            window.append(client.submit(code_partition, part, group, str(out), options,
                                        pure=False, key=f"detente-partition-{run}-{part}"))
            if len(window) >= limit:
                drain()
        while window:
            drain()
    finally:
        for fut in window:
            fut.cancel()
    summary.seconds = time.perf_counter() - t0
    return summary
