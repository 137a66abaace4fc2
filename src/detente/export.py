"""Exports of events: PLOVER JSONL, flat CSV, Parquet (file or partitioned dataset), and
a GDELT-like TSV; and readers that bring PLOVER JSONL, CSV and Parquet back as records.

- ``plover``: one JSON object per line with the PLOVER manual's field names
  (:func:`detente.formats.plover_dict`). Lossless.
- ``csv`` / ``parquet``: one row per event; scalar fields as columns, list fields joined
  with ``"; "`` for reading by eye, and the entity lists additionally as JSON columns
  (``actor_json``, ``recipient_json``, ``objects_json``, ``location_json``) so the export
  is lossless. Parquet may be partitioned (``partition_by="year"``) into a dataset
  directory that DuckDB, Spark or BigQuery read directly.
- ``gdelt``: tab-separated with GDELT 2.0 event column names where the meaning matches
  (one row per event; first actor/recipient as Actor1/Actor2) followed by detente's own
  columns. :func:`read_gdelt` reads it back as typed rows, not as events: GDELT's shape
  keeps one actor and one recipient entity. Columns are listed in :data:`GDELT_COLUMNS`
  and docs/formats.md.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from .errors import UnknownName, UsageError
from .formats import QUAD_LABELS, plover_dict
from .records import Entity, Event, EventObject, Evidence, Factuality, Place

FORMATS = ("plover", "csv", "parquet", "gdelt")


# -- flat rows ------------------------------------------------------------------------


def flat_row(e: Event) -> dict[str, Any]:
    """One event as a flat, lossless row."""
    ev, f = e.evidence, e.factuality
    return {
        "id": e.id, "article_id": e.article_id, "date": e.date.isoformat(),
        "date_precision": e.date_precision, "date_basis": e.date_basis,
        "date_text": e.date_text, "published": e.published.isoformat(),
        "event_type": e.event_type, "mode": "; ".join(e.mode),
        "context": "; ".join(e.context), "cameo": e.cameo, "goldstein": e.goldstein,
        "quad_class": e.quad_class, "quad_label": QUAD_LABELS.get(e.quad_class, ""),
        "intensity": e.intensity,
        "actor_codes": "; ".join(a.code for a in e.actor),
        "actor_sectors": "; ".join(a.sector for a in e.actor),
        "actor_names": "; ".join(a.name for a in e.actor),
        "recipient_codes": "; ".join(r.code for r in e.recipient),
        "recipient_sectors": "; ".join(r.sector for r in e.recipient),
        "recipient_names": "; ".join(r.name for r in e.recipient),
        "objects": "; ".join(o.name for o in e.objects),
        "negated": f.negated, "hypothetical": f.hypothetical, "future": f.future,
        "historical": f.historical, "confidence": e.confidence, "content": e.content,
        "sentence": ev.sentence, "sentence_index": ev.sentence_index,
        "sentence_start": ev.start, "sentence_end": ev.end, "trigger": ev.trigger,
        "trigger_start": ev.trigger_start, "trigger_end": ev.trigger_end, "url": ev.url,
        "coder": e.coder, "kb_version": e.kb_version,
        "actor_json": json.dumps([asdict(a) for a in e.actor], ensure_ascii=False),
        "recipient_json": json.dumps([asdict(r) for r in e.recipient], ensure_ascii=False),
        "objects_json": json.dumps([asdict(o) for o in e.objects], ensure_ascii=False),
        "location_json": json.dumps(asdict(e.location) if e.location else None,
                                    ensure_ascii=False),
    }


def _bool(v: Any) -> bool:
    return v if isinstance(v, bool) else str(v).strip().lower() in {"true", "1", "yes"}


def _split(v: Any) -> tuple[str, ...]:
    return tuple(x.strip() for x in str(v or "").split(";") if x.strip())


def from_flat_row(r: dict[str, Any]) -> Event:
    """Inverse of :func:`flat_row` (values may be strings, as read from CSV)."""
    loc = json.loads(r["location_json"]) if r.get("location_json") else None
    return Event(
        id=str(r["id"]), article_id=str(r["article_id"]), event_type=str(r["event_type"]),
        cameo=str(r["cameo"]), goldstein=float(r["goldstein"]), quad_class=int(r["quad_class"]),
        intensity=float(r["intensity"]), date=date.fromisoformat(str(r["date"])),
        date_precision=r["date_precision"], date_basis=r["date_basis"],
        date_text=str(r["date_text"] or ""), published=date.fromisoformat(str(r["published"])),
        actor=tuple(Entity(**a) for a in json.loads(r["actor_json"])),
        recipient=tuple(Entity(**a) for a in json.loads(r["recipient_json"])),
        evidence=Evidence(sentence=str(r["sentence"] or ""),
                          sentence_index=int(r["sentence_index"]),
                          start=int(r["sentence_start"]), end=int(r["sentence_end"]),
                          trigger=str(r["trigger"] or ""), trigger_start=int(r["trigger_start"]),
                          trigger_end=int(r["trigger_end"]), url=str(r["url"] or "")),
        mode=_split(r["mode"]), context=_split(r["context"]),
        objects=tuple(EventObject(**o) for o in json.loads(r["objects_json"])),
        location=Place(**loc) if loc else None,
        factuality=Factuality(negated=_bool(r["negated"]), hypothetical=_bool(r["hypothetical"]),
                              future=_bool(r["future"]), historical=_bool(r["historical"])),
        confidence=float(r["confidence"]), content=str(r["content"] or ""),
        coder=str(r["coder"] or ""), kb_version=str(r["kb_version"] or ""),
    )


def from_plover(d: dict[str, Any]) -> Event:
    """Inverse of :func:`detente.formats.plover_dict`."""

    def ent(x: dict[str, Any]) -> Entity:
        return Entity(code=x.get("code", ""), sector=x.get("sector", ""),
                      name=x.get("name", ""), text=x.get("entity_text", ""),
                      office=x.get("office", ""), wikidata=x.get("identifier_id", ""),
                      kb_key=x.get("kb_key", ""), cameo=x.get("cameo_code", ""),
                      start=x.get("start", -1), end=x.get("end", -1))

    ti = d.get("text_info") or {}
    loc = d.get("event_loc")
    place = None
    if loc:
        place = Place(text=loc.get("extracted_place", ""), name=loc.get("resolved_place", ""),
                      country=loc.get("country_code", ""), admin1=loc.get("province", ""),
                      lat=loc.get("lat"), lon=loc.get("lon"), geonameid=loc.get("geonameid"),
                      feature=loc.get("feature_class", ""))
    return Event(
        id=d["id"], article_id=d.get("article_id", ""), event_type=d["event"],
        cameo=d.get("cameo_code", ""), goldstein=float(d.get("goldstein", 0.0)),
        quad_class=int(d.get("quad_code", 0)), intensity=float(d.get("event_intensity", 0.0)),
        date=date.fromisoformat(d["date"]), date_precision=d.get("date_precision", "day"),
        date_basis=d.get("date_basis", "publication"), date_text=d.get("date_text", ""),
        published=date.fromisoformat(d.get("publication_date", d["date"])),
        actor=tuple(ent(a) for a in d.get("actor") or ()),
        recipient=tuple(ent(r) for r in d.get("recipient") or ()),
        evidence=Evidence(sentence=d.get("text", ""), sentence_index=ti.get("sequence", 0),
                          start=ti.get("start", 0), end=ti.get("end", 0),
                          trigger=d.get("event_text", ""),
                          trigger_start=ti.get("trigger_start", -1),
                          trigger_end=ti.get("trigger_end", -1), url=d.get("link", "")),
        mode=tuple(d.get("mode") or ()), context=tuple(d.get("context") or ()),
        objects=tuple(EventObject(text=o.get("text", ""), name=o.get("name", ""),
                                  category=o.get("category", ""), origin=o.get("origin", ""),
                                  kb_key=o.get("kb_key", ""))
                      for o in d.get("objects") or ()),
        location=place,
        factuality=Factuality(negated=bool(d.get("negated")),
                              hypothetical=bool(d.get("hypothetical")),
                              future=bool(d.get("future")), historical=bool(d.get("historical"))),
        confidence=float(d.get("confidence", 0.5)), content=d.get("content", ""),
        coder=d.get("coder", ""), kb_version=d.get("kb_version", ""),
    )


# -- GDELT-like TSV -------------------------------------------------------------------

GDELT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("GLOBALEVENTID", "detente event id (a string, not GDELT's integer)"),
    ("SQLDATE", "event date YYYYMMDD"),
    ("MonthYear", "YYYYMM"),
    ("Year", "YYYY"),
    ("FractionDate", "year + day-of-year / 365"),
    ("Actor1Code", "CAMEO actor code of the first actor (e.g. USAGOV)"),
    ("Actor1Name", "canonical name of the first actor"),
    ("Actor1CountryCode", "ISO-3166 alpha-3 (or IGO/NGO...) of the first actor"),
    ("Actor1Type1Code", "PLOVER sector of the first actor"),
    ("Actor2Code", "as Actor1Code, for the first recipient"),
    ("Actor2Name", "as Actor1Name, for the first recipient"),
    ("Actor2CountryCode", "as Actor1CountryCode, for the first recipient"),
    ("Actor2Type1Code", "as Actor1Type1Code, for the first recipient"),
    ("EventCode", "CAMEO code (string)"),
    ("EventBaseCode", "first three digits of EventCode"),
    ("EventRootCode", "first two digits of EventCode"),
    ("QuadClass", "GDELT's QuadClass of EventRootCode: 01-05 1 verbal cooperation, 06-09 2 "
                  "material cooperation, 10-14 3 verbal conflict, 15-20 4 material conflict"),
    ("GoldsteinScale", "Goldstein score of the CAMEO code"),
    ("ActionGeo_FullName", "place of the event"),
    ("ActionGeo_CountryCode", "ISO-3166 alpha-3 of the place (GDELT uses FIPS here)"),
    ("ActionGeo_Lat", "latitude"),
    ("ActionGeo_Long", "longitude"),
    ("ActionGeo_FeatureID", "GeoNames id"),
    ("SOURCEURL", "article URL"),
    ("PloverEvent", "PLOVER event type"),
    ("PloverMode", "PLOVER modes, '; '-joined"),
    ("PloverContext", "PLOVER contexts, '; '-joined"),
    ("PloverQuad", "PLOVER's quad of the event type (1-4), as in detente's own outputs"),
    ("Intensity", "PLOVER intensity"),
    ("DatePrecision", "day, week, month, year"),
    ("Actors", "all actor codes, '; '-joined"),
    ("Recipients", "all recipient codes, '; '-joined"),
    ("Objects", "weapon systems / programmes, '; '-joined"),
    ("Negated", "1 if negated"),
    ("Hypothetical", "1 if hypothetical or conditional"),
    ("Future", "1 if future"),
    ("Historical", "1 if historical"),
    ("Confidence", "0-1"),
    ("ArticleID", "detente article id"),
    ("Evidence", "the sentence the event was read from"),
    ("ClusterID", "the canonical event (cluster of reports) this report belongs to; empty "
                  "when the store has no clusters for it"),
    ("NumMentions", "reports (event mentions) of the canonical event"),
    ("NumSources", "distinct publishers of those reports"),
    ("NumArticles", "distinct articles reporting it, near-duplicate copies counted once"),
)


def gdelt_quad(cameo: str) -> int | str:
    """GDELT's QuadClass of a CAMEO code (by its two-digit root); empty if unknown."""
    root = cameo[:2]
    if len(root) < 2 or not root.isdigit() or not 1 <= int(root) <= 20:
        return ""
    n = int(root)
    return 1 if n <= 5 else 2 if n <= 9 else 3 if n <= 14 else 4


