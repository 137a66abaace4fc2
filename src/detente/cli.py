"""The command line: a thin face over :mod:`detente.api`.

It parses options, calls the facade and formats output; nothing else. Errors become
``Error [E123]: message (hint)`` on stderr and exit status 1.
"""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable
from datetime import date as Date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, api
from .errors import DetenteError, UnknownName, UsageError

app = typer.Typer(
    name="detente",
    help="Political event data from dated news text: who did what to whom, when, where, "
    "with what, on what evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def report_error(exc: DetenteError) -> None:
    """Print ``Error [E123]: message (hint)`` on stderr."""
    msg = f"Error [{exc.code}]: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    err.print(msg, markup=False, soft_wrap=True)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.command`` whose commands turn DetenteError into a message and exit 1."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            try:
                return fn(*a, **k)
            except DetenteError as exc:
                report_error(exc)
                raise typer.Exit(1) from None

        return app.command(*args, **kwargs)(wrapper)

    return deco

DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB store (default "
                                            "$DETENTE_DB or ./detente.duckdb).")]
KbOpt = Annotated[list[Path] | None, typer.Option("--kb", help="Extra knowledge directory "
                                                  "(repeatable); overrides packaged entries.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="Publication date YYYY-MM-DD "
                                             "for inputs that carry none.")]
FmtOpt = Annotated[str | None, typer.Option("--format", "-f", help="Input format: dated, "
                                            "text, jsonl, csv, html, feed (default: by "
                                            "extension and content).")]


def _date(value: str | None, name: str) -> Date | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


def _fields(id_field: str | None, date_field: str | None, title_field: str | None,
            text_field: str | None, url_field: str | None) -> Any:
    from .ingest import FieldMap

    given = {k: v for k, v in {"id_field": id_field, "date_field": date_field,
                               "title_field": title_field, "text_field": text_field,
                               "url_field": url_field}.items() if v}
    return FieldMap(**given) if given else None


PeriodOpt = Annotated[str, typer.Option("--by", help="Period: day, week, month, quarter, "
                                         "year.")]
SinceOpt = Annotated[str | None, typer.Option(help="From date YYYY-MM-DD.")]
UntilOpt = Annotated[str | None, typer.Option(help="To date YYYY-MM-DD.")]
WindowOpt = Annotated[int, typer.Option("--dedup-window", help="Days between two reports' "
                                         "dates for them to be one event.")]
ThresholdOpt = Annotated[float, typer.Option("--near-threshold", help="Shingle similarity "
                                             "(0-1) from which articles are copies.")]


SpanOpt = Annotated[int, typer.Option("--max-span", help="Most days one event may cover "
                                       "by taking in reports of following days.")]


MatchOpt = Annotated[float, typer.Option("--match-threshold", help="Evidence score from "
                                          "which a report whose actors are unknown joins "
                                          "an event (docs/dedup.md; above 1.5: never).")]


LookbackOpt = Annotated[int, typer.Option("--lookback-days", help="How far before its "
                                           "publication a report with no date of its own "
                                           "may place an event (docs/dedup.md).")]
LookbackThresholdOpt = Annotated[float, typer.Option(
    "--lookback-threshold", help="Evidence score an undated report needs to join an event "
    "further back than the window (above 1.5: only by a named victim).")]


def _dedup_config(window: int, threshold: float, max_span: int = 7,
                  match: float = 0.6, lookback: int = 10,
                  lookback_threshold: float = 0.9) -> Any:
    from .dedup import DedupConfig

    if window < 0:
        raise UsageError("--dedup-window must be >= 0")
    if lookback < 0:
        raise UsageError("--lookback-days must be >= 0")
    if lookback_threshold <= 0:
        raise UsageError("--lookback-threshold must be > 0")
    if max_span < 0:
        raise UsageError("--max-span must be >= 0")
    if not 0.0 < threshold <= 1.0:
        raise UsageError("--near-threshold must be in (0, 1]")
    if match <= 0:
        raise UsageError("--match-threshold must be > 0")
    return DedupConfig(window_days=window, near_threshold=threshold, max_span_days=max_span,
                       match_threshold=match, lookback_days=lookback,
                       lookback_threshold=lookback_threshold)


EncodingOpt = Annotated[str | None, typer.Option(help="Codec of inputs that are not UTF-8 "
                                                "or UTF-16 with a BOM, e.g. latin-1.")]
MaxBytesOpt = Annotated[int | None, typer.Option(min=1, help="Largest input file (JSONL/CSV: "
                                                 "record) read, in bytes [default: 20 MB].")]
MaxCharsOpt = Annotated[int | None, typer.Option(min=1, help="Longest article coded, in "
                                                 "characters [default: 200,000].")]
