"""In-memory serving index of the HTTP API: the common event pages and dyad series
answered without querying DuckDB.

DuckDB answers an event page or a dyad series in 10-50 ms of CPU, because it reads whole
row groups for a few rows; the HTTP API's load target (many clients, p99 under 200 ms)
needs a few milliseconds. :class:`ServingIndex` keeps, in numpy arrays:

- every event's ``(date, id)`` in page order (``date DESC, id DESC``), whether it is
  certain (neither negated nor hypothetical), and per actor code, recipient code and
  event type the positions of its events (sorted), so that a page filtered by actor,
  recipient, type, dates and certainty is a walk down the most selective of these lists;
- the rows of ``sum_dyad_day`` sorted by pair and day, so that a dyad series is a slice
  and a group-by in numpy.

Anything else (text, object, mode, context, confidence or article filters; a dyad of one
code with itself; a store without serving summaries) returns ``None`` and the caller asks
the store. The answers equal the store's (tested on random filters and writes), except
that sums of Goldstein and intensity scores may differ from DuckDB's in the last bits,
as DuckDB's own do between runs (the order of a floating-point sum is not fixed).

The index is built from one read transaction (about 2 s of CPU for a million events) and
kept current by the server's own writes: :meth:`ServingIndex.add` takes the ids of the
new events (a small unsorted delta, searched linearly and merged into the arrays when it
grows) and reloads the dyads they touched.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .store import EventFilter, Store

EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
DELTA_MAX = 5000
"""New events kept in the unsorted delta before the arrays are rebuilt."""
_I32 = np.int32


def _day(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def _date(day: int) -> date:
    return date.fromordinal(int(day) + _EPOCH_ORDINAL)


_DAYS = "datediff('day', DATE '1970-01-01', {})"
_CERTAIN_SQL = "NOT coalesce(negated, false) AND NOT coalesce(hypothetical, false)"


@dataclass
class _Delta:
    """One new event, as the index filters it."""

    day: int
    id: str
    event_type: str | None
    actors: frozenset[str]
    recipients: frozenset[str]
    certain: bool


class _Events:
    """Event keys in page order and the positions per actor, recipient and type."""

    def __init__(self, con: Any) -> None:
        ranked = ("SELECT row_number() OVER (ORDER BY date DESC, id DESC) - 1 AS pos, * "
                  "FROM events")
        cols = con.execute(
            f"SELECT {_DAYS.format('date')}::INTEGER AS day, id, "
            f"({_CERTAIN_SQL}) AS certain FROM events ORDER BY date DESC, id DESC"
        ).fetchnumpy()
        self.neg_days = -np.asarray(cols["day"], dtype=_I32)
        """Minus the day of each position: ascending, so searchsorted finds date bounds."""
        ids = np.asarray(cols["id"]).astype(str)
        try:  # a quarter of the memory (ids are ASCII hashes); byte order is code point order
            self.ids = ids.astype("S")
        except UnicodeEncodeError:
            self.ids = ids
        self.certain = np.asarray(cols["certain"], dtype=bool)
        self.n = len(self.ids)
        self.postings: dict[str, dict[str, np.ndarray]] = {}
        for name, expr in (("actor", "unnest(list_distinct(actor_codes))"),
                           ("recipient", "unnest(list_distinct(recipient_codes))"),
                           ("type", "event_type")):
            rows = con.execute(
                f"SELECT code, list(pos ORDER BY pos) FROM (SELECT pos, {expr} AS code "
                f"FROM ({ranked})) WHERE code IS NOT NULL GROUP BY code").fetchall()
            self.postings[name] = {str(c): np.asarray(p, dtype=_I32) for c, p in rows}

    def nbytes(self) -> int:
        return int(self.neg_days.nbytes + self.ids.nbytes + self.certain.nbytes + sum(
            p.nbytes for d in self.postings.values() for p in d.values()))

    def _bounds(self, f: EventFilter, after: tuple[date, str] | None) -> tuple[int, int]:
        """The positions ``[lo, hi)`` within the page's dates and after its cursor."""
        lo, hi = 0, self.n
        if f.until is not None:
            lo = max(lo, int(np.searchsorted(self.neg_days, -_day(f.until), "left")))
        if after is not None:
            d = -_day(after[0])
            a = int(np.searchsorted(self.neg_days, d, "left"))
            b = int(np.searchsorted(self.neg_days, d, "right"))
            # within one day ids descend: the ids below the cursor's are the last ones
            key = after[1].encode() if self.ids.dtype.kind == "S" else after[1]
            below = int(np.searchsorted(self.ids[a:b][::-1], key, "left"))
            lo = max(lo, b - below)
        if f.since is not None:
            hi = min(hi, int(np.searchsorted(self.neg_days, -_day(f.since), "right")))
        return lo, hi

    def page(self, f: EventFilter, after: tuple[date, str] | None,
             limit: int) -> list[tuple[int, str]]:
        """``(day, id)`` of the first ``limit`` events of the page."""
        pos = self.positions(f, after, limit)
        return list(zip((-self.neg_days[pos]).tolist(), self.id_list(pos), strict=True))

    def id_list(self, pos: np.ndarray) -> list[str]:
        ids = self.ids[pos].tolist()
        return [i.decode() for i in ids] if self.ids.dtype.kind == "S" else ids

    def positions(self, f: EventFilter, after: tuple[date, str] | None,
                  limit: int) -> np.ndarray:
        """The positions of the first ``limit`` events of the page."""
        none = np.zeros(0, dtype=_I32)
        lo, hi = self._bounds(f, after)
        if lo >= hi or limit <= 0:
            return none
        lists = []
        for name, value in (("actor", f.actor), ("recipient", f.recipient),
                            ("type", f.event_type)):
            if value:
                p = self.postings[name].get(value)
                if p is None:
                    return none
                lists.append(p)
        lists.sort(key=len)
        if lists:
            walk = lists[0]
            start = int(np.searchsorted(walk, lo))
            stop = int(np.searchsorted(walk, hi))
        else:
            walk, start, stop = None, lo, hi
        others = lists[1:]
        found: list[np.ndarray] = []
        have = 0
        chunk = max(4 * limit, 256)
        while start < stop and have < limit:
            end = min(stop, start + chunk)
            cand = (walk[start:end] if walk is not None
                    else np.arange(start, end, dtype=_I32))
            mask = np.ones(len(cand), dtype=bool)
            for o in others:
                at = np.searchsorted(o, cand)
                at[at >= len(o)] = len(o) - 1
                mask &= o[at] == cand
            if f.certain_only:
                mask &= self.certain[cand]
            hit = cand[mask]
            found.append(hit[:limit - have])
            have += len(found[-1])
            start = end
            chunk *= 4
        return np.concatenate(found) if found else none


