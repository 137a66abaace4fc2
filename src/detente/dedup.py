"""The dedup stage: one real-world event, many reports.

Two levels, both incremental (new articles are matched against the store; nothing is
recomputed):

**Articles.** An article's id is the hash of its normalised title, date and body, so an
identical copy is never stored twice. Wire copies and re-publications that differ a little
(another headline, a dateline, a trailing credit line) are found with MinHash over word
shingles of the body and locality-sensitive hashing (``datasketch``): an article whose
estimated Jaccard similarity with an earlier one reaches ``near_threshold`` is *linked* to
it (``article_links``), not dropped: it keeps its events, and counts treat the group as one
article.

**Events.** Reports of the same real-world event become one *cluster* (a canonical event)
with its mentions. Two events are compatible when

- their event types are equal and their modes, where both have modes, overlap;
- their actor sets and recipient sets are equal (for CONSULT, whose participants PLOVER
  lists together, the union of both sides is compared);
- their date intervals (the date plus its precision: a week-precision date covers seven
  days) lie within ``window_days`` of each other;
- their places, where both have a country, are in the same country, and their objects,
  where both have objects, share one;
- their factuality agrees (a negated or hypothetical report does not merge with a factual
  one).

A new event joins the compatible cluster whose date interval is nearest (ties: the
earliest cluster); otherwise it founds a new cluster whose id is its own id. A cluster's
interval grows to cover its members. The thresholds live in :class:`DedupConfig`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol

from .records import Article, Event

if TYPE_CHECKING:
    import numpy as np

MINHASH_SCHEME = "affine32"
"""datasketch's hashing scheme; stored signatures are only comparable within one scheme."""

PRECISION_DAYS = {"day": 0, "week": 6, "month": 30, "year": 364, "decade": 3652,
                  "unknown": 0}


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Thresholds of the dedup stage (CLI: ``detente ingest --dedup-window`` ...)."""

    window_days: int = 3
    """Largest gap between two reports' date intervals for them to be one event."""
    near_threshold: float = 0.8
    """Estimated Jaccard similarity of body shingles from which two articles are copies."""
    num_perm: int = 64
    """MinHash permutations (more: better estimates, more memory)."""
    shingle: int = 5
    """Words per shingle."""
    min_words: int = 20
    """Articles shorter than this are only deduplicated exactly."""


# -- articles ---------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def body_hash(text: str) -> str:
    """Hash of the normalised body alone (case and whitespace folded)."""
    norm = " ".join(_WORD.findall(text.lower()))
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:20]


def signature(text: str, *, config: DedupConfig = DedupConfig()) -> np.ndarray | None:
    """MinHash signature of the body's word shingles; ``None`` for very short texts."""
    from datasketch import MinHash

    words = _WORD.findall(text.lower())
    if len(words) < config.min_words:
        return None
    k = config.shingle
    shingles = {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}
    mh = MinHash(num_perm=config.num_perm, seed=1, scheme=MINHASH_SCHEME)
    mh.update_batch(list(shingles))
    import numpy as np

    return np.asarray(mh.hashvalues, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class ArticleLink:
    article_id: str
    duplicate_of: str
    kind: str
    """``exact-body`` or ``near``."""
    similarity: float


class ArticleIndex:
    """An LSH index over article signatures, filled from the store and kept current."""

    def __init__(self, config: DedupConfig = DedupConfig()) -> None:
        from datasketch import MinHashLSH

        self.config = config
        self._lsh = MinHashLSH(threshold=config.near_threshold, num_perm=config.num_perm)
        self._sigs: dict[str, np.ndarray] = {}
        self._bodies: dict[str, str] = {}
        self._canonical: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._bodies)

    def add(self, article_id: str, bhash: str, sig: np.ndarray | None,
            canonical: str | None = None) -> None:
        self._bodies.setdefault(bhash, article_id)
        self._canonical[article_id] = canonical or article_id
        if sig is not None and article_id not in self._sigs:
            from datasketch import MinHash

            self._sigs[article_id] = sig
            self._lsh.insert(article_id, MinHash(num_perm=self.config.num_perm,
                                                 hashvalues=sig, scheme=MINHASH_SCHEME))

    def link(self, article: Article) -> tuple[ArticleLink | None, str, np.ndarray | None]:
        """Find what ``article`` copies (if anything) and add it to the index.

        Returns ``(link or None, body hash, signature)``.
        """
        bhash = body_hash(article.text)
        sig = signature(article.text, config=self.config)
        link: ArticleLink | None = None
        first = self._bodies.get(bhash)
        if first is not None and first != article.id:
            link = ArticleLink(article.id, self._canonical.get(first, first), "exact-body", 1.0)
        elif sig is not None:
            from datasketch import MinHash

            mh = MinHash(num_perm=self.config.num_perm, hashvalues=sig,
                         scheme=MINHASH_SCHEME)
            best, best_sim = None, 0.0
            for cand in self._lsh.query(mh):
                if cand == article.id:
                    continue
                sim = float((self._sigs[cand] == sig).mean())
                if sim >= self.config.near_threshold and (sim, cand) > (best_sim, best or ""):
                    best, best_sim = cand, sim
            if best is not None:
                link = ArticleLink(article.id, self._canonical.get(best, best), "near", best_sim)
        self.add(article.id, bhash, sig, link.duplicate_of if link else None)
        return link, bhash, sig


