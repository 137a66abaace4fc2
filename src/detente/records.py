"""Typed, frozen records: the contract between pipeline stages.

Every stage takes and returns these records only. They are plain frozen dataclasses
(picklable, hashable where their fields are), so the same stage functions run in one
process, in worker processes or on a Dask cluster. spaCy objects never appear here.

Character offsets (``start``/``end``) are always offsets into ``Article.text``
(the body as stored), end-exclusive.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

DatePrecision = Literal["day", "week", "month", "year", "decade", "unknown"]
"""How precisely an event date is known. ``day`` means the exact day."""

DateBasis = Literal["text", "publication"]
"""``text``: resolved from a temporal expression; ``publication``: no expression
applied, the publication date was used."""


def content_hash(text: str, *, title: str = "", published: date | None = None) -> str:
    """The identity of an article: sha256 over its normalised title, date and body.

    Whitespace is collapsed so that re-wrapped copies of the same story are the same
    article. Returns 16 hex digits prefixed ``a`` (an article id).
    """
    norm = " ".join(text.split())
    key = "\x1f".join((" ".join(title.split()), published.isoformat() if published else "", norm))
    return "a" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Article:
    """One dated news report, as read by ``ingest``."""

    id: str
    published: date
    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    """Where it came from: a file path (with ``:line`` for JSONL/CSV rows) or a feed URL."""
    publisher: str = ""
    language: str = "en"
    external_id: str = ""
    """The id the input gave (a JSONL/CSV id field), kept for reference; identity is
    ``id``, the content hash."""


@dataclass(frozen=True, slots=True)
class Reject:
    """An input that could not become events; stored in the ``rejects`` table."""

    source: str
    stage: str
    """``ingest``, ``nlp``, ``actors``, ``events`` or ``store``."""
    code: str
    """The error code, e.g. ``E101``."""
    message: str
    article_id: str = ""
    excerpt: str = ""
    """The first few hundred characters of the raw input, so nothing is lost silently."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a parsed sentence (indices are sentence-relative)."""

    i: int
    text: str
    lemma: str
    pos: str
    tag: str
    dep: str
    head: int
    """Index of the syntactic head within the sentence; the root points at itself."""
    start: int
    """Character offset in the article text."""
    ent_type: str = ""
    ent_iob: str = ""
    """``B``, ``I``, ``O`` or empty."""
    morph: str = ""
    like_num: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True, slots=True)
class Span:
    """A token range ``[start, end)`` within a sentence, with a label."""

    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A parsed sentence. Offsets are article-relative."""

    index: int
    start: int
    end: int
    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Span, ...] = ()
    """Named-entity spans from the parser (token indices are sentence-relative)."""
    noun_chunks: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """What leaves the ``nlp`` stage: the article and its parsed sentences."""

    article: Article
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class Entity:
    """One actor entity, the PLOVER way.

    ``code`` is an ISO-3166 alpha-3 code, a PLOVER non-state code (IGO, NGO, ...) or an
    IGO's own code; ``sector`` a PLOVER sector code (GOV, MIL, ...) or empty.
    """

    code: str
    sector: str = ""
    name: str = ""
    """Canonical name (the knowledge-base entry's name)."""
    text: str = ""
    """Surface text as written in the article."""
    office: str = ""
    wikidata: str = ""
    kb_key: str = ""
    """Which knowledge entry produced this, ``file:key``; empty when none."""
    cameo: str = ""
    """The CAMEO-style actor code, e.g. ``USAGOV`` or ``IGOWSTNAT``."""
    start: int = -1
    end: int = -1
    """Character offsets of the surface text in the article; -1 when not from text."""

    @property
    def inferred(self) -> bool:
        """Not named in the text but inferred (an arms seller from the system's origin):
        its ``kb_key`` is ``inferred:<the knowledge entry it was inferred from>``."""
        return self.kb_key.startswith(INFERRED_PREFIX)


INFERRED_PREFIX = "inferred:"
"""``kb_key`` prefix of an entity inferred rather than read from the text."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A resolved actor mention in one sentence (output of ``actors``).

    A compound mention ("Hungarian and Romanian officials") carries several entities.
    """

    sentence: int
    token_start: int
    token_end: int
    """Token range ``[token_start, token_end)`` within the sentence."""
    start: int
    end: int
    """Character offsets in the article text."""
    text: str
    entities: tuple[Entity, ...]
    rule: str
    """How it was resolved: ``country-name``, ``descriptor+name``, ``coref-surname``..."""
    head: int = -1
    """Sentence-relative index of the mention's syntactic head token."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where an event happened (PLOVER location object)."""

    text: str
    name: str = ""
    country: str = ""
    """ISO-3166 alpha-3."""
    admin1: str = ""
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None
    feature: str = ""
    """``country``, ``admin1``, ``city``..."""


@dataclass(frozen=True, slots=True)
class EventObject:
    """A weapon system, platform or programme an event is about (S-400, F-35)."""

    text: str
    name: str
    category: str = ""
    origin: str = ""
    """ISO-3166 alpha-3 of the producing country."""
    kb_key: str = ""


@dataclass(frozen=True, slots=True)
class ObjectMention:
    """An object (weapon system, platform, programme) found in a sentence."""

    sentence: int
    token_start: int
    token_end: int
    start: int
    end: int
    object: EventObject


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in a sentence."""

    sentence: int
    token_start: int
    token_end: int
    start: int
    end: int
    place: Place


@dataclass(frozen=True, slots=True)
class Annotations:
    """What leaves the ``actors`` stage for one article."""

    mentions: tuple[Mention, ...] = ()
    objects: tuple[ObjectMention, ...] = ()
    places: tuple[PlaceMention, ...] = ()


@dataclass(frozen=True, slots=True)
class Factuality:
    """PLOVER's auxiliary modes, kept as fields."""

    negated: bool = False
    hypothetical: bool = False
    """Conditional, hypothetical or reported as possible."""
    future: bool = False
    historical: bool = False
    """The event happened well before the report (not news of the day)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The text an event was read from."""

    sentence: str
    sentence_index: int
    start: int
    end: int
    """Sentence offsets in the article text."""
    trigger: str = ""
    trigger_start: int = -1
    trigger_end: int = -1
    url: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One coded political event."""

    id: str
    article_id: str
    event_type: str
    """PLOVER event type, e.g. ``REQUEST``."""
    cameo: str
    """CAMEO code as a string (``"010"`` is not ``"10"``)."""
    goldstein: float
    quad_class: int
    """1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict (PLOVER quad
    of the event type)."""
    intensity: float
    """PLOVER intensity score of the event type (or event:mode)."""
    date: _dt.date
    date_precision: DatePrecision
    date_basis: DateBasis
    date_text: str
    """The temporal expression the date came from, or empty."""
    published: _dt.date
    actor: tuple[Entity, ...]
    recipient: tuple[Entity, ...]
    evidence: Evidence
    mode: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    objects: tuple[EventObject, ...] = ()
    location: Place | None = None
    factuality: Factuality = field(default_factory=Factuality)
    confidence: float = 0.5
    content: str = ""
    """What was requested, agreed, rejected... in a few words, when the text says."""
    coder: str = ""
    kb_version: str = ""


@dataclass(frozen=True, slots=True)
class CodedArticle:
    """One article with its events, ready for the store."""

    article: Article
    events: tuple[Event, ...]
    sentences: int = 0