ClusterLookup = Callable[[Sequence[str]], Mapping[str, Mapping[str, Any]]]
"""Event ids -> ``{event_id: {cluster_id, mentions, sources, articles}}`` (the store's
:meth:`~detente.store.Store.event_clusters`)."""


def gdelt_row(e: Event, cluster: Mapping[str, Any] | None = None) -> list[Any]:
    a = e.actor[0] if e.actor else Entity(code="")
    r = e.recipient[0] if e.recipient else Entity(code="")
    loc, f = e.location, e.factuality
    frac = e.date.year + (e.date.timetuple().tm_yday - 1) / 365.0
    return [
        e.id, e.date.strftime("%Y%m%d"), e.date.strftime("%Y%m"), e.date.year,
        f"{frac:.4f}", a.cameo or a.code, a.name, a.code, a.sector, r.cameo or r.code, r.name,
        r.code, r.sector, e.cameo, e.cameo[:3], e.cameo[:2], gdelt_quad(e.cameo), e.goldstein,
        loc.name if loc else "", loc.country if loc else "",
        loc.lat if loc and loc.lat is not None else "",
        loc.lon if loc and loc.lon is not None else "",
        loc.geonameid if loc and loc.geonameid is not None else "", e.evidence.url,
        e.event_type, "; ".join(e.mode), "; ".join(e.context), e.quad_class, e.intensity,
        e.date_precision,
        "; ".join(x.code for x in e.actor), "; ".join(x.code for x in e.recipient),
        "; ".join(o.name for o in e.objects), int(f.negated), int(f.hypothetical),
        int(f.future), int(f.historical), round(e.confidence, 4), e.article_id,
        " ".join(e.evidence.sentence.split()),
        *((cluster["cluster_id"], cluster["mentions"], cluster["sources"], cluster["articles"])
          if cluster else ("", "", "", "")),
    ]


