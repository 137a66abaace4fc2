"""The facade: the one place the CLI, the HTTP API and the dashboard call.

It wires the stages together (ingest -> nlp -> actors -> events -> store) and exposes:

- :func:`code` — code one text, return events, store nothing;
- :func:`code_batch` — code many articles (stage functions over batches);
- :func:`ingest` — read inputs and store articles and events in a DuckDB file;
- :func:`open` — open a store for queries (:class:`detente.store.Store`).
"""

from __future__ import annotations

import builtins
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import BadDate, EmptyText, UsageError
from .records import Annotations, Article, CodedArticle, Event, ParsedArticle, Reject

if TYPE_CHECKING:
    from .dedup import DedupConfig
    from .distributed import ParquetSummary
    from .knowledge import Knowledge
    from .petrarch import ImportSummary
    from .store import EventFilter, Store

DEFAULT_CODER = "rules-1"


def knowledge(kb_dirs: Sequence[Path | str] = ()) -> Knowledge:
    """The packaged knowledge plus user directories (cached per process)."""
    from .knowledge import load_knowledge

    return load_knowledge(kb_dirs)


def import_petrarch(sources: Sequence[Path | str], output: Path | str) -> ImportSummary:
    """Convert PETRARCH/TABARI dictionaries into detente knowledge files in ``output``
    (see :mod:`detente.petrarch`)."""
    from .petrarch import import_petrarch as run

    return run(sources, output)


def _as_date(value: Date | str) -> Date:
    if isinstance(value, Date):
        return value
    try:
        return Date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise BadDate(f"not a valid date: {value!r}", value=str(value)) from exc


def make_article(text: str, *, date: Date | str, title: str = "", url: str = "",
                 source: str = "<text>") -> Article:
    """Build an :class:`Article` from raw text exactly as ingest would (the title becomes
    the first paragraph; id = content hash), so coding and ingesting agree."""
    from .ingest import read_text

    if not text or not text.strip():
        raise EmptyText("the text is empty")
    return read_text(text, date=_as_date(date), title=title, url=url, source=source)


def code_parsed(doc: ParsedArticle, *, kb: Knowledge,
                coder: str = DEFAULT_CODER) -> tuple[Annotations, list[Event]]:
    """Run the actors and events stages over one parsed article."""
    from .actors import annotate

    ann = annotate(doc, kb=kb)
    return ann, recode(doc, ann, kb=kb, coder=coder)


def recode(doc: ParsedArticle, ann: Annotations, *, kb: Knowledge, coder: str = DEFAULT_CODER,
           model: object | None = None) -> list[Event]:
    """Run only the events stage over an already parsed and annotated article.

    ``model`` replaces the packaged learned model of a learned coder (``detente eval``
    passes the cross-validation fold model that was not trained on the text).
    """
    from .events import code_events

    return list(code_events(doc, ann, kb=kb, coder=coder, model=model))


def code_batch(
    articles: Iterable[Article],
    *,
    kb: Knowledge | None = None,
    coder: str = DEFAULT_CODER,
    n_process: int = 1,
    batch_size: int = 32,
) -> Iterator[tuple[ParsedArticle, Annotations, list[Event]]]:
    """Code many articles; one ``(parsed, annotations, events)`` per article, in order.

    An article the parser rejects yields a ParsedArticle with no sentences and no events
    (use :func:`code_articles` to see rejects).
    """
    from .nlp import parse

    kb = kb or knowledge()
    for item in parse(articles, batch_size=batch_size, n_process=n_process):
        if isinstance(item, Reject):
            art = Article(id=item.article_id, published=Date(1970, 1, 1), text="",
                          source=item.source)
            yield ParsedArticle(article=art, sentences=()), Annotations(), []
            continue
        ann, events = code_parsed(item, kb=kb, coder=coder)
        yield item, ann, events


