"""The dedup stage: one real-world event, many reports.

Two levels, both incremental (new articles are matched against the store; nothing is
recomputed):

**Articles.** An article's id is the hash of its normalised title, date and body, so an
identical copy is never stored twice. Wire copies and re-publications that differ a little
(another headline, a dateline, a trailing credit line) are found with MinHash over word
shingles of the body and locality-sensitive hashing (datasketch's ``affine32`` MinHash and
``MinHashLSH`` banding, computed here without importing it): an article whose estimated
Jaccard similarity with an earlier one reaches ``near_threshold`` is *linked* to it
(``article_links``), not dropped: it keeps its events, and counts treat the group as one
article.

**Events.** Reports of the same real-world event become one *cluster* (a canonical event)
with its mentions. Two events are compatible when

- their event types are equal and their modes, where both have modes, overlap;
- their actor sets and recipient sets are equal, each actor identified by its code and
  sector (``TUR/GOV``), else by its name (for CONSULT, whose participants PLOVER lists
  together, the union of both sides is compared); an event with one side unknown must
  name a particular person as its recipient, or the same place (or, without a place, the
  same object); an event that identifies nobody is never merged (see
  :func:`blocking_key`);
- their date intervals (the date plus its precision: a week-precision date covers seven
  days) lie within ``window_days`` of each other, and the event's interval would not
  grow beyond ``max_span_days`` (so daily reports of similar happenings do not chain into
  one long "event"); a report dated only to the month or the year may join an event but
  does not widen its interval;
- their places, where both have a country, are in the same country, and their objects,
  where both have objects, share one;
- their factuality agrees (a negated or hypothetical report does not merge with a factual
  one).

An event naming a particular victim is identified by its type and victims whoever the
report says did it. A mention with no date of its own (dated by its publication) happened
on or before that day, not on it: it may recall an event up to ``lookback_days`` earlier
without widening it, beyond the window only by its victim's key or on evidence that
reaches ``lookback_threshold`` (:func:`reach`, :func:`recalls`). An event that these keys
do not place (most reports of
violence name no actor the knowledge base knows) is scored against the candidate events
that share evidence with it, :func:`evidence` and :func:`score` (a named victim, rare name
words of its sentence, the place, objects, compatible coded actors; differing coded actors
veto), and joins the best one whose score reaches ``match_threshold``.

A new event joins the compatible cluster whose date interval is nearest (ties: the
earliest cluster), else the best-scoring one; otherwise it founds a new cluster whose id
is its own id. A cluster's
interval grows to cover its members. An event of an article linked as a copy joins the
cluster of its twin in the original instead, whatever its key (the two levels work
together: a re-published story never counts as a second event). The thresholds live in
:class:`DedupConfig`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Protocol

from .records import Article, Entity, Event

if TYPE_CHECKING:
    import numpy as np

MINHASH_SCHEME = "affine32"
"""datasketch's hashing scheme (:func:`signature` computes its values); stored signatures
are only comparable within one scheme."""

FINE_PRECISIONS = frozenset({"day", "week", "unknown"})
"""Date precisions whose interval may widen a cluster's interval."""

PRECISION_DAYS = {"day": 0, "week": 6, "month": 30, "year": 364, "decade": 3652,
                  "unknown": 0}


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Thresholds of the dedup stage (CLI: ``detente ingest --dedup-window`` ...)."""

    window_days: int = 3
    """Largest gap between two reports' date intervals for them to be one event."""
    max_span_days: int = 7
    """Longest an event's date interval may grow by taking in day- or week-dated reports
    (without it, reports a few days apart chain into month-long "events")."""
    near_threshold: float = 0.5
    """Estimated Jaccard similarity of body shingles from which two articles are copies
    (0.5: on the dedup gold set, every re-publication found, none wrongly; docs/dedup.md)."""
    num_perm: int = 64
    """MinHash permutations (more: better estimates, more memory)."""
    shingle: int = 5
    """Words per shingle."""
    min_words: int = 20
    """Articles shorter than this are only deduplicated exactly."""
    lookback_days: int = 10
    """How far before its publication an event mention with no date of its own (dated by
    its publication, or a past narration whose day is unknown) may lie: it happened on or
    before that day ("after the murder of Senator X ..."), so it may join an earlier event
    up to this many days (plus the window) back, without widening it; beyond the window
    of its publication date it needs :attr:`lookback_threshold` (a named victim joins by
    its key)."""
    lookback_threshold: float = 0.9
    """Evidence score (:data:`EVIDENCE_WEIGHTS`, coded actors not counted) that a mention
    with no date of its own needs to join an event that lies before its publication date
    by more than the window (above 1.5: only by a named victim's key)."""
    victim_key: bool = True
    """An event naming a particular victim is identified by its type and victims alone
    (whoever the report says did it)."""
    match_threshold: float = 0.6
    """Evidence score (:data:`EVIDENCE_WEIGHTS`) from which a mention that its actors do
    not place in an event joins one anyway (above 1.5: never)."""
    max_term_clusters: int = 2
    """A name word shared by more events of the type than this around a mention's dates
    is too common to be evidence there."""
    max_term_share: float = 0.02
    """A name word found in more than this share of all events (and in more than
    ``min_common`` of them) is too common to be evidence anywhere ("Colombian",
    "National", "Carlos")."""
    min_common: int = 5