_PERIOD_ROWS = ("events", "verbal_coop", "material_coop", "verbal_conflict",
                "material_conflict")


class _Dyads:
    """The rows of ``sum_dyad_day`` sorted by pair and day, with each pair's slice."""

    COLUMNS = ("day", "quad_class", "certain", "mirror", "events", "goldstein_n",
               "goldstein_sum", "intensity_n", "intensity_sum")

    def __init__(self, con: Any) -> None:
        self.slices: dict[tuple[str, str], tuple[int, int]] = {}
        at = 0
        for s, t, n in con.execute("SELECT source, target, count(*) FROM sum_dyad_day "
                                   "GROUP BY ALL ORDER BY source, target").fetchall():
            self.slices[(str(s), str(t))] = (at, at + int(n))
            at += int(n)
        self.cols = self._load(con, "true ORDER BY source, target, day", [])
        self.extra: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        """Pairs reloaded after a write (their rows in ``cols`` are stale)."""

    @classmethod
    def _load(cls, con: Any, where: str, params: list[Any]) -> dict[str, np.ndarray]:
        cols = con.execute(
            f"SELECT {_DAYS.format('day')}::INTEGER AS day, coalesce(quad_class, 0)::INTEGER, "
            "coalesce(certain, false), coalesce(mirror, false), events, "
            "coalesce(goldstein_n, 0), coalesce(goldstein_sum, 0), coalesce(intensity_n, 0), "
            f"coalesce(intensity_sum, 0) FROM sum_dyad_day WHERE {where}",  # noqa: S608
            params).fetchnumpy()
        return {name: np.asarray(cols[k]) for name, k in zip(cls.COLUMNS, cols, strict=True)}

    def reload(self, con: Any, pairs: set[tuple[str, str]]) -> None:
        for s, t in pairs:
            self.extra[(s, t)] = self._load(con, "source = ? AND target = ? ORDER BY day",
                                            [s, t])

    def nbytes(self) -> int:
        return sum(int(v.nbytes) for c in (self.cols, *self.extra.values()) for v in c.values())

    def _rows(self, s: str, t: str) -> dict[str, np.ndarray] | None:
        if (s, t) in self.extra:
            return self.extra[(s, t)]
        sl = self.slices.get((s, t))
        if sl is None:
            return None
        return {k: v[sl[0]:sl[1]] for k, v in self.cols.items()}

    def series(self, a: str, r: str, *, by: str, both: bool, include_uncertain: bool,
               since: date | None, until: date | None) -> list[dict[str, Any]]:
        parts = []
        one = self._rows(a, r)
        if one is not None:
            parts.append(one)
        if both:
            back = self._rows(r, a)
            if back is not None:  # the reverse pair's events not already counted
                parts.append({k: v[~back["mirror"]] for k, v in back.items()})
        if not parts:
            return []
        rows = {k: np.concatenate([p[k] for p in parts]) for k in self.COLUMNS}
        keep = np.ones(len(rows["day"]), dtype=bool)
        if not include_uncertain:
            keep &= rows["certain"]
        if since is not None:
            keep &= rows["day"] >= _day(since)
        if until is not None:
            keep &= rows["day"] <= _day(until)
        if not keep.all():
            rows = {k: v[keep] for k, v in rows.items()}
        if not len(rows["day"]):
            return []
        periods, group = np.unique(_trunc_days(rows["day"], by), return_inverse=True)
        k = len(periods)

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=values, minlength=k)

        events = total(rows["events"]).astype(np.int64)
        quads = [total(np.where(rows["quad_class"] == q, rows["events"], 0)).astype(np.int64)
                 for q in (1, 2, 3, 4)]
        g_n, g_sum = total(rows["goldstein_n"]), total(rows["goldstein_sum"])
        i_n, i_sum = total(rows["intensity_n"]), total(rows["intensity_sum"])
        out = []
        for j in range(k):
            gn, inn = g_n[j], i_n[j]
            row: dict[str, Any] = {"period": _date(periods[j]), "events": int(events[j])}
            for name, q in zip(_PERIOD_ROWS[1:], quads, strict=True):
                row[name] = int(q[j])
            row["goldstein_mean"] = float(g_sum[j] / gn) if gn else None
            row["goldstein_sum"] = float(g_sum[j]) if gn else None
            row["intensity_mean"] = float(i_sum[j] / inn) if inn else None
            out.append(row)
        return out