MaxSecondsOpt = Annotated[float | None, typer.Option(min=0, help="Longest time to code one "
                                                     "article, in seconds (0: no limit) "
                                                     "[default: 120].")]
IdField = Annotated[str | None, typer.Option(help="JSONL/CSV field holding the id.")]
DateField = Annotated[str | None, typer.Option(help="JSONL/CSV field holding the date.")]
TitleField = Annotated[str | None, typer.Option(help="JSONL/CSV field holding the title.")]
TextField = Annotated[str | None, typer.Option(help="JSONL/CSV field holding the text.")]
UrlField = Annotated[str | None, typer.Option(help="JSONL/CSV field holding the URL.")]


@command()
def version() -> None:
    """Print the detente, knowledge-base and model versions."""
    from .nlp import model_name

    kb = api.knowledge()
    try:
        model = model_name()
    except DetenteError:
        model = "(none installed)"
    out.print(f"detente {__version__}\nknowledge {kb.version}\nmodel {model}\n"
              f"coder {api.DEFAULT_CODER}")


@command()
def code(
    inputs: Annotated[list[str], typer.Argument(help="Files, directories, globs, or - "
                                                "for standard input.")],
    date: DateOpt = None,
    fmt: FmtOpt = None,
    kb: KbOpt = None,
    coder: Annotated[str, typer.Option(help="Coder name.")] = api.DEFAULT_CODER,
    id_field: IdField = None, date_field: DateField = None, title_field: TitleField = None,
    text_field: TextField = None, url_field: UrlField = None,
) -> None:
    """Code articles and print their events as PLOVER JSONL (no database)."""
    from .formats import plover_dict
    from .ingest import read
    from .records import Reject

    fields = _fields(id_field, date_field, title_field, text_field, url_field)
    kwargs: dict[str, Any] = {"fmt": fmt, "date": _date(date, "--date")}
    if fields is not None:
        kwargs["fields"] = fields
    items = read(inputs, **kwargs)
    knowledge = api.knowledge(kb or ())
    rejected = 0
    for item in api.code_articles(items, kb=knowledge, coder=coder):
        if isinstance(item, Reject):
            rejected += 1
            err.print(f"Rejected [{item.code}] {item.source}: {item.message}", markup=False)
            continue
        for ev in item.events:
            sys.stdout.write(json.dumps(plover_dict(ev), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if rejected:
        err.print(f"{rejected} input(s) rejected", markup=False)


@command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="Files, directories, globs, or - "
                                                "for standard input.")],
    db: DbOpt = None,
    date: DateOpt = None,
    fmt: FmtOpt = None,
    kb: KbOpt = None,
    coder: Annotated[str, typer.Option(help="Coder name.")] = api.DEFAULT_CODER,
    id_field: IdField = None, date_field: DateField = None, title_field: TitleField = None,
    text_field: TextField = None, url_field: UrlField = None,
    window: WindowOpt = 3,
    near_threshold: ThresholdOpt = 0.5,
    match_threshold: MatchOpt = 0.6,
    lookback_days: LookbackOpt = 10,
    lookback_threshold: LookbackThresholdOpt = 0.9,
    encoding: EncodingOpt = None,
    max_bytes: MaxBytesOpt = None,
    max_chars: MaxCharsOpt = None,
    max_seconds: MaxSecondsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workers: Annotated[int, typer.Option(
        help="Code on this many local worker processes (with --dask local: the "
             "LocalCluster's workers).")] = 1,
    dask: Annotated[str | None, typer.Option(
        help="Code on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' "
             "for a LocalCluster of --workers processes (needs the dask extra).")] = None,
    parquet: Annotated[Path | None, typer.Option(
        help="With --dask: keep the Parquet part files (articles/, events/, rejects/) in "
             "this directory, which the workers must be able to write.")] = None,
    parquet_only: Annotated[bool, typer.Option(
        "--parquet-only", help="With --dask and --parquet: write the Parquet dataset only, "
                               "no store; a rerun codes only missing partitions.")] = False,
) -> None:
    """Read articles, code them and store articles, events and rejects in the store.

    Idempotent: articles already in the store are skipped, so a killed run is resumed by
    running the same command again (also with --workers or --dask).
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    fields = _fields(id_field, date_field, title_field, text_field, url_field)
    if parquet_only:
        if dask is None or parquet is None:
            raise UsageError("--parquet-only needs --dask and --parquet DIR")
        parts = api.code_to_parquet(inputs, out_dir=parquet, dask=dask, workers=workers,
                                    fmt=fmt, date=_date(date, "--date"), fields=fields,
                                    kb_dirs=kb or (), coder=coder)
        if as_json:
            out.print_json(json.dumps(parts.to_dict()))
            return
        out.print(f"{parts.partitions} partitions written to {parquet} ({parts.skipped} "
                  f"already complete): {parts.articles} articles, {parts.events} events, "
                  f"{parts.rejected} rejected, {parts.sentences} sentences in "
                  f"{parts.seconds:.1f} s")
        return
    show = not quiet and not as_json and err.is_terminal
    with Progress(SpinnerColumn(), TextColumn("[bold]ingest"), BarColumn(),
                  TextColumn("{task.completed} articles · {task.fields[events]} events · "
                             "{task.fields[rate]:.1f}/s"), TimeElapsedColumn(),
                  console=err, disable=not show, transient=True) as bar:
        task = bar.add_task("ingest", total=None, events=0, rate=0.0)

        def progress(done: int, events: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=done, events=events, rate=done / elapsed)

        summary = api.ingest(inputs, db=db, fmt=fmt, date=_date(date, "--date"), fields=fields,
                             kb_dirs=kb or (), coder=coder, progress=progress,
                             dedup=_dedup_config(window, near_threshold,
                                                 match=match_threshold,
                                                 lookback=lookback_days,
                                                 lookback_threshold=lookback_threshold),
                             encoding=encoding, max_bytes=max_bytes, max_chars=max_chars,
                             max_seconds=max_seconds, workers=workers, dask=dask,
                             parquet=parquet)
    if as_json:
        out.print_json(json.dumps(summary.to_dict()))
        return
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(summary.reject_codes.items()))
    out.print(f"{summary.articles} articles stored ({summary.duplicates} already present, "
              f"{summary.near_duplicates} linked as near-duplicates), "
              f"{summary.events} events, {summary.rejected} rejected"
              + (f" ({codes})" if codes else "")
              + f", {summary.sentences} sentences in {summary.seconds:.1f} s")


def _entities(ents: list[dict[str, Any]]) -> str:
    parts = []
    for e in ents:
        label = e.get("code") or "?"
        if e.get("sector"):
            label += " " + e["sector"]
        if e.get("name") and e.get("name") != e.get("code"):
            label += f" ({e['name']})"
        parts.append(label)
    return " + ".join(parts)


EVENT_TABLE_COLUMNS = ("date", "actor", "event_type", "cameo", "recipient", "flags", "trigger")


@command()
def events(
    db: DbOpt = None,
    actor: Annotated[str | None, typer.Option(help="Actor code (USA, USAGOV) or name.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Recipient code or name.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="PLOVER event type, "
                                                   "e.g. REQUEST.")] = None,
    since: Annotated[str | None, typer.Option(help="From date YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="To date YYYY-MM-DD.")] = None,
    text: Annotated[str | None, typer.Option(help="Evidence text contains.")] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Minimum confidence.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events (0: all).")] = 50,
    output: Annotated[str, typer.Option("--output", "-o", help="table, jsonl, csv or "
                                        "parquet.")] = "table",
    file: Annotated[Path | None, typer.Option("--file", help="Write to this file "
                                              "(required for parquet).")] = None,
) -> None:
    """List stored events with filters, as a table, JSONL, CSV or Parquet."""
    from .store import to_json

    if output not in {"table", "jsonl", "csv", "parquet"}:
        raise UnknownName(f"unknown output {output!r}", hint="use table, jsonl, csv or parquet")
    if output == "parquet" and file is None:
        raise UsageError("parquet output needs --file PATH")
    since_d, until_d = _date(since, "--since"), _date(until, "--until")
    with api.open(db, read_only=True) as store:
        rows = store.events(actor=actor, recipient=recipient, event_type=event_type,
                            since=since_d, until=until_d, text=text,
                            min_confidence=min_confidence, limit=limit or None)
    if output == "table":
        table = Table(title=f"{len(rows)} events", show_lines=False)
        for col in EVENT_TABLE_COLUMNS:
            table.add_column(col)
        for r in rows:
            flags = ",".join(k for k in ("negated", "hypothetical", "future", "historical")
                             if r.get(k))
            table.add_row(f"{r['date']} ({r['date_precision']})", _entities(r["actor"]),
                          r["event_type"], r["cameo"], _entities(r["recipient"]), flags,
                          r["trigger"] or "")
        out.print(table)
        return
    flat = [_flat(r) for r in rows]
    if output == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert file is not None
        pq.write_table(pa.Table.from_pylist(flat) if flat else pa.table({}), file)
        err.print(f"wrote {len(flat)} events to {file}")
        return
    stream = file.open("w", encoding="utf-8", newline="") if file else sys.stdout
    try:
        if output == "jsonl":
            for r in rows:
                stream.write(json.dumps(to_json(r), ensure_ascii=False) + "\n")
        else:
            cols = list(flat[0].keys()) if flat else ["id"]
            writer = csv.DictWriter(stream, fieldnames=cols)
            writer.writeheader()
            for f in flat:
                writer.writerow(f)
    finally:
        if file:
            stream.close()


def _flat(r: dict[str, Any]) -> dict[str, Any]:
    """A flat row: lists joined with '; ', entities summarised."""
    from .store import to_json

    row = {}
    for k, v in to_json(r).items():
        if k in ("actor", "recipient"):
            row[f"{k}_codes"] = "; ".join(e.get("code") or "" for e in v)
            row[f"{k}_sectors"] = "; ".join(e.get("sector") or "" for e in v)
            row[f"{k}_names"] = "; ".join(e.get("name") or "" for e in v)
            row[f"{k}_text"] = "; ".join(e.get("text") or "" for e in v)
        elif k == "objects":
            row["objects"] = "; ".join(o.get("name") or "" for o in v)
        elif k in ("actor_codes", "recipient_codes"):
            continue
        elif isinstance(v, list):
            row[k] = "; ".join(str(x) for x in v)
        else:
            row[k] = v
    return row


@command()
def export(
    path: Annotated[Path, typer.Argument(help="Output file (or directory for a partitioned "
                                         "Parquet dataset).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="plover (JSONL), csv, parquet or "
                                     "gdelt (TSV).")] = "plover",
    partition_by: Annotated[str | None, typer.Option(help="Parquet only: year, month or "
                                                     "event_type.")] = None,
    db: DbOpt = None,
    actor: Annotated[str | None, typer.Option(help="Actor code or name.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Recipient code or name.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="PLOVER event type.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
) -> None:
    """Export stored events as PLOVER JSONL, CSV, Parquet or a GDELT-like TSV."""
    from .export import write_events

    since_d, until_d = _date(since, "--since"), _date(until, "--until")
    with api.open(db, read_only=True) as store:
        n = write_events(store.iter_events(actor=actor, recipient=recipient,
                                           event_type=event_type, since=since_d,
                                           until=until_d),
                         path, fmt=fmt, partition_by=partition_by,
                         clusters=store.event_clusters)
    err.print(f"wrote {n} events to {path} ({fmt})", markup=False)


@command()
def clusters(
    db: DbOpt = None,
    actor: Annotated[str | None, typer.Option(help="Actor code or name.")] = None,
    recipient: Annotated[str | None, typer.Option(help="Recipient code or name.")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="PLOVER event type.")] = None,
    min_articles: Annotated[int, typer.Option(help="Only events reported by at least this "
                                              "many articles.")] = 1,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Canonical events: each real-world event once, with mention, article and source
    counts."""
    rows = api.clusters(db=db, actor=actor, recipient=recipient, event_type=event_type,
                        min_articles=min_articles, limit=limit)
    _emit(rows, f"{len(rows)} canonical events", as_json)