# -- articles ---------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def body_hash(text: str) -> str:
    """Hash of the normalised body alone (case and whitespace folded)."""
    norm = " ".join(_WORD.findall(text.lower()))
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:20]


def signature(text: str, *, config: DedupConfig = DedupConfig()) -> np.ndarray | None:
    """MinHash signature of the body's word shingles; ``None`` for very short texts.

    The values are those of datasketch's ``MinHash(num_perm, seed=1, scheme="affine32")``
    updated with the shingles (SHA-1 of each shingle, first 4 bytes little-endian, mixed
    by the MurmurHash3 finalizer, then ``a * h + b`` modulo 2**32 per permutation), bit
    for bit (``tests/test_minhash.py`` checks it against datasketch), computed here so
    that ingest does not import datasketch and, through it, scipy (about 0.3 s of
    start-up per run)."""
    import numpy as np

    words = _WORD.findall(text.lower())
    if len(words) < config.min_words:
        return None
    k = config.shingle
    shingles = {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}
    a, b = _permutations(config.num_perm)
    if not shingles:
        return np.full(config.num_perm, _MAX_U32, dtype=np.uint64)
    sha1 = hashlib.sha1
    digests = b"".join([sha1(sh.encode("utf-8")).digest()[:4] for sh in shingles])
    hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
    values = (hv[:, None] * a + b).min(axis=0)
    return values.astype(np.uint64)