def code_articles(
    items: Iterable[Article | Reject],
    *,
    kb: Knowledge | None = None,
    coder: str = DEFAULT_CODER,
    n_process: int = 1,
    batch_size: int = 32,
    max_chars: int | None = None,
    max_seconds: float | None = None,
) -> Iterator[CodedArticle | Reject]:
    """Code a stream of articles (and pass rejects through), for ingest.

    Articles failing a guard (:mod:`detente.guard`: longer than ``max_chars``, not
    English) become rejects before parsing; coding one article for longer than
    ``max_seconds`` is stopped and rejected. Defaults: :data:`detente.guard.MAX_CHARS`,
    :data:`detente.guard.MAX_SECONDS`.
    """
    from .errors import CodingTimeout
    from .guard import MAX_CHARS, MAX_SECONDS, check_article, time_limit
    from .nlp import parse

    kb = kb or knowledge()
    limit_chars = MAX_CHARS if max_chars is None else max_chars
    limit_seconds = MAX_SECONDS if max_seconds is None else max_seconds
    rejects: list[Reject] = []

    def articles_only() -> Iterator[Article]:
        for it in items:
            if isinstance(it, Reject):
                rejects.append(it)
                continue
            problem = check_article(it, max_chars=limit_chars)
            if problem is not None:
                rejects.append(Reject(source=it.source, stage="guard", code=problem.code,
                                      message=problem.message, article_id=it.id,
                                      excerpt=it.text[:300]))
                continue
            yield it

    for parsed in parse(articles_only(), batch_size=batch_size, n_process=n_process):
        while rejects:
            yield rejects.pop(0)
        if isinstance(parsed, Reject):
            yield parsed
            continue
        art = parsed.article
        try:
            with time_limit(limit_seconds, what=f"coding {art.source}"):
                _ann, events = code_parsed(parsed, kb=kb, coder=coder)
        except CodingTimeout as exc:
            yield Reject(source=art.source, stage="guard", code=exc.code,
                         message=exc.message, article_id=art.id, excerpt=art.text[:300])
            continue
        except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
            yield Reject(source=art.source, stage="events", code="E202",
                         message=f"coding failed: {type(exc).__name__}: {exc}",
                         article_id=art.id, excerpt=art.text[:300])
            continue
        yield CodedArticle(article=parsed.article, events=tuple(events),
                           sentences=len(parsed.sentences))
    while rejects:
        yield rejects.pop(0)


def code(
    text: str,
    *,
    date: Date | str,
    title: str = "",
    url: str = "",
    kb_dirs: Sequence[Path | str] = (),
    coder: str = DEFAULT_CODER,
) -> list[Event]:
    """Code one text published on ``date``; returns its events (nothing is stored).

    >>> events = code("Russia and China signed a trade deal.", date="2024-05-16")
    """
    art = make_article(text, date=date, title=title, url=url)
    (_, _, events), = code_batch([art], kb=knowledge(kb_dirs), coder=coder)
    return events


def resolve_actors(
    text: str,
    *,
    date: Date | str,
    kb_dirs: Sequence[Path | str] = (),
) -> builtins.list[dict[str, object]]:
    """Find and resolve the actor mentions of ``text`` published on ``date``, with the rule
    and the knowledge entry behind each entity (``detente actors resolve``).

    One dict per mention, in text order: ``sentence``, ``text``, ``start``, ``end``,
    ``rule``, ``explanation`` and ``entities``; each entity carries its code, sector, CAMEO
    code, office, name and ``knowledge`` (file, kind, version, key, source note) or None
    for entities that come from role words alone.
    """
    from dataclasses import asdict

    from .actors import annotate, describe_rule
    from .nlp import parse_article

    kb = knowledge(kb_dirs)
    art = make_article(text, date=date)
    ann = annotate(parse_article(art), kb=kb)
    rows: builtins.list[dict[str, object]] = []
    for m in ann.mentions:
        ents = []
        for e in m.entities:
            d = asdict(e)
            d["knowledge"] = kb.explain(e.kb_key) if e.kb_key else None
            ents.append(d)
        rows.append({"sentence": m.sentence, "text": m.text, "start": m.start, "end": m.end,
                     "rule": m.rule, "explanation": describe_rule(m.rule), "entities": ents})
    return rows


def open(path: Path | str | Store | None = None, *, read_only: bool = False,  # noqa: A001
         lock_timeout: float | None = None) -> Store:
    """Open (creating if needed) a detente store; ``None`` means ``$DETENTE_DB`` or
    ``./detente.duckdb``. Given an open :class:`~detente.store.Store` (as the HTTP API
    does), every facade function uses it and leaves it open. Opening a file waits up to
    ``lock_timeout`` seconds (default ``$DETENTE_LOCK_TIMEOUT`` or 30) while another
    process holds it."""
    from .store import Store

    if isinstance(path, Store):
        return path.borrow()
    return Store(path, read_only=read_only, lock_timeout=lock_timeout)