@command()
def cluster(
    cluster_id: Annotated[str, typer.Argument(help="Cluster id (from `detente clusters`).")],
    db: DbOpt = None,
) -> None:
    """One canonical event with every report of it (article, sentence, offsets)."""
    from .store import to_json

    sys.stdout.write(json.dumps(to_json(api.cluster(cluster_id, db=db)), ensure_ascii=False,
                                indent=1) + "\n")


@command()
def dedup(
    db: DbOpt = None,
    window: WindowOpt = 3,
    near_threshold: ThresholdOpt = 0.5,
    max_span: SpanOpt = 7,
    match_threshold: MatchOpt = 0.6,
    lookback_days: LookbackOpt = 10,
    lookback_threshold: LookbackThresholdOpt = 0.9,
) -> None:
    """Recompute near-duplicate links and event clusters over the whole store (after
    changing the window or thresholds)."""
    result = api.rebuild_dedup(db=db, config=_dedup_config(window, near_threshold, max_span,
                                                           match_threshold, lookback_days,
                                                           lookback_threshold))
    out.print(f"{result['clusters']} canonical events from {result['mentions']} event "
              f"mentions; {result['linked_articles']} articles linked as copies")


@command()
def summary(db: DbOpt = None) -> None:
    """Counts of articles, events and rejects in the store, by event type."""
    with api.open(db, read_only=True) as store:
        counts = store.counts()
        types = store.type_counts()
    out.print(f"{counts['articles']} articles, {counts['events']} events, "
              f"{counts['rejects']} rejects")
    table = Table()
    table.add_column("event type")
    table.add_column("quad")
    table.add_column("events", justify="right")
    for t in types:
        table.add_row(t["event_type"], str(t["quad_class"]), str(t["events"]))
    out.print(table)