_MAX_U32 = (1 << 32) - 1


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer, element-wise (uint32 arithmetic wraps)."""
    import numpy as np

    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


@cache
def _permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``affine32`` permutations ``(a, b)`` of datasketch's MinHash with ``seed``:
    odd multipliers and offsets drawn from ``numpy.random.RandomState(seed)``."""
    import numpy as np

    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@cache
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands ``b`` and rows per band ``r`` (``b * r <= num_perm``) that minimise the sum of
    the false-positive and false-negative areas of the banding curve at ``threshold``,
    weighted equally: the parameters datasketch's ``MinHashLSH(threshold, num_perm)``
    chooses (it integrates with ``scipy.integrate.quad``; the curve is a polynomial of
    degree ``b * r <= num_perm``, which Gauss-Legendre quadrature with
    ``num_perm // 2 + 1`` nodes integrates exactly). Raises ``ValueError`` as datasketch
    does when fewer than two bands are best."""
    import numpy as np
    from numpy.polynomial.legendre import leggauss

    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0.0, 1.0]")
    if num_perm < 2:
        raise ValueError("Too few permutation functions")
    x, w = leggauss(num_perm // 2 + 1)
    lo_s, lo_w = (x + 1) * (threshold / 2), w * (threshold / 2)
    hi_s, hi_w = threshold + (x + 1) * ((1 - threshold) / 2), w * ((1 - threshold) / 2)
    best, opt = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = float(np.dot(lo_w, 1 - (1 - lo_s ** float(rows)) ** float(bands)))
            fn = float(np.dot(hi_w, (1 - hi_s ** float(rows)) ** float(bands)))
            error = fp * 0.5 + fn * 0.5
            if error < best:
                best, opt = error, (bands, rows)
    if opt[0] < 2:
        raise ValueError("The number of bands are too small (b < 2)")
    return opt


@dataclass(frozen=True, slots=True)
class ArticleLink:
    article_id: str
    duplicate_of: str
    kind: str
    """``exact-body`` or ``near``."""
    similarity: float


class ArticleIndex:
    """Near-duplicate lookup over article bodies, filled from the store and kept current.

    Exact copies are found by body hash; near-copies by MinHash signatures with the LSH
    banding of datasketch's ``MinHashLSH`` for the same threshold and permutations (its
    ``b`` bands of ``r`` values, :func:`lsh_bands`): an earlier article is a candidate when
    one band of its signature equals the new article's, and a link when the estimated
    Jaccard similarity reaches ``near_threshold``.

    The index is compact, because it lives as long as an ingest run and grows with the
    store: signatures are rows of one ``uint32`` matrix, the band tables sorted ``int64``
    arrays of band hashes (each hit is checked against the signature itself, so a hash
    collision never makes a candidate), about 0.6 KB per article in all. An exact copy of
    an indexed body takes no row (its signature is the first's): the first's row stands for
    all of them, and only its tie-break id (the largest id of the copies) is kept, so links
    are the same as with a row per copy and a store of wire copies costs little.
    """

    _MIN_MERGE = 4096

    def __init__(self, config: DedupConfig = DedupConfig()) -> None:
        import numpy as np

        self.config = config
        bands, rows = lsh_bands(config.near_threshold, config.num_perm)
        self._ranges: list[tuple[int, int]] = [(i * rows, (i + 1) * rows)
                                               for i in range(bands)]
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._sigs = np.zeros((0, config.num_perm), dtype=np.uint32)
        self._signed = np.zeros(0, dtype=bool)
        self._bodies: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        """Article id -> the article it copies (only for copies that are the first of their
        body or have a row: no other is ever looked up)."""
        self._tie: dict[int, str] = {}
        """Row -> the largest id among the row's article and its exact copies (which take
        no row), where larger than the row's own: the id a near link's tie-break compares."""
        self._keys = [np.zeros(0, dtype=np.int64) for _ in self._ranges]
        self._rows = [np.zeros(0, dtype=np.int32) for _ in self._ranges]
        self._pending: list[dict[int, list[int]]] = [{} for _ in self._ranges]
        self._n_pending = 0

    def __len__(self) -> int:
        return len(self._bodies)

    def _band_keys(self, sig: np.ndarray) -> list[int]:
        return [hash(sig[a:b].tobytes()) for a, b in self._ranges]

    def _grow(self, need: int) -> None:
        import numpy as np

        cap = len(self._signed)
        if need <= cap:
            return
        new = max(need, cap + cap // 2, 1024)
        sigs = np.zeros((new, self.config.num_perm), dtype=np.uint32)
        sigs[:cap] = self._sigs
        signed = np.zeros(new, dtype=bool)
        signed[:cap] = self._signed
        self._sigs, self._signed = sigs, signed

    def _merge(self) -> None:
        import numpy as np

        for i, pend in enumerate(self._pending):
            if not pend:
                continue
            keys = np.fromiter((k for k, rows in pend.items() for _ in rows), dtype=np.int64)
            rows = np.fromiter((r for rs in pend.values() for r in rs), dtype=np.int32)
            keys = np.concatenate([self._keys[i], keys])
            rows = np.concatenate([self._rows[i], rows])
            order = np.argsort(keys, kind="stable")
            self._keys[i], self._rows[i] = keys[order], rows[order]
            self._pending[i] = {}
        self._n_pending = 0

    def add(self, article_id: str, bhash: str, sig: np.ndarray | None,
            canonical: str | None = None) -> None:
        first = self._bodies.setdefault(bhash, article_id)
        row = self._row.get(first)
        if (first != article_id and article_id not in self._row
                and (row is not None or sig is None)):  # an exact copy: first's row stands
            if row is not None and article_id > self._tie.get(row, first):
                self._tie[row] = article_id
            return
        if canonical and canonical != article_id:
            self._canonical[article_id] = canonical
        else:
            self._canonical.pop(article_id, None)
        if sig is None or article_id in self._row:
            return
        values = self._as_u32(sig)
        row = len(self._ids)
        self._ids.append(article_id)
        self._row[article_id] = row
        self._grow(row + 1)
        self._sigs[row] = values
        self._signed[row] = True
        for pend, key in zip(self._pending, self._band_keys(values), strict=True):
            pend.setdefault(key, []).append(row)
        self._n_pending += 1
        if self._n_pending >= max(self._MIN_MERGE, len(self._keys[0]) // 8):
            self._merge()

    @staticmethod
    def _as_u32(sig: np.ndarray) -> np.ndarray:
        import numpy as np

        if sig.dtype != np.uint32:
            if sig.size and int(sig.max()) >= 1 << 32:
                raise ValueError("MinHash values do not fit 32 bits; use the affine32 scheme")
            sig = sig.astype(np.uint32)
        return sig

    def _candidates(self, values: np.ndarray) -> set[int]:
        import numpy as np

        found: set[int] = set()
        for i, key in enumerate(self._band_keys(values)):
            a, b = self._ranges[i]
            rows = list(self._pending[i].get(key, ()))
            keys = self._keys[i]
            lo = int(np.searchsorted(keys, key, side="left"))
            hi = int(np.searchsorted(keys, key, side="right"))
            rows.extend(int(r) for r in self._rows[i][lo:hi])
            for r in rows:
                if r not in found and np.array_equal(self._sigs[r, a:b], values[a:b]):
                    found.add(r)
        return found

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
            values = self._as_u32(sig)
            best, best_sim, best_row = None, 0.0, -1
            for row in self._candidates(values):
                if self._ids[row] == article.id:
                    continue
                cand = self._tie.get(row, self._ids[row])
                sim = float((self._sigs[row] == values).mean())
                if sim >= self.config.near_threshold and (sim, cand) > (best_sim, best or ""):
                    best, best_sim, best_row = cand, sim, row
            if best is not None:  # a row's copies share the canonical of its own article
                first = self._ids[best_row]
                link = ArticleLink(article.id, self._canonical.get(first, first), "near",
                                   best_sim)
        self.add(article.id, bhash, sig, link.duplicate_of if link else None)
        return link, bhash, sig


# -- events -----------------------------------------------------------------------------


def identity(ent: Entity) -> str | None:
    """What identifies an actor across reports: its code with its sector (``USA/GOV``,
    the CAMEO actor; for an armed or political group also the group, ``COL/REB/farc``),
    else its name when it has one (``~valdemar franklin quintero``, a person the knowledge
    base does not know); ``None`` for a bare role ("officials", "troops" with no country),
    which identifies nothing."""
    if ent.code:
        code = f"{ent.code}/{ent.sector}" if ent.sector else ent.code
        kind, _, key = ent.kb_key.partition(":")
        # groups share their country and sector (FARC, ELN: COL/REB); keep them apart
        return f"{code}/{key}" if kind == "groups" and key else code
    name = " ".join(_WORD.findall(ent.name.lower()))
    return f"~{name}" if name else None


SPECIFIC_KINDS = frozenset({"people", "offices"})
"""Knowledge files whose entries name one particular person."""


def _specific(ent: Entity) -> bool:
    """A named person (or another named actor the knowledge base does not know), not a
    country, a group that acts often (ELN attacked ...), or a bare role."""
    if not ent.code:
        return bool(identity(ent))
    return ent.kb_key.split(":", 1)[0] in SPECIFIC_KINDS


def _side(ents: Iterable[Entity]) -> tuple[str, ...]:
    return tuple(sorted({i for i in map(identity, ents) if i}))


def _place(e: Event) -> str:
    loc = e.location
    if loc is None:
        return ""
    return " ".join(_WORD.findall((loc.name or loc.text).lower()))


def blocking_key(e: Event, config: DedupConfig = DedupConfig()) -> str:
    """Events that may be one real-world event share this key.

    It holds the event type, the identities of both sides (:func:`identity`; for CONSULT,
    whose participants PLOVER lists together, one set) and the factuality. An event with
    one side unknown and no named person as its recipient ("Senator X was shot" names
    its victim; "the ELN attacked" or "the Prime Minister urged" do not identify one
    event) also needs an anchor, its place or an object, in the key
    ("troops attacked a village" is one event only with the same village). An event that
    identifies nothing (both sides unknown, or one side unknown and neither a named actor
    nor an anchor) gets a key of its own: it is never merged with another report, except
    as the copy of an article (:meth:`EventClusterer.assign_batch`).
    """
    actors, recips = _side(e.actor), _side(e.recipient)
    f = e.factuality
    fact = ("N" if f.negated else "") + ("H" if f.hypothetical else "")
    if config.victim_key and _named_victims(e):
        return f"{e.event_type}|*|{','.join(_named_victims(e))}||{fact}"
    if e.event_type == "CONSULT":
        actors, recips = tuple(sorted(set(actors) | set(recips))), ()
        one_sided = len(actors) < 2
    else:
        one_sided = not actors or not recips
    anchor = ""
    # a named victim or target identifies an event ("Senator X was shot"); a named actor
    # does not ("the Prime Minister urged ..." happens every day)
    needs_anchor = one_sided and not (
        e.event_type != "CONSULT" and any(map(_specific, e.recipient)))
    if needs_anchor:
        place = _place(e)
        objects = sorted({o.name for o in e.objects if o.name})
        anchor = f"@{place}" if place else f"#{objects[0]}" if objects else ""
    if not (actors or recips) or (needs_anchor and not anchor):
        return f"solo|{e.id}"
    return f"{e.event_type}|{','.join(actors)}|{','.join(recips)}|{anchor}|{fact}"


def _named_victims(e: Event) -> tuple[str, ...]:
    """The particular persons an event names as its recipients (not for CONSULT)."""
    if e.event_type == "CONSULT":
        return ()
    return tuple(sorted({i for r in e.recipient if _specific(r) and (i := identity(r))}))


def interval(e: Event) -> tuple[date, date]:
    return e.date, e.date + timedelta(days=PRECISION_DAYS.get(e.date_precision, 0))


def undated(e: Event) -> bool:
    """Whether a mention has no date of its own: dated by its publication, or a past
    narration whose day is unknown. It happened on or before that date, not on it."""
    return e.date_basis == "publication" or e.date_precision == "unknown"


def _looks_back(e: Event, config: DedupConfig) -> bool:
    """A mention with no date of its own may recall an earlier event ("after the murder
    of Senator X ...")."""
    return config.lookback_days > 0 and undated(e)


def reach(e: Event, config: DedupConfig) -> tuple[date, date]:
    """The dates an event may lie in: its interval, reaching ``lookback_days`` back for a
    mention with no date of its own (:func:`undated`)."""
    lo, hi = interval(e)
    if _looks_back(e, config):
        lo -= timedelta(days=config.lookback_days)
    return lo, hi


def recalls(e: Event, c: Cluster, config: DedupConfig) -> bool:
    """Whether event ``c`` lies within ``e``'s reach only by its look-back: more than the
    window before the mention's own date (such a match needs stronger evidence)."""
    return _gap(interval(e), (c.date_lo, c.date_hi)) > config.window_days


def _widens(e: Event, config: DedupConfig) -> bool:
    """Whether a mention's dates may widen its event's interval."""
    return e.date_precision in FINE_PRECISIONS and not _looks_back(e, config)


EVIDENCE_WEIGHTS = {"v": 0.6, "s": 0.6, "t": 0.3, "p": 0.3, "o": 0.2, "r": 0.15, "a": 0.3,
                    "c": 0.3}
"""What each kind of shared evidence adds to the score of a mention against an event:
``v`` a named victim, ``s`` a named victim's surname (one of the two last words of the
name: "Galan" and "Luis Carlos Galan Sarmiento"; :func:`_surnames`; the name as reports
shorten it, so it weighs as much, and the same word is not counted again as ``t``),
``t`` a rare name word (per word, at most two counted), ``p`` the place, ``o`` an
object, ``r`` the victims' role ("priests"), ``a`` a coded actor, ``c`` a coded
recipient. A mention whose coded actors (or recipients) share none with the
event's scores 0."""

BLOCKING_KINDS = frozenset({"v", "s", "t", "p", "o"})
"""Evidence kinds through which candidate events are looked up."""

MAX_EVIDENCE = 64
"""At most this many evidence signals are kept per event (the first ones seen)."""

_CAP_WORD = re.compile(r"^[A-Z][a-z]{3,}$")
_DATE_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "june july august september october november december".split())
"""Capitalised words that name a date, not a participant (dates are compared apart)."""
_STRIP = ".,;:!?\"'()[]{}«»“”‘’-"