# -- events -----------------------------------------------------------------------------


def _codes(ents: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({getattr(e, "code", "") for e in ents} - {""}))


def blocking_key(e: Event) -> str:
    """Events that may be one real-world event share this key."""
    actors, recips = _codes(e.actor), _codes(e.recipient)
    if e.event_type == "CONSULT":
        actors, recips = tuple(sorted(set(actors) | set(recips))), ()
    f = e.factuality
    fact = ("N" if f.negated else "") + ("H" if f.hypothetical else "")
    return f"{e.event_type}|{','.join(actors)}|{','.join(recips)}|{fact}"


def interval(e: Event) -> tuple[date, date]:
    return e.date, e.date + timedelta(days=PRECISION_DAYS.get(e.date_precision, 0))


@dataclass(slots=True)
class Cluster:
    """A canonical event: the state needed to match new reports against it."""

    id: str
    key: str
    date_lo: date
    date_hi: date
    modes: frozenset[str] = frozenset()
    country: str = ""
    objects: frozenset[str] = frozenset()
    new_members: list[str] = field(default_factory=list)
    dirty: bool = False


def _gap(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days between two intervals (0 when they overlap)."""
    if a[1] < b[0]:
        return (b[0] - a[1]).days
    if b[1] < a[0]:
        return (a[0] - b[1]).days
    return 0


def compatible(e: Event, c: Cluster, config: DedupConfig) -> bool:
    if _gap(interval(e), (c.date_lo, c.date_hi)) > config.window_days:
        return False
    if e.mode and c.modes and not set(e.mode) & c.modes:
        return False
    country = e.location.country if e.location else ""
    if country and c.country and country != c.country:
        return False
    objs = {o.name for o in e.objects}
    return not (objs and c.objects and not objs & c.objects)


class ClusterSource(Protocol):
    """Where existing clusters come from (the store)."""

    def candidate_clusters(self, keys: Sequence[str], lo: date, hi: date) -> list[Cluster]:
        """Clusters with one of ``keys`` whose interval touches ``[lo, hi]``."""
        ...


class EventClusterer:
    """Assigns events to clusters, batch by batch, consulting the store for clusters made
    earlier. Memory holds only the current batch's clusters."""

    def __init__(self, source: ClusterSource | None,
                 config: DedupConfig = DedupConfig()) -> None:
        self.source = source
        self.config = config
        self._by_key: dict[str, dict[str, Cluster]] = {}

    def assign_batch(self, events: Sequence[Event]) -> list[Cluster]:
        """Assign ``events``; returns the clusters they created or changed (with
        ``new_members``), to be written with the batch. Then forget them."""
        self._by_key = {}
        if not events:
            return []
        pad = timedelta(days=self.config.window_days)
        keys = sorted({blocking_key(e) for e in events})
        ivs = [interval(e) for e in events]
        lo = min(i[0] for i in ivs) - pad
        hi = max(i[1] for i in ivs) + pad
        if self.source is not None:
            for c in self.source.candidate_clusters(keys, lo, hi):
                self._by_key.setdefault(c.key, {})[c.id] = c
        for e in events:
            self.assign(e)
        changed = [c for d in self._by_key.values() for c in d.values() if c.dirty]
        self._by_key = {}
        return changed

    def assign(self, e: Event) -> Cluster:
        key = blocking_key(e)
        lo, hi = interval(e)
        known = self._by_key.setdefault(key, {})
        best: Cluster | None = None
        best_rank: tuple[int, date, str] | None = None
        for c in known.values():
            if compatible(e, c, self.config):
                rank = (_gap((lo, hi), (c.date_lo, c.date_hi)), c.date_lo, c.id)
                if best_rank is None or rank < best_rank:
                    best, best_rank = c, rank
        if best is None:
            best = Cluster(id=e.id, key=key, date_lo=lo, date_hi=hi)
            known[best.id] = best
        best.date_lo, best.date_hi = min(best.date_lo, lo), max(best.date_hi, hi)
        best.modes = best.modes | set(e.mode)
        if not best.country and e.location and e.location.country:
            best.country = e.location.country
        best.objects = best.objects | {o.name for o in e.objects}
        best.new_members.append(e.id)
        best.dirty = True
        return best


def source_name(article: Article) -> str:
    """Who published an article: its publisher, else its URL's host, else empty."""
    if article.publisher:
        return article.publisher.strip().lower()
    if article.url:
        from urllib.parse import urlsplit

        host = urlsplit(article.url).hostname or ""
        return host.removeprefix("www.")
    return ""


def dedup_rows(articles: Iterable[tuple[Article, Sequence[Event]]], *,
               index: ArticleIndex, clusterer: EventClusterer,
               ) -> tuple[list[tuple[object, ...]], list[Cluster]]:
    """Run both dedup levels over one batch of coded articles.

    Returns the ``article_dedup`` rows and the changed clusters to store with the batch.
    """
    rows: list[tuple[object, ...]] = []
    events: list[Event] = []
    for art, evs in articles:
        link, bhash, sig = index.link(art)
        rows.append((art.id, bhash, sig.tobytes() if sig is not None else None,
                     link.duplicate_of if link else None, link.kind if link else None,
                     link.similarity if link else None, source_name(art)))
        events.extend(evs)
    events.sort(key=lambda e: (e.date, e.id))
    return rows, clusterer.assign_batch(events)