@command()
def articles(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List stored articles."""
    with api.open(db, read_only=True) as store:
        rows = store.articles(limit=limit)
    table = Table(title=f"{len(rows)} articles")
    for col in ("id", "published", "title", "sentences", "events", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], str(r["published"]), (r["title"] or "")[:60], str(r["sentences"]),
                      str(r["events"]), r["source"] or "")
    out.print(table)


@command()
def rejects(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List inputs that were rejected, with their stage, code and reason."""
    with api.open(db, read_only=True) as store:
        rows = store.rejects(limit=limit)
    table = Table(title=f"{len(rows)} rejects")
    for col in ("source", "stage", "code", "message"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"] or "", r["stage"], r["code"], r["message"])
    out.print(table)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    cols = list(rows[0]) if rows else []
    for c in cols:
        table.add_column(c, justify="right" if rows and isinstance(rows[0][c], int | float)
                         else "left")
    for r in rows:
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in r.values()))
    return table


def _emit(rows: Any, title: str, as_json: bool) -> None:
    from .store import to_json

    if as_json:
        sys.stdout.write(json.dumps(to_json(rows), ensure_ascii=False) + "\n")
    else:
        out.print(_table(rows, title))


@command()
def dyad(
    actor: Annotated[str, typer.Argument(help="Actor code, e.g. USA or USAGOV.")],
    recipient: Annotated[str, typer.Argument(help="Recipient code, e.g. TUR.")],
    db: DbOpt = None,
    by: PeriodOpt = "month",
    both: Annotated[bool, typer.Option("--both", help="Count both directions.")] = False,
    include_uncertain: Annotated[bool, typer.Option(help="Also count negated and "
                                                    "hypothetical events.")] = False,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dyad time series: events by quad class, Goldstein mean and sum per period."""
    rows = api.dyad(actor, recipient, db=db, by=by, both_directions=both,
                    include_uncertain=include_uncertain, since=_date(since, "--since"),
                    until=_date(until, "--until"))
    _emit(rows, f"{actor} -> {recipient} by {by}", as_json)


actors_app = typer.Typer(help="Actors: resolution of mentions, the most active.",
                         no_args_is_help=True)
app.add_typer(actors_app, name="actors")


@actors_app.command("resolve")
def actors_resolve(
    text: Annotated[str, typer.Argument(help="Text to resolve ('-' reads standard input).")],
    date: Annotated[str, typer.Option("--date", help="Publication date YYYY-MM-DD (people "
                                      "are resolved at this date).")],
    kb: KbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve the actors in TEXT, showing the rule and knowledge entry behind each."""
    if text == "-":
        text = sys.stdin.read()
    try:
        rows = api.resolve_actors(text, date=date, kb_dirs=kb or ())
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str) + "\n")
        return
    out.print(f"{len(rows)} actor mentions, resolved at {date}")
    for r in rows:
        out.print(f"\n[{r['sentence']}:{r['start']}-{r['end']}] {r['text']!r}", markup=False)
        out.print(f"    rule {r['rule']}: {r['explanation']}", markup=False)
        ents: list[dict[str, Any]] = r["entities"]  # type: ignore[assignment]
        for e in ents:
            who = " / ".join(x for x in (e["office"], e["name"]) if x)
            out.print(f"    -> {e['code'] or '-'} {e['sector'] or '-'} "
                      f"(CAMEO {e['cameo'] or '-'})" + (f"  {who}" if who else ""),
                      markup=False)
            k = e.get("knowledge")
            if k:
                out.print(f"       knowledge: {k['file']} -> {k['key']} (version "
                          f"{k['version']}); source: {k['source']}", markup=False)
            else:
                out.print("       knowledge: none (sector from role words)", markup=False)