def _name_words(text: str) -> set[str]:
    """Capitalised words of a text that are not the first word of a line or sentence
    (names of people, places, organisations as the sentence writes them)."""
    out: set[str] = set()
    for line in text.splitlines():
        first = True
        for tok in line.split():
            word = tok.strip(_STRIP)
            if not first and _CAP_WORD.match(word) and word.lower() not in _DATE_WORDS:
                out.add(word.lower())
            first = tok.endswith((".", "!", "?", ":")) and not tok.endswith("..")
            first = first or not word
    return out


def _surnames(victim: str) -> tuple[str, ...]:
    """The words of a named victim's identity (``~luis carlos galan sarmiento``) that may
    be its surname, as another report may shorten the name: the last word, and the one
    before it when the name has four words or more (Spanish names carry two surnames:
    "Luis Carlos Galan Sarmiento"); words of four letters or more only."""
    if not victim.startswith("~"):
        return ()
    words = victim[1:].split()
    picks = words[-2:] if len(words) >= 4 else words[-1:]
    return tuple(w for w in picks if len(w) > 3)


def evidence(e: Event) -> frozenset[str]:
    """What an event says beyond its actor codes, as signals ``TYPE|FACT|kind:value``:
    its named victims (``v``), name words of its sentence and of unknown actors (``t``),
    its place (``p``: GeoNames id, else admin area, else name), its objects (``o``), the
    role of unnamed victims (``r``: "priests") and its coded actors (``a``)."""
    f = e.factuality
    pre = f"{e.event_type}|{'N' if f.negated else ''}{'H' if f.hypothetical else ''}|"
    victims = _named_victims(e)
    out = {f"v:{v}" for v in victims}
    out |= {f"s:{w}" for v in victims for w in _surnames(v)}
    words = _name_words(e.evidence.sentence)
    for ent in (*e.actor, *e.recipient):
        if not ent.code and ent.name:
            words |= {w for w in _WORD.findall(ent.name.lower()) if len(w) > 3}
    out |= {f"t:{w}" for w in words}
    loc = e.location
    if loc is not None:
        if loc.geonameid:
            out.add(f"p:g{loc.geonameid}")
        elif loc.admin1 and loc.country:
            out.add(f"p:{loc.country}.{loc.admin1}")
        elif _place(e):
            out.add(f"p:{_place(e)}")
    out |= {f"o:{o.name}" for o in e.objects if o.name}
    for r in e.recipient:
        if not r.code and not r.name and r.text:
            heads = _WORD.findall(r.text.lower())
            if heads and len(heads[-1]) > 3:
                out.add(f"r:{heads[-1]}")
    out |= {f"a:{i}" for a in e.actor if a.code and (i := identity(a))}
    out |= {f"c:{i}" for r in e.recipient if r.code and (i := identity(r))}
    return frozenset(pre + s for s in sorted(out, key=_priority)[:MAX_EVIDENCE])