@dataclass
class IngestSummary:
    """What an ingest run did."""

    articles: int = 0
    """Articles newly stored."""
    duplicates: int = 0
    """Articles already in the store (skipped)."""
    near_duplicates: int = 0
    """New articles linked as copies of an earlier one (stored, counted once)."""
    events: int = 0
    rejected: int = 0
    sentences: int = 0
    seconds: float = 0.0
    reject_codes: dict[str, int] = field(default_factory=dict)
    article_ids: builtins.list[str] = field(default_factory=builtins.list)
    """Ids of the articles read, newly stored or already present, in input order."""

    def to_dict(self) -> dict[str, object]:
        return {"articles": self.articles, "duplicates": self.duplicates,
                "near_duplicates": self.near_duplicates, "events": self.events,
                "rejected": self.rejected, "sentences": self.sentences,
                "seconds": round(self.seconds, 3), "reject_codes": dict(self.reject_codes),
                "article_ids": builtins.list(self.article_ids)}


ProgressFn = Callable[[int, int], None]
"""Called as ``progress(articles_done, events_so_far)``."""


def ingest(
    paths: Sequence[str | Path],
    *,
    db: Path | str | Store | None = None,
    fmt: str | None = None,
    date: Date | str | None = None,
    fields: object | None = None,
    kb_dirs: Sequence[Path | str] = (),
    coder: str = DEFAULT_CODER,
    n_process: int = 1,
    batch_size: int = 32,
    commit_every: int = 64,
    progress: ProgressFn | None = None,
    stdin: object | None = None,
    dedup: DedupConfig | None = None,
    max_bytes: int | None = None,
    max_chars: int | None = None,
    max_seconds: float | None = None,
    encoding: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    parquet: Path | str | None = None,
) -> IngestSummary:
    """Read ``paths`` (files, directories, globs, ``-`` for stdin), code them and store
    articles, events and rejects in ``db``. Idempotent: articles already stored are
    skipped before parsing; a killed run can simply be restarted.

    Coding runs in this process, on ``workers`` local processes (``workers > 1``), or on
    a Dask cluster (``dask``: a scheduler address, or ``"local"`` for a LocalCluster of
    ``workers`` processes; ``parquet`` keeps the partitions' Parquet part files there).
    This process stays the store's one writer, so the stored result is the same either
    way (:mod:`detente.distributed`).

    Each batch is deduplicated against the store (:mod:`detente.dedup`) and written with
    its dedup results in one transaction: a killed run loses at most the batch in flight,
    and the restart codes it again.

    Given a path, one writer per store (:func:`detente.store.writer_lock`), and the DuckDB
    file is held only while a batch is committed, so other processes can read between
    batches. Given an open :class:`~detente.store.Store` (the HTTP server's), it writes
    through it and leaves it open.

    Limits: ``max_bytes`` per input file or record (:func:`detente.ingest.read`),
    ``max_chars`` and ``max_seconds`` per article (:mod:`detente.guard`); ``encoding``
    names the codec of inputs that are not UTF-8 / UTF-16 with a BOM.
    """
    from .dedup import DedupConfig, EventClusterer, dedup_rows
    from .ingest import read
    from .store import DedupBatch, Store, default_path, writer_lock

    if not paths:
        raise UsageError("no input given", hint="detente ingest PATH... (or - for stdin)")
    published = _as_date(date) if date is not None else None
    t0 = time.perf_counter()
    summary = IngestSummary()
    kb = knowledge(kb_dirs)
    config = dedup or DedupConfig()
    kwargs: dict[str, object] = {"fmt": fmt, "date": published}
    if fields is not None:
        kwargs["fields"] = fields
    if stdin is not None:
        kwargs["stdin"] = stdin
    if max_bytes is not None:
        kwargs["max_bytes"] = max_bytes
    if encoding is not None:
        kwargs["encoding"] = encoding
    items = read([str(p) for p in paths], **kwargs)  # type: ignore[arg-type]

    if isinstance(db, Store):  # a store held open by its owner (the HTTP server)
        held = db

        def session(commit: bool = False) -> contextlib.AbstractContextManager[Store]:
            return contextlib.nullcontext(held)

        run_lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    else:
        # The DuckDB file is opened only for short sessions (checking which articles are
        # stored, committing a batch), so readers in other processes get in between.
        db_path = Path(db) if db is not None else default_path()

        def session(commit: bool = False) -> contextlib.AbstractContextManager[Store]:
            return _writer_session(db_path, commit=commit)

        run_lock = writer_lock(db_path)

    with run_lock, contextlib.ExitStack() as stack:
        coded_stream = _coder(stack, kb=kb, kb_dirs=kb_dirs, coder=coder, n_process=n_process,
                              batch_size=batch_size, max_chars=max_chars,
                              max_seconds=max_seconds, workers=workers, dask=dask,
                              parquet=parquet)
        clusterer = EventClusterer(None, config)
        indexes: builtins.list[Any] = []

        def write(batch: builtins.list[CodedArticle | Reject]) -> None:
            arts = [(b.article, b.events) for b in batch if isinstance(b, CodedArticle)]
            with session(commit=True) as store:
                if not indexes:  # built at the first commit: workers are coding by then
                    indexes.append(store.article_index(config))
                index = indexes[0]
                clusterer.source = store
                try:
                    rows, clusters = dedup_rows(arts, index=index, clusterer=clusterer)
                    store.write(batch, kb_version=kb.version, coder=coder,
                                dedup=DedupBatch(articles=rows, clusters=clusters,
                                                 terms=clusterer.take_terms()))
                finally:
                    clusterer.source = None
            summary.near_duplicates += sum(1 for r in rows if r[3] is not None)
            # stored now: a copy read later is caught by stored_ids, so the set stays small
            ids = [a.id for a, _ in arts]
            seen_in_run.difference_update(ids)
            landed.update(ids)

        seen_in_run: set[str] = set()
        """Ids of the articles read and not yet stored."""
        landed: set[str] = set()
        """Ids stored since the current group's stored_ids query."""

        def fresh() -> Iterator[Article | Reject]:
            """The items, less articles already stored (checked a group at a time)."""
            # asked for the first item, the coder has loaded the model (or started its
            # workers): from here on the collector leaves the model and knowledge alone
            stack.enter_context(run_gc())
            for group in _groups(items):
                ids = [it.id for it in group if isinstance(it, Article)]
                landed.clear()
                with session() as store:
                    stored = store.stored_ids(ids)
                for it in group:
                    if isinstance(it, Article):
                        summary.article_ids.append(it.id)
                        if it.id in seen_in_run or it.id in stored or it.id in landed:
                            summary.duplicates += 1
                            continue
                        seen_in_run.add(it.id)
                    yield it

        pending: list[CodedArticle | Reject] = []
        for done, out in enumerate(coded_stream(fresh()), start=1):
            pending.append(out)
            if isinstance(out, Reject):
                summary.rejected += 1
                summary.reject_codes[out.code] = summary.reject_codes.get(out.code, 0) + 1
            else:
                summary.articles += 1
                summary.events += len(out.events)
                summary.sentences += out.sentences
            if len(pending) >= commit_every:
                write(pending)
                pending = []
            if progress is not None:
                progress(done, summary.events)
        if pending:
            write(pending)
    summary.seconds = time.perf_counter() - t0
    return summary