@actors_app.command("top")
def actors_top(
    db: DbOpt = None,
    role: Annotated[str, typer.Option(help="actor or recipient.")] = "actor",
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The most frequent actors (or recipients) with their cooperation/conflict mix."""
    try:
        rows = api.top_actors(db=db, role=role, limit=limit, since=_date(since, "--since"),
                              until=_date(until, "--until"))
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    _emit(rows, f"top {role}s", as_json)


@command()
def network(
    db: DbOpt = None,
    min_events: Annotated[int, typer.Option(help="Drop edges with fewer events.")] = 1,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Directed actor network: edges weighted by cooperation and conflict."""
    net = api.network(db=db, min_events=min_events, since=_date(since, "--since"),
                      until=_date(until, "--until"))
    if as_json:
        _emit(net, "", True)
    else:
        _emit(net["edges"], f"{len(net['nodes'])} actors, {len(net['edges'])} edges", False)


@command()
def alerts(
    db: DbOpt = None,
    by: PeriodOpt = "month",
    window: Annotated[int, typer.Option(help="Calendar periods before each period that "
                                        "form its baseline.")] = 6,
    k: Annotated[float, typer.Option(help="Flag beyond k standard deviations.")] = 2.0,
    min_events: Annotated[int, typer.Option(help="Ignore periods with fewer events.")] = 3,
    since: Annotated[str | None, typer.Option(help="Only flag periods from this date "
                                              "YYYY-MM-DD (baselines still look back).")
                     ] = None,
    until: Annotated[str | None, typer.Option(help="Only flag periods up to this date "
                                              "YYYY-MM-DD.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Dyad-periods whose conflict share or Goldstein mean left their recent range
    (method: docs/analytics.md)."""
    rows = api.alerts(db=db, by=by, window=window, k=k, min_events=min_events,
                      since=_date(since, "--since"), until=_date(until, "--until"))
    _emit(rows, f"{len(rows)} alerts", as_json)


plot_app = typer.Typer(help="Draw charts to PNG, SVG or PDF files.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")


@plot_app.command("dyad")
def plot_dyad(
    actor: Annotated[str, typer.Argument(help="Actor code, e.g. USA.")],
    recipient: Annotated[str, typer.Argument(help="Recipient code, e.g. TUR.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Image file (.png, .svg, "
                                         ".pdf).")],
    db: DbOpt = None,
    by: PeriodOpt = "month",
    both: Annotated[bool, typer.Option("--both", help="Count both directions.")] = False,
) -> None:
    """Timeline of cooperation vs conflict and the Goldstein mean for a dyad."""
    from .plots import plot_dyad as draw

    try:
        rows = api.dyad(actor, recipient, db=db, by=by, both_directions=both)
        draw(rows, output, actor=actor, recipient=recipient, by=by)
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    err.print(f"wrote {output}", markup=False)


@plot_app.command("network")
def plot_network(
    output: Annotated[Path, typer.Option("--output", "-o", help="Image file (.png, .svg, "
                                         ".pdf).")],
    db: DbOpt = None,
    min_events: Annotated[int, typer.Option(help="Drop edges with fewer events.")] = 1,
    max_nodes: Annotated[int, typer.Option(help="Most active actors to draw.")] = 40,
) -> None:
    """The actor network: edges coloured by cooperation vs conflict."""
    from .plots import plot_network as draw

    try:
        draw(api.network(db=db, min_events=min_events), output, max_nodes=max_nodes)
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    err.print(f"wrote {output}", markup=False)


kb_app = typer.Typer(help="Inspect and validate knowledge files.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@kb_app.command("check")
def kb_check(
    dirs: Annotated[list[Path] | None, typer.Argument(help="Extra knowledge directories to "
                                                      "validate with the packaged ones.")] = None,
) -> None:
    """Load and validate all knowledge files (packaged plus DIRS); list them."""
    try:
        knowledge = api.knowledge(dirs or ())
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    table = Table(title=f"knowledge {knowledge.version}")
    for col in ("file", "kind", "version", "entries"):
        table.add_column(col)
    for f in knowledge.files:
        n = len(f.entries)
        if f.kind == "gazetteer" and knowledge.places is not None:
            n = knowledge.places.size  # rows live in the gazetteer index, not the file list
        table.add_row(f.path, f.kind, f.version, str(n))
    out.print(table)


@kb_app.command("import-petrarch")
def kb_import_petrarch(
    sources: Annotated[list[Path], typer.Argument(help="PETRARCH/TABARI dictionary files "
                                                  "(*.actors.txt, *.agents.txt, *.verbs.txt, "
                                                  "*.discards.txt) or directories of them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the "
                                         "detente knowledge files into.")],
) -> None:
    """Convert PETRARCH/TABARI dictionaries into detente knowledge files.

    Use the result with --kb DIR: the actors stage of every coder reads its actors and
    agents (the names detente does not already read), and the coder petrarch-1 codes
    with its verb patterns."""
    try:
        summary = api.import_petrarch(sources, output)
        knowledge = api.knowledge([output])
    except DetenteError as exc:
        report_error(exc)
        raise typer.Exit(1) from None
    table = Table(title=f"imported into {output} (knowledge {knowledge.version})")
    for col in ("input", "kind", "entries", "output"):
        table.add_column(col)
    for f in summary.files:
        table.add_row(Path(f["input"]).name, f["kind"], str(f["entries"]), f["output"])
    out.print(table)
    imp = knowledge.imported
    if imp is not None:
        out.print(f"actors stage (every coder): {imp.names} actor names and {imp.agents} role "
                  f"words added; {imp.known + imp.agents_known} left out as detente's own "
                  f"knowledge reads them (it wins), {imp.unmapped + imp.agents_unmapped} "
                  "with codes that name no actor or PLOVER sector", markup=False)
    out.print(f"use it with: detente code --kb {output} FILE (any coder; --coder petrarch-1 "
              "for the dictionaries' verb patterns)", markup=False)


@command()
def doctor(
    db: DbOpt = None,
    kb: KbOpt = None,
    model: Annotated[bool, typer.Option("--model/--no-model", help="Load the spaCy model "
                                        "and parse a test sentence.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")
                       ] = False,
) -> None:
    """Check the installation, the spaCy model, the knowledge files and the store (schema,
    integrity counts) and say what to fix; exit status 1 when something is wrong."""
    checks = api.doctor(db=db, kb_dirs=kb or (), model=model)
    failed = [c for c in checks if c["status"] == "fail"]
    if as_json:
        sys.stdout.write(json.dumps({"ok": not failed, "checks": checks},
                                    ensure_ascii=False) + "\n")
    else:
        table = Table(title="detente doctor")
        for col in ("area", "check", "status", "found", "fix"):
            table.add_column(col)
        style = {"ok": "green", "warn": "yellow", "fail": "bold red"}
        for c in checks:
            table.add_row(c["area"], c["name"], f"[{style[c['status']]}]{c['status']}[/]",
                          escape(c["detail"]), escape(c["fix"]))
        out.print(table)
        warned = sum(c["status"] == "warn" for c in checks)
        out.print(f"{len(failed)} problems, {warned} warnings" if failed or warned
                  else "all checks passed")
    if failed:
        raise typer.Exit(1)


@command("eval")
def eval_(
    name: Annotated[str, typer.Argument(help="Gold set name: zsp-plv, zsp-aw, plover-gsr, "
                                        "petr2-gsr-validation, cameo-codebook-examples, "
                                        "conflibert-cameo, petr-unittest, dedup.")],
    path: Annotated[Path | None, typer.Option(help="Directory laid out like "
                                              "../shared/data/NAME.")] = None,
    coder: Annotated[list[str] | None, typer.Option(
        help="Coder name (default: the set's own, rules-1 for most); repeat to compare "
             "coders side by side on one parse (e.g. --coder rules-1 --coder combined-1).")
    ] = None,
    kb: KbOpt = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON "
                                          "object (several coders: a list).")] = False,
    db: Annotated[Path | None, typer.Option("--db", help="dedup only: keep the store here "
                                            "(a rerun skips coding and re-clusters).")
                  ] = None,
    window: WindowOpt = 3,
    near_threshold: ThresholdOpt = 0.5,
    match_threshold: MatchOpt = 0.6,
    lookback_days: LookbackOpt = 10,
    lookback_threshold: LookbackThresholdOpt = 0.9,
    split: Annotated[str | None, typer.Option(
        "--split", help="dedup only: score one half of the gold reports, tune or test "
        "(docs/dedup.md).")] = None,
) -> None:
    """Score coders against a human-labelled gold set (learned coders cross-validated).

    `detente eval dedup` scores the clustering of reports into real-world events instead
    (pairwise precision and recall; docs/dedup.md), with --db, --dedup-window,
    --near-threshold, --match-threshold, --lookback-days and --lookback-threshold.
    """
    from .evaluate import render, render_comparison, run_evals

    if name == "dedup":
        _eval_dedup(path=path, db=db, kb=kb, limit=limit, as_json=as_json, window=window,
                    near_threshold=near_threshold, match=match_threshold, split=split,
                    lookback=lookback_days, lookback_threshold=lookback_threshold)
        return

    coders = coder or None
    reports = run_evals(name, coders=coders, path=path, kb_dirs=kb or (), limit=limit)
    if as_json:
        payload = reports[0].to_dict() if len(reports) == 1 else [r.to_dict() for r in reports]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if len(reports) > 1:
        out.print(render_comparison(reports))
        return
    for part in render(reports[0]):
        out.print(part)


def _eval_dedup(*, path: Path | None, db: Path | None, kb: list[Path] | None,
                limit: int | None, as_json: bool, window: int, near_threshold: float,
                match: float = 0.6, split: str | None = None, lookback: int = 10,
                lookback_threshold: float = 0.9) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .dedupeval import render, run_dedup_eval

    show = not as_json and err.is_terminal
    with Progress(TextColumn("[bold]eval dedup"), BarColumn(), MofNCompleteColumn(),
                  console=err, disable=not show, transient=True) as bar:
        task = bar.add_task("eval", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_dedup_eval(path=path, db=db, kb_dirs=kb or (), limit=limit, split=split,
                                config=_dedup_config(window, near_threshold,
                                                     match=match, lookback=lookback,
                                                     lookback_threshold=lookback_threshold),
                                progress=progress)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
        return
    for part in render(report):
        out.print(part)


@command()
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 127.0.0.1 serves this "
                                      "machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token: Annotated[str | None, typer.Option(envvar="DETENTE_TOKEN", help="Bearer token "
                                              "that writes (code, ingest) must send; "
                                              "required unless --host is loopback or "
                                              "--read-only.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Refuse every write; open "
                                            "the store read-only.")] = False,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes.")] = 10_000_000,
    max_page: Annotated[int, typer.Option(help="Largest page size of list endpoints.")] = 500,
    rate_limit: Annotated[int, typer.Option(help="Requests per minute per client address "
                                            "(0: no limit).")] = 1200,
    query_timeout: Annotated[float, typer.Option(help="Seconds a query may run (0: no "
                                                 "limit).")] = 10.0,
    cors_origin: Annotated[list[str] | None, typer.Option(help="Web origin allowed to call "
                                                          "the API from a browser "
                                                          "(repeatable); none by "
                                                          "default.")] = None,
    cache_size: Annotated[int, typer.Option(help="Answers (event pages, dyad series, "
                                            "top lists, network, alerts, actors) kept in "
                                            "memory; a write drops only those it "
                                            "changes; also keeps 16 serialised events "
                                            "per answer for event pages; 0: none.")] = 1024,
    db_workers: Annotated[int, typer.Option(help="Requests that query the store at the "
                                            "same time; the others queue (0: one per "
                                            "CPU core, at least 2).")] = 0,
    queue_timeout: Annotated[float, typer.Option(help="Seconds a request may wait for its "
                                                 "turn before a 503 with Retry-After "
                                                 "(E716).")] = 10.0,
    memory_index: Annotated[bool, typer.Option(help="Answer event pages and dyad series "
                                               "from an index kept in memory (built at "
                                               "start-up, kept current by this server's "
                                               "writes) instead of querying the store.")
                            ] = True,
    memory_events: Annotated[int, typer.Option(help="Events read at start-up and kept "
                                               "serialised in memory for event pages "
                                               "(about 2 kB each): the first page of every "
                                               "actor, recipient, type and pair, then the "
                                               "newest; 0: only those the --cache-size "
                                               "keeps.")] = 200_000,
    kb: KbOpt = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) and the dashboard (/).

    Needs the `web` extra (pip install 'detente[web]').
    """
    from .server import ServerConfig
    from .server import serve as run_server

    if max_body < 1 or max_page < 1 or min(rate_limit, query_timeout, cache_size,
                                           db_workers, queue_timeout, memory_events) < 0:
        raise UsageError("--max-body and --max-page must be >= 1, --rate-limit, "
                         "--query-timeout, --cache-size, --db-workers, --queue-timeout "
                         "and --memory-events >= 0")
    config = ServerConfig(db=db, host=host, token=token or None, read_only=read_only,
                          max_body=max_body, max_page=max_page, rate_limit=rate_limit,
                          query_timeout=query_timeout, cors_origins=tuple(cors_origin or ()),
                          kb_dirs=tuple(str(k) for k in kb or ()), cache_size=cache_size,
                          db_workers=db_workers, queue_timeout=queue_timeout,
                          memory_index=memory_index, memory_events=memory_events)
    writes = {"disabled": "writes disabled", "token": "writes need the token",
              "open": "writes open to this machine"}[config.writes]
    err.print(f"detente serving http://{host}:{port}/ (dashboard /, API docs /docs; "
              f"{writes}); Ctrl-C stops", markup=False)
    run_server(config, port=port, log_level=log_level)


@command("get")
def get_(
    path: Annotated[str, typer.Argument(help="API path with query, e.g. "
                                        "'/events?actor=USA&limit=5'.")],
    db: DbOpt = None,
) -> None:
    """Run one GET request against the HTTP API in process and print the JSON answer.

    Exit status 1 when the API answers with an error.
    """
    from .server import ServerConfig
    from .server import get as http_get

    status, body, _ctype = http_get(path, config=ServerConfig(db=db, rate_limit=0))
    sys.stdout.write(body.decode("utf-8", "replace") + "\n")
    sys.stdout.flush()
    if status >= 400:
        try:
            e = json.loads(body)["error"]
            err.print(f"Error [{e['code']}]: {e['message']} ({e['hint']})", markup=False)
        except (ValueError, KeyError, TypeError):
            err.print(f"Error: HTTP {status}", markup=False)
        raise typer.Exit(1)


def main() -> None:
    """Entry point: run the app, turning detente errors into clear messages."""
    try:
        app()
    except DetenteError as exc:
        report_error(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; rerun the same command to resume", markup=False)
        sys.exit(130)