_PRIORITY = {"v": 0, "s": 0, "p": 1, "o": 2, "a": 3, "c": 3, "r": 4, "t": 5}


def _priority(signal: str) -> tuple[int, str]:
    """Order in which signals are kept when there are too many: victims, place, objects,
    actors, roles, then name words."""
    kind = signal.rsplit("|", 1)[-1][:1]
    return _PRIORITY.get(kind, 9), signal


def _kind(signal: str) -> str:
    return signal.rsplit("|", 1)[1][:1]


def blocking(signal: str) -> bool:
    """Whether an evidence signal is of a kind through which events are looked up
    (:data:`BLOCKING_KINDS`)."""
    return _kind(signal) in BLOCKING_KINDS


def _same_actor(a: str, b: str) -> bool:
    """Whether two actor identities may be one actor: equal, or one a more precise form
    of the other (``RUS`` and ``RUS/MIL``)."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def score(mine: frozenset[str], theirs: frozenset[str],
          common: frozenset[str] = frozenset(), *, actors: bool = True) -> float:
    """Evidence score of a mention (signals ``mine``) against an event (``theirs``);
    ``common`` name words do not count (:data:`EVIDENCE_WEIGHTS`). Without ``actors``,
    coded actors that agree add nothing (those that differ still give 0): what a
    recollection needs is evidence of the particular event, not of its usual actors."""
    shared = (mine & theirs) - common
    surnames = {x.rsplit("|", 1)[1][2:] for x in shared if _kind(x) == "s"}
    if surnames:  # a victim's surname is not counted again as a name word
        shared = frozenset(x for x in shared if not (
            _kind(x) == "t" and x.rsplit("|", 1)[1][2:] in surnames))
    kinds: dict[str, int] = {}
    for sig in shared:
        k = _kind(sig)
        if k not in ("a", "c"):
            kinds[k] = kinds.get(k, 0) + 1
    for side in ("a", "c"):
        ours = [x.rsplit("|", 1)[1][2:] for x in mine if _kind(x) == side]
        others = [x.rsplit("|", 1)[1][2:] for x in theirs if _kind(x) == side]
        if ours and others:
            if not any(_same_actor(x, y) for x in ours for y in others):
                return 0.0  # known actors (recipients) differ: another event
            if actors:
                kinds[side] = 1
    return sum(EVIDENCE_WEIGHTS[k] * (min(n, 2) if k == "t" else 1)
               for k, n in kinds.items())


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
    evidence: frozenset[str] = frozenset()
    """Evidence signals of its mentions (:func:`evidence`), to match unidentified ones."""
    new_members: list[str] = field(default_factory=list)
    dirty: bool = False
    indexed: frozenset[str] = frozenset()
    """Evidence signals the store's lookup table (``dedup_signals``) already holds for it
    (its stored evidence); a write adds the others."""


def _gap(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days between two intervals (0 when they overlap)."""
    if a[1] < b[0]:
        return (b[0] - a[1]).days
    if b[1] < a[0]:
        return (a[0] - b[1]).days
    return 0