def code_to_parquet(
    paths: Sequence[str | Path],
    *,
    out_dir: Path | str,
    dask: str = "local",
    workers: int = 2,
    fmt: str | None = None,
    date: Date | str | None = None,
    fields: object | None = None,
    kb_dirs: Sequence[Path | str] = (),
    coder: str = DEFAULT_CODER,
    batch_size: int = 32,
    max_chars: int | None = None,
    max_seconds: float | None = None,
    progress: ProgressFn | None = None,
) -> ParquetSummary:
    """Code ``paths`` on a Dask cluster into a Parquet dataset under ``out_dir``
    (``articles/``, ``events/``, ``rejects/`` part files) without a store. Partitions
    already written by an earlier run of the same inputs are skipped. No deduplication
    (it needs the store)."""
    from . import distributed
    from .ingest import read

    if not paths:
        raise UsageError("no input given", hint="detente ingest PATH... (or - for stdin)")
    kwargs: dict[str, object] = {"fmt": fmt,
                                 "date": _as_date(date) if date is not None else None}
    if fields is not None:
        kwargs["fields"] = fields
    items = read([str(p) for p in paths], **kwargs)  # type: ignore[arg-type]
    with distributed.dask_client(dask, workers=workers) as client:
        options = distributed.CodingOptions(kb_dirs=tuple(str(d) for d in kb_dirs),
                                            coder=coder, batch_size=batch_size,
                                            max_chars=max_chars, max_seconds=max_seconds)
        return distributed.code_to_parquet(items, out_dir, client=client, options=options,
                                           progress=progress)