def _trunc_days(days: np.ndarray, by: str) -> np.ndarray:
    """Days since 1970 truncated to their period's first day (as DuckDB's
    ``date_trunc``: weeks start on Monday)."""
    if by == "day":
        return days
    if by == "week":
        return days - (days + 3) % 7  # 1970-01-01 was a Thursday
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if by == "quarter":
        months -= months % 3
    elif by == "year":
        months -= months % 12
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


class ServingIndex:
    """The in-memory index of a store (see the module's docstring). Thread-safe: reads
    see one consistent state; :meth:`add` is called by the one writer."""

    def __init__(self, store: Store) -> None:
        self.lock = threading.Lock()
        self._build(store)

    def _build(self, store: Store) -> None:
        con = store.con
        con.execute("BEGIN TRANSACTION")
        try:
            events = _Events(con)
            dyads = _Dyads(con) if store.summaries else None
        finally:
            con.execute("ROLLBACK")
        with self.lock:
            self.events = events
            self.dyads = dyads
            self.delta: list[_Delta] = []

    def stats(self) -> dict[str, int]:
        return {"events": self.events.n + len(self.delta),
                "bytes": self.events.nbytes() + (self.dyads.nbytes() if self.dyads else 0),
                "delta": len(self.delta)}

    # -- answers ----------------------------------------------------------------------

    def page_keys(self, f: EventFilter, *, after: tuple[date, str] | None = None,
                  limit: int = 50) -> list[tuple[str, date]] | None:
        """:meth:`Store.event_page_keys`, or ``None`` for filters the index cannot apply."""
        if (f.mode or f.context or f.text or f.obj or f.min_confidence is not None
                or f.article_id):
            return None
        with self.lock:
            events, delta = self.events, list(self.delta)
        found = events.page(f, after, limit)
        if delta:
            found += [(d.day, d.id) for d in delta if _matches(d, f, after)]
            found.sort(reverse=True)
            found = found[:limit]
        return [(i, _date(day)) for day, i in found]

    def dyad_series(self, actor: str, recipient: str, *, by: str = "month",
                    both_directions: bool = False, include_uncertain: bool = False,
                    since: date | None = None, until: date | None = None
                    ) -> list[dict[str, Any]] | None:
        """:meth:`Store.code_dyad_series`, or ``None`` where the store must answer."""
        a, r = actor.upper(), recipient.upper()
        with self.lock:
            dyads = self.dyads
        if dyads is None or a == r:
            return None
        return dyads.series(a, r, by=by, both=both_directions,
                            include_uncertain=include_uncertain, since=since, until=until)

    def warm_keys(self, budget: int, *, limit: int = 50) -> list[tuple[str, date]]:
        """Up to ``budget`` events worth keeping in memory, in this order: the first page
        (``limit`` events) of every actor, recipient and event type, of every directed
        pair (most frequent first), of every actor and type, then the newest events."""
        with self.lock:
            events, dyads = self.events, self.dyads
        want: dict[int, None] = {}

        def take(pos: np.ndarray) -> bool:
            want.update(dict.fromkeys(pos[:budget - len(want)].tolist()))
            return len(want) < budget

        lists = [p for d in events.postings.values() for p in d.values()]
        for p in sorted(lists, key=len, reverse=True):
            if not take(p[:limit]):
                break
        filters: list[EventFilter] = []
        if dyads is not None:
            pairs = sorted(dyads.slices.items(), key=lambda kv: kv[1][0] - kv[1][1])
            filters += [EventFilter(actor=a, recipient=r) for (a, r), _ in pairs]
        filters += [EventFilter(actor=a, event_type=t) for a in events.postings["actor"]
                    for t in events.postings["type"]]
        for f in filters:
            if len(want) >= budget or not take(events.positions(f, None, limit)):
                break
        if len(want) < budget:  # the newest not taken yet
            newest = np.arange(min(events.n, budget + len(want)), dtype=_I32)
            take(newest[~np.isin(newest, np.fromiter(want, dtype=_I32, count=len(want)))])
        pos = np.asarray(sorted(want), dtype=_I32)
        return [(i, _date(-d)) for d, i in zip(events.neg_days[pos].tolist(),
                                               events.id_list(pos), strict=True)]

    # -- writes -----------------------------------------------------------------------

    def add(self, store: Store, event_ids: set[str]) -> None:
        """Take in the new events ``event_ids`` (committed by ``store``, the writer)."""
        if not event_ids:
            return
        ids = sorted(event_ids)
        con = store.con
        new: list[_Delta] = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ", ".join("?" * len(part))
            for day, eid, etype, acts, recs, certain in con.execute(
                    f"SELECT {_DAYS.format('date')}, id, event_type, actor_codes, "
                    f"recipient_codes, {_CERTAIN_SQL} FROM events "  # noqa: S608
                    f"WHERE id IN ({marks})", part).fetchall():
                new.append(_Delta(int(day), str(eid), etype, frozenset(acts or ()),
                                  frozenset(recs or ()), bool(certain)))
        pairs = {(s, t) for d in new for s in d.actors for t in d.recipients
                 if s and t and s != t}
        if len(self.delta) + len(new) > DELTA_MAX:
            self._build(store)
            return
        if self.dyads is not None:
            dyads = _Dyads.__new__(_Dyads)
            dyads.slices, dyads.cols = self.dyads.slices, self.dyads.cols
            dyads.extra = dict(self.dyads.extra)
            dyads.reload(con, pairs)
        else:
            dyads = None
        with self.lock:
            self.delta = [*self.delta, *new]
            self.dyads = dyads


def _matches(d: _Delta, f: EventFilter, after: tuple[date, str] | None) -> bool:
    if f.actor and f.actor not in d.actors:
        return False
    if f.recipient and f.recipient not in d.recipients:
        return False
    if f.event_type and f.event_type != d.event_type:
        return False
    if f.certain_only and not d.certain:
        return False
    if f.since is not None and d.day < _day(f.since):
        return False
    if f.until is not None and d.day > _day(f.until):
        return False
    return after is None or (d.day, d.id) < (_day(after[0]), after[1])


__all__ = ["ServingIndex"]