def compatible(e: Event, c: Cluster, config: DedupConfig) -> bool:
    if _gap(reach(e, config), (c.date_lo, c.date_hi)) > config.window_days:
        return False
    lo, hi = interval(e)
    if (_widens(e, config)
            and (max(hi, c.date_hi) - min(lo, c.date_lo)).days > config.max_span_days):
        return False  # no chains: daily reports of "the same kind of thing" stay apart
    if e.mode and c.modes and not set(e.mode) & c.modes:
        return False
    country = e.location.country if e.location else ""
    if country and c.country and country != c.country:
        return False
    objs = {o.name for o in e.objects}
    return not (objs and c.objects and not objs & c.objects)


@dataclass(frozen=True, slots=True)
class StoredMention:
    """An event of a stored article with its cluster (to place the events of a copy)."""

    article_id: str
    event_type: str
    trigger: str
    sentence: str
    cluster: Cluster


class ClusterSource(Protocol):
    """Where existing clusters come from (the store)."""

    def candidate_clusters(self, keys: Sequence[tuple[str, date, date]],
                           signals: Sequence[tuple[str, date, date]] = ()) -> list[Cluster]:
        """Clusters that have the key of one of ``keys`` ``(key, lo, hi)``, or the evidence
        signal of one of ``signals`` ``(signal, lo, hi)``, and whose interval touches that
        entry's ``[lo, hi]``."""
        ...

    def article_mentions(self, article_ids: Sequence[str]) -> list[StoredMention]:
        """The clustered events of the given stored articles."""
        ...


def _signatures(event_type: str, trigger: str, sentence: str) -> tuple[tuple[str, ...], ...]:
    """How an event of a copy finds its twin in the original: same type, trigger and
    sentence; else same type and trigger."""
    t = trigger.lower()
    return ((event_type, t, " ".join(_WORD.findall(sentence.lower()))), (event_type, t))