CodedStream = Callable[[Iterable[Article | Reject]], Iterator[CodedArticle | Reject]]


def _coder(stack: contextlib.ExitStack, *, kb: Knowledge, kb_dirs: Sequence[Path | str],
           coder: str, n_process: int, batch_size: int, max_chars: int | None,
           max_seconds: float | None, workers: int, dask: str | None,
           parquet: Path | str | None) -> CodedStream:
    """The function that codes the ingest stream: in this process, on local worker
    processes or on a Dask cluster (whose client ``stack`` closes)."""
    from . import distributed

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    if parquet is not None and dask is None:
        raise UsageError("--parquet needs --dask", hint="add --dask local (or an address)")
    options = distributed.CodingOptions(kb_dirs=tuple(str(d) for d in kb_dirs), coder=coder,
                                        batch_size=batch_size, max_chars=max_chars,
                                        max_seconds=max_seconds)
    if dask is not None:
        client = stack.enter_context(distributed.dask_client(dask, workers=workers))
        return lambda items: distributed.code_dask(items, client=client, options=options,
                                                   part_dir=parquet)
    if workers > 1:
        return lambda items: distributed.code_parallel(items, workers=workers, options=options)
    return lambda items: code_articles(items, kb=kb, coder=coder, n_process=n_process,
                                       batch_size=batch_size, max_chars=max_chars,
                                       max_seconds=max_seconds)


@contextlib.contextmanager
def _writer_session(path: Path, *, commit: bool) -> Iterator[Store]:
    """The store opened for one step of an ingest; after a ``commit`` step it is
    checkpointed with DuckDB's memory held down (:meth:`~detente.store.Store.lean_checkpoint`)
    before it closes (the close would checkpoint anyway)."""
    with open(path, lock_timeout=WRITER_LOCK_TIMEOUT) as store:
        yield store
        if commit:
            store.lean_checkpoint()


RUN_GC_THRESHOLD = 5000
"""The collector's first-generation threshold during a coding run (Python's default: 700)."""