def _opt(cast: Any) -> Any:
    def conv(v: str) -> Any:
        return cast(v) if v != "" else None

    return conv


def _yyyymmdd(v: str) -> date:
    return date(int(v[:4]), int(v[4:6]), int(v[6:8]))


_GDELT_TYPES: dict[str, Any] = {
    "SQLDATE": _yyyymmdd, "MonthYear": int, "Year": int, "FractionDate": float,
    "QuadClass": _opt(int), "GoldsteinScale": _opt(float), "ActionGeo_Lat": _opt(float),
    "ActionGeo_Long": _opt(float), "ActionGeo_FeatureID": _opt(int), "PloverMode": _split,
    "PloverContext": _split, "PloverQuad": int, "Intensity": _opt(float), "Actors": _split,
    "Recipients": _split, "Objects": _split, "Negated": _bool, "Hypothetical": _bool,
    "Future": _bool, "Historical": _bool, "Confidence": float, "NumMentions": _opt(int),
    "NumSources": _opt(int), "NumArticles": _opt(int),
}


def read_gdelt(path: Path | str) -> Iterator[dict[str, Any]]:
    """Read a GDELT-like TSV written by :func:`write_events` back as typed dicts (dates
    as dates, numbers as numbers, ``'; '``-joined lists as tuples, flags as booleans,
    empty cells as ``None``). It cannot become events again: GDELT's shape keeps one
    actor and one recipient entity."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        expected = [c for c, _ in GDELT_COLUMNS]
        if header != expected:
            raise UsageError(f"{path} does not have detente's GDELT-like columns",
                             hint="read files written by `detente export -f gdelt`")
        for row in reader:
            yield {col: _GDELT_TYPES.get(col, str)(v)
                   for col, v in zip(expected, row, strict=True)}


# -- writers and readers --------------------------------------------------------------


def _chunks(items: Iterable[Event], size: int) -> Iterator[list[Event]]:
    chunk: list[Event] = []
    for it in items:
        chunk.append(it)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_events(events: Iterable[Event], path: Path | str, *, fmt: str,
                 partition_by: str | None = None, clusters: ClusterLookup | None = None,
                 ) -> int:
    """Write events to ``path`` in ``fmt``; returns how many were written.

    ``clusters`` (GDELT TSV only) fills the canonical-event columns."""
    if fmt not in FORMATS:
        raise UnknownName(f"unknown export format {fmt!r}", hint=f"use one of {FORMATS}")
    if partition_by is not None and fmt != "parquet":
        raise UsageError("--partition-by works with parquet only")
    path = Path(path)
    n = 0
    if fmt == "plover":
        with path.open("w", encoding="utf-8") as fh:
            for e in events:
                fh.write(json.dumps(plover_dict(e), ensure_ascii=False) + "\n")
                n += 1
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer: Any = None
            for e in events:
                row = flat_row(e)
                if writer is None:
                    writer = csv.DictWriter(fh, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
                n += 1
    elif fmt == "gdelt":
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow([c for c, _ in GDELT_COLUMNS])
            for chunk in _chunks(events, 2000):
                found = clusters([e.id for e in chunk]) if clusters is not None else {}
                for e in chunk:
                    w.writerow(gdelt_row(e, found.get(e.id)))
                    n += 1
    else:
        n = _write_parquet(events, path, partition_by)
    return n


def _write_parquet(events: Iterable[Event], path: Path, partition_by: str | None) -> int:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    if partition_by not in (None, "year", "month", "event_type"):
        raise UsageError(f"cannot partition by {partition_by!r}",
                         hint="use year, month or event_type")
    rows = []
    for e in events:
        row = flat_row(e)
        if partition_by == "year":
            row["year"] = e.date.year
        elif partition_by == "month":
            row["month"] = e.date.strftime("%Y-%m")
        rows.append(row)
    table = pa.Table.from_pylist(rows) if rows else pa.table({"id": pa.array([], pa.string())})
    if partition_by is None:
        pq.write_table(table, path)
    else:
        ds.write_dataset(table, path, format="parquet", partitioning=[partition_by],
                         partitioning_flavor="hive", existing_data_behavior="overwrite_or_ignore")
    return len(rows)


def read_events(path: Path | str, *, fmt: str | None = None) -> Iterator[Event]:
    """Read events written by :func:`write_events` (plover, csv or parquet)."""
    path = Path(path)
    if fmt is None:
        fmt = ("parquet" if path.is_dir() or path.suffix == ".parquet" else
               "csv" if path.suffix == ".csv" else "plover")
    if fmt == "plover":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield from_plover(json.loads(line))
    elif fmt == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield from_flat_row(row)
    elif fmt == "parquet":
        import pyarrow.dataset as ds

        table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
        for row in table.to_pylist():
            yield from_flat_row(row)
    else:
        raise UnknownName(f"cannot read events as {fmt!r}", hint="use plover, csv or parquet")