class EventClusterer:
    """Assigns events to clusters, batch by batch, consulting the store for clusters made
    earlier. Memory holds only the current batch's clusters."""

    def __init__(self, source: ClusterSource | None,
                 config: DedupConfig = DedupConfig()) -> None:
        self.source = source
        self.config = config
        self._by_key: dict[str, dict[str, Cluster]] = {}
        self._by_id: dict[str, Cluster] = {}
        self._by_signal: dict[str, dict[str, Cluster]] = {}
        self._df: dict[str, int] = {}
        """Name word -> how many event mentions hold it (the store's and this run's)."""
        self._n = 0
        """How many event mentions hold name words."""
        self._new_df: dict[str, int] = {}
        self._counted = False
        """Whether the store's counts were read (at the first batch with a source)."""

    def _common(self, sig: str, more: int = 0) -> bool:
        """Whether name word ``sig`` is too common to count as evidence; with ``more``,
        whether it stays so while ``more`` mentions are still to be counted (its count can
        only grow, the limit by at most the share of those mentions)."""
        word = sig.rsplit("|", 1)[1][2:]
        limit = max(self.config.min_common,
                    self.config.max_term_share * (self._n + more))
        return self._df.get(word, 0) > limit

    def _count(self, signals: Iterable[str]) -> None:
        words = {x.rsplit("|", 1)[1][2:] for x in signals if _kind(x) == "t"}
        if not words:
            return
        self._n += 1
        words.add("")  # "" counts the mentions with name words
        for w in words:
            if w:
                self._df[w] = self._df.get(w, 0) + 1
            self._new_df[w] = self._new_df.get(w, 0) + 1

    def take_terms(self) -> dict[str, int]:
        """Name-word mention counts added since the last call (to store with the batch;
        ``""`` counts the mentions)."""
        out, self._new_df = self._new_df, {}
        return out

    def _track(self, c: Cluster) -> Cluster:
        """The one object for cluster ``c.id`` in this batch."""
        known = self._by_id.setdefault(c.id, c)
        self._by_key.setdefault(known.key, {})[known.id] = known
        self._index(known, known.evidence)
        return known

    def _index(self, c: Cluster, signals: Iterable[str]) -> None:
        for sig in signals:
            if _kind(sig) in BLOCKING_KINDS:
                self._by_signal.setdefault(sig, {})[c.id] = c

    def _recollection(self, mine: frozenset[str], c: Cluster,
                      common: frozenset[str] = frozenset()) -> bool:
        """Whether a mention with no date of its own has the evidence to join event ``c``
        that lies before its publication by more than the window."""
        common = common | frozenset(x for x in mine if _kind(x) == "t" and self._common(x))
        return (score(mine, c.evidence, common, actors=False) + 1e-9
                >= self.config.lookback_threshold)

    def _by_evidence(self, e: Event, mine: frozenset[str]) -> Cluster | None:
        """The compatible event with the best evidence score reaching the threshold."""
        if self.config.match_threshold > 1.5:
            return None
        span = reach(e, self.config)
        found: dict[str, Cluster] = {}
        common: set[str] = set()
        for sig in mine:
            if _kind(sig) not in BLOCKING_KINDS:
                continue
            near = [c for c in self._by_signal.get(sig, {}).values()
                    if _gap(span, (c.date_lo, c.date_hi)) <= self.config.window_days]
            if _kind(sig) == "t" and (len(near) > self.config.max_term_clusters
                                      or self._common(sig)):
                common.add(sig)  # a word many events share says nothing
                continue
            found.update((c.id, c) for c in near)
        best: Cluster | None = None
        best_rank: tuple[float, int, date, str] | None = None
        for c in found.values():
            if not compatible(e, c, self.config):
                continue
            sc = score(mine, c.evidence, frozenset(common))
            if sc + 1e-9 < self.config.match_threshold:
                continue
            if (recalls(e, c, self.config) and not _named_victims(e)
                    and not self._recollection(mine, c, frozenset(common))):
                continue
            rank = (-sc, _gap(span, (c.date_lo, c.date_hi)), c.date_lo, c.id)
            if best_rank is None or rank < best_rank:
                best, best_rank = c, rank
        return best

    def assign_batch(self, events: Sequence[Event],
                     copies: Mapping[str, str] | None = None) -> list[Cluster]:
        """Assign ``events``; returns the clusters they created or changed (with
        ``new_members``), to be written with the batch. Then forget them.

        ``copies`` maps the ids of articles linked as copies to their originals: an event
        of a copy joins the cluster of its twin in the original (same type and trigger,
        same sentence where it can), whatever its key, so a re-published story never
        counts as a second event. Events of copies without a twin are assigned as usual.
        """
        self._by_key, self._by_id, self._by_signal = {}, {}, {}
        counts = getattr(self.source, "term_counts", None)
        if not self._counted and counts is not None:
            n, df = counts()
            self._n += n
            for w, c in df.items():
                self._df[w] = self._df.get(w, 0) + c
            self._counted = True
        if not events:
            return []
        copies = dict(copies or {})
        if self.source is not None:
            keys, signals = self._lookups(events)
            for c in self.source.candidate_clusters(keys, signals):
                self._track(c)
        # original article -> signature -> its events' clusters, in text order
        twins: dict[str, dict[tuple[str, ...], list[Cluster]]] = {}
        originals = set(copies.values())
        if self.source is not None and originals:
            for m in self.source.article_mentions(sorted(originals)):
                found = twins.setdefault(m.article_id, {})
                for sig in _signatures(m.event_type, m.trigger, m.sentence):
                    found.setdefault(sig, []).append(self._track(m.cluster))
        later: list[Event] = []
        for e in events:
            if e.article_id in copies:
                later.append(e)
                continue
            c = self.assign(e)
            if e.article_id in originals:
                found = twins.setdefault(e.article_id, {})
                for sig in _signatures(e.event_type, e.evidence.trigger, e.evidence.sentence):
                    found.setdefault(sig, []).append(c)
        for e in sorted(later, key=lambda e: (e.article_id, e.evidence.sentence_index,
                                              e.evidence.trigger_start, e.id)):
            found = twins.get(copies[e.article_id], {})
            twin = None
            for sig in _signatures(e.event_type, e.evidence.trigger, e.evidence.sentence):
                if found.get(sig):
                    twin = found[sig].pop(0)
                    break
            self.assign(e, into=twin)
        changed = [c for c in self._by_id.values() if c.dirty]
        self._by_key, self._by_id, self._by_signal = {}, {}, {}
        return changed

    def _lookups(self, events: Sequence[Event]) -> tuple[list[tuple[str, date, date]],
                                                         list[tuple[str, date, date]]]:
        """What to look up in the store for ``events``: each event's key and blocking
        evidence signals, each with the event's own dates (:func:`reach`) widened by
        ``window_days``, as ``(key or signal, lo, hi)``; overlapping windows of one key or
        signal are merged.

        An event only ever joins, or counts as near, a cluster whose interval lies within
        ``window_days`` of its reach (:func:`compatible`, :meth:`_by_evidence`), so these
        windows find every stored cluster that the batch can touch: a stored cluster
        outside them can only come within reach by being widened by a mention of the
        batch, which needs it found first. Looking up each event around its own dates,
        not one interval over the whole batch, reads a few clusters per event instead of
        every cluster that shares a key or signal with the batch over its whole span.
        A name word that stays too common throughout the batch (:meth:`_common` with ``more``) is no
        evidence for any of its mentions, so it is not looked up (a cluster it alone would
        find could not be matched)."""
        pad = timedelta(days=self.config.window_days)
        keys: dict[str, list[tuple[date, date]]] = {}
        signals: dict[str, list[tuple[date, date]]] = {}
        for e in events:
            rlo, rhi = reach(e, self.config)
            window = (rlo - pad, rhi + pad)
            keys.setdefault(blocking_key(e, self.config), []).append(window)
            for sig in evidence(e):
                if _kind(sig) in BLOCKING_KINDS:
                    signals.setdefault(sig, []).append(window)
        for sig in [s for s in signals if _kind(s) == "t"]:
            if self._common(sig, len(events)):
                del signals[sig]
        return _merged(keys), _merged(signals)

    def assign(self, e: Event, *, into: Cluster | None = None) -> Cluster:
        """Put ``e`` into the nearest compatible cluster of its key (or ``into``), else
        into a new cluster of its own."""
        key = blocking_key(e, self.config)
        lo, hi = interval(e)
        rlo, rhi = reach(e, self.config)
        known = self._by_key.setdefault(key, {})
        best: Cluster | None = into
        best_rank: tuple[int, date, str] | None = None
        mine = evidence(e)
        victims = self.config.victim_key and bool(_named_victims(e))
        for c in known.values() if best is None else ():
            if compatible(e, c, self.config) and (
                    victims or not recalls(e, c, self.config)
                    or self._recollection(mine, c)):
                rank = (_gap((rlo, rhi), (c.date_lo, c.date_hi)), c.date_lo, c.id)
                if best_rank is None or rank < best_rank:
                    best, best_rank = c, rank
        if best is None:
            best = self._by_evidence(e, mine)
        self._count(mine)
        if best is None:
            best = self._track(Cluster(id=e.id, key=key, date_lo=lo, date_hi=hi))
        if _widens(e, self.config):
            # a report dated only to the month or year may join an event, but must not
            # stretch it over the month or year (and so swallow every later report)
            best.date_lo, best.date_hi = min(best.date_lo, lo), max(best.date_hi, hi)
        best.modes = best.modes | set(e.mode)
        if not best.country and e.location and e.location.country:
            best.country = e.location.country
        best.objects = best.objects | {o.name for o in e.objects}
        if len(best.evidence) < MAX_EVIDENCE:
            added = frozenset(sorted(mine - best.evidence, key=_priority)
                              [:MAX_EVIDENCE - len(best.evidence)])
            best.evidence = best.evidence | added
            self._index(best, added)
        best.new_members.append(e.id)
        best.dirty = True
        return best


def _merged(windows: Mapping[str, list[tuple[date, date]]]) -> list[tuple[str, date, date]]:
    """``(name, lo, hi)`` for each name and each union of its overlapping windows, in
    order."""
    out: list[tuple[str, date, date]] = []
    for name in sorted(windows):
        spans = sorted(windows[name])
        lo, hi = spans[0]
        for a, b in spans[1:]:
            if a > hi:
                out.append((name, lo, hi))
                lo = a
            hi = max(hi, b)
        out.append((name, lo, hi))
    return out


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
    copies: dict[str, str] = {}
    for art, evs in articles:
        link, bhash, sig = index.link(art)
        rows.append((art.id, bhash, sig.tobytes() if sig is not None else None,
                     link.duplicate_of if link else None, link.kind if link else None,
                     link.similarity if link else None, source_name(art)))
        if link is not None:
            copies[art.id] = link.duplicate_of
        events.extend(evs)
    events.sort(key=lambda e: (e.date, e.id))
    return rows, clusterer.assign_batch(events, copies)