@contextlib.contextmanager
def run_gc() -> Iterator[None]:
    """The garbage collector's settings for a coding run, restored when the block ends.

    - The objects alive now (the spaCy model, the knowledge base: they outlive the run)
      are left out of its scans (:func:`gc.freeze`, undone by :func:`gc.unfreeze`);
      each full collection otherwise walks them again. Not when the caller has frozen
      objects itself (the worker pool does, a server may): those stay frozen.
    - The youngest generation is collected every :data:`RUN_GC_THRESHOLD` allocations
      instead of 700: the parse makes and drops hundreds of thousands of small records,
      and every collection also promotes the live ones towards the costly full ones.

    Measured on 300 articles (under load): collections took 0.53 s of CPU with Python's
    defaults, 0.13-0.18 s with the larger threshold alone, about 3% of the run."""
    import gc

    thresholds = gc.get_threshold()
    frozen = not gc.get_freeze_count()
    if frozen:
        gc.freeze()
    gc.set_threshold(max(thresholds[0], RUN_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if frozen:
            gc.unfreeze()


WRITER_LOCK_TIMEOUT = 600.0
"""Seconds an ingest waits for readers to let go of the store before a commit."""

_GROUP_ITEMS = 256
_GROUP_CHARS = 8_000_000


def _groups(items: Iterable[Article | Reject]) -> Iterator[builtins.list[Article | Reject]]:
    """Items in groups of at most :data:`_GROUP_ITEMS` items and about
    :data:`_GROUP_CHARS` characters of text."""
    group: builtins.list[Article | Reject] = []
    chars = 0
    for it in items:
        group.append(it)
        chars += len(it.text) if isinstance(it, Article) else 0
        if len(group) >= _GROUP_ITEMS or chars >= _GROUP_CHARS:
            yield group
            group, chars = [], 0
    if group:
        yield group


def rebuild_dedup(*, db: Path | str | Store | None = None,
                  config: DedupConfig | None = None,
                  batch_size: int = 500) -> dict[str, int]:
    """Recompute article links and event clusters over the whole store (for example
    after changing the window or thresholds). Articles are replayed in publication
    order."""
    from .dedup import DedupConfig, EventClusterer, dedup_rows
    from .store import DedupBatch, Store, writer_lock

    config = config or DedupConfig()
    run_lock = (contextlib.nullcontext() if isinstance(db, Store) else writer_lock(db))
    with run_lock, open(db, lock_timeout=WRITER_LOCK_TIMEOUT) as store:
        store.clear_dedup()
        index = store.article_index(config)
        clusterer = EventClusterer(store, config)
        batch: builtins.list[Article] = []
        links = 0

        def flush() -> int:
            evs = store.events_for_articles([a.id for a in batch])
            rows, clusters = dedup_rows([(a, evs[a.id]) for a in batch], index=index,
                                        clusterer=clusterer)
            store.write([], dedup=DedupBatch(articles=rows, clusters=clusters,
                                              terms=clusterer.take_terms()))
            return sum(1 for r in rows if r[3] is not None)

        for art in store.iter_articles():
            batch.append(art)
            if len(batch) >= batch_size:
                links += flush()
                batch = []
        if batch:
            links += flush()
        counts = store.dedup_counts()
    return {"near_duplicates": links, **counts}


def clusters(*, db: Path | str | Store | None = None, actor: str | None = None,
             recipient: str | None = None, event_type: str | None = None,
             min_articles: int = 1, limit: int = 100) -> builtins.list[dict[str, object]]:
    """Canonical events (clusters of reports) with mention, article and source counts."""
    with open(db, read_only=True) as store:
        return store.clusters(actor=actor, recipient=recipient, event_type=event_type,
                              min_articles=min_articles, limit=limit)


def cluster(cluster_id: str, *, db: Path | str | Store | None = None) -> dict[str, object]:
    """One canonical event with its mentions."""
    with open(db, read_only=True) as store:
        return store.cluster(cluster_id)


def dyad(actor: str, recipient: str, *, db: Path | str | Store | None = None,
         by: str = "month",
         both_directions: bool = False, include_uncertain: bool = False,
         since: Date | None = None, until: Date | None = None) -> builtins.list[dict[str, object]]:
    """Counts by quad class, Goldstein mean/sum and intensity per period for a dyad."""
    with open(db, read_only=True) as store:
        return store.dyad_series(actor, recipient, by=by, both_directions=both_directions,
                                 include_uncertain=include_uncertain, since=since, until=until)


def top_actors(*, db: Path | str | Store | None = None, role: str = "actor", limit: int = 20,
               since: Date | None = None, until: Date | None = None,
               ) -> builtins.list[dict[str, object]]:
    """The most frequent actors (or recipients) and their cooperation/conflict mix."""
    with open(db, read_only=True) as store:
        return store.top_actors(role=role, limit=limit, since=since, until=until)


def network(*, db: Path | str | Store | None = None, min_events: int = 1,
            since: Date | None = None, until: Date | None = None,
            ) -> dict[str, builtins.list[dict[str, object]]]:
    """Directed actor network (nodes and weighted edges)."""
    with open(db, read_only=True) as store:
        return store.network(min_events=min_events, since=since, until=until)


def alerts(*, db: Path | str | Store | None = None, by: str = "month", window: int = 6,
           k: float = 2.0, min_events: int = 3, since: Date | None = None,
           until: Date | None = None) -> builtins.list[dict[str, object]]:
    """Dyad-periods whose conflict share or Goldstein mean left their recent range
    (method: :mod:`detente.analytics`), newest first; ``since``/``until`` limit the
    periods flagged (not their baselines)."""
    from .store import to_json

    with open(db, read_only=True) as store:
        rows = store.shifts(by=by, window=window, k=k, min_events=min_events, since=since,
                            until=until)
    return [to_json(r) for r in rows]


def doctor(*, db: Path | str | None = None, kb_dirs: Sequence[Path | str] = (),
           model: bool = True) -> builtins.list[dict[str, str]]:
    """Check the installation, the spaCy model, the knowledge files and the store; one
    dict per finding (``area``, ``name``, ``status`` ok/warn/fail, ``detail``, ``fix``).
    See :mod:`detente.doctor`."""
    from .doctor import run

    return [c.to_dict() for c in run(db=db, kb_dirs=kb_dirs, model=model)]


def event_dicts(events: Iterable[Event]) -> builtins.list[dict[str, object]]:
    """Events as PLOVER-style JSON dicts (see :mod:`detente.formats`)."""
    from .formats import plover_dict

    return [plover_dict(e) for e in events]


# -- serving: what the HTTP API and the dashboard call, over one open store ----------------


def open_for_serving(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open a store for the HTTP API: created if missing (unless ``read_only``), with the
    indexes that keep per-event lookups fast."""
    store = open(path, read_only=read_only)
    store.ensure_serving_indexes()
    return store


def event_page(store: Store, f: EventFilter | None = None, *,
               after: tuple[Date, str] | None = None,
               limit: int = 50) -> builtins.list[dict[str, Any]]:
    """One page of events, newest first (see :meth:`detente.store.Store.event_page`)."""
    return store.event_page(f, after=after, limit=limit)


def event_detail(store: Store, event_id: str) -> dict[str, object]:
    """One event with its entities and objects, its article (without text) and the other
    reports of the same real-world event (its cluster's mentions)."""
    event = store.event(event_id)
    art = store.article(str(event["article_id"]))
    art.pop("text", None)
    cluster_id = store.event_cluster_id(event_id)
    mentions: builtins.list[dict[str, object]] = []
    if cluster_id is not None:
        mentions = [m for m in store.cluster(cluster_id)["mentions_list"]
                    if m["event_id"] != event_id]
    return {"event": event, "article": art, "cluster_id": cluster_id, "mentions": mentions}


def article_detail(store: Store, article_id: str) -> dict[str, object]:
    """One article with its text and all its events (offsets index the text)."""
    return {"article": store.article(article_id), "events": store.article_events(article_id)}


def actor_profile(store: Store, code: str, *, kb: Knowledge | None = None,
                  partners: int = 10) -> dict[str, object]:
    """What detente knows about an actor code: knowledge-base entries it resolves to,
    office-holders of it with their dated terms, how often it occurs in the store, the
    names and surface texts that resolved to it, and its top partners."""
    kb = kb or knowledge()
    code = code.strip().upper()
    actors = kb.actors
    entries = sorted((e for e in actors.entries.values() if e.code == code
                      and e.kind != "office"),
                     key=lambda e: (not e.kb_key.endswith(":" + code), e.kb_key))
    resolution = [{"kb_key": e.kb_key, "name": e.name, "kind": e.kind, "cameo": e.cameo,
                   "sector": e.sector} for e in entries]
    people = []
    for p in actors.people.values():
        terms = [t for t in p.terms if (t.code or p.code) == code]
        if not terms:
            continue
        people.append({"name": p.name, "wikidata": p.wikidata, "kb_key": p.kb_key,
                       "terms": [{"office": t.office, "sector": t.sector, "start": t.start,
                                  "end": t.end} for t in terms]})
    people.sort(key=lambda p: max((t["start"] or Date.min) for t in p["terms"]),  # type: ignore[index]
                reverse=True)
    stats = store.actor_stats(code)
    if not resolution and not people and not stats["events"]:
        from .errors import NotFound

        raise NotFound(f"no actor {code!r} in the knowledge base or the store", id=code,
                       hint="list actors with GET /actors or `detente actors top`")
    name = resolution[0]["name"] if resolution else (
        stats["surfaces"][0]["name"] if stats["surfaces"] else code)
    return {"code": code, "name": name, "resolution": resolution, "offices": people,
            **stats, "partners": store.actor_partners(code, limit=partners)}


def ingest_stream(stream: BinaryIO, *, store: Store, fmt: str | None = None,
                  date: Date | str | None = None, kb_dirs: Sequence[Path | str] = (),
                  coder: str = DEFAULT_CODER) -> IngestSummary:
    """Ingest the articles in one in-memory stream (an HTTP upload or body) into an open
    store; the same readers, coder and dedup as :func:`ingest`."""
    return ingest(["-"], db=store, fmt=fmt, date=date, kb_dirs=kb_dirs, coder=coder,
                  stdin=stream)
