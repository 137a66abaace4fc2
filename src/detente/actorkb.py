"""Actor knowledge: countries, organisations, groups, sectors, people, offices, objects.

:func:`load_actor_kb` reads every knowledge file of the actor kinds from a list of
directories (packaged data first, then user directories: a later entry with the same key
replaces an earlier one), validates it, and indexes it for the ``actors`` stage.

The index is one dictionary keyed on *normalised* surface strings (lower case, diacritics
and curly quotes folded, whitespace collapsed), so the annotator looks up every token
n-gram of a sentence with one ``dict`` access instead of scanning names with regexes.
Each key maps to :class:`Hit` records that say what the string names and how strictly its
capitalisation must match ("Turkey" the country is not "turkey" the bird; "WHO" is not
"who"). Everything here is plain, picklable data.

Kinds and their fields (besides ``key`` and ``source``):

``countries``
    ``name``, ``iso2``, ``code`` (the code emitted: the key, or the parent state of a
    dependency), ``status``, ``names``, ``adjectives``, ``capitals`` (capital metonyms
    standing for the government), ``seats`` (``{name, sector}``: "the Kremlin" -> GOV).
``organisations``
    ``name``, ``code`` (PLOVER code: IGO, UNO, EUR, NGO...), ``cameo``, ``sector``,
    ``aliases`` (written as they appear: "NATO", "the United Nations"), ``collective``
    (words that refer back to it once it is named: "alliance", "bloc").
``groups``
    Named non-state groups and national institutions: ``name``, ``country``, ``sector``,
    ``cameo``, ``aliases``, ``periods`` (``{sector, start, end}``: dated changes of sector).
``sectors``
    ``name``, ``cameo`` (the CAMEO role code), ``cameo_also`` (other CAMEO role codes read
    as this sector when imported dictionaries are mapped: INS, SEP -> REB), ``titles``
    (person titles: "foreign minister"), ``words`` (group nouns: "troops"), ``weak``
    (titles that give way to a modifier's sector: "spokesman").
``people``
    ``name``, ``aliases``, ``country``, ``sector`` (when holding no office),
    ``surname_alone`` (whether the bare surname may name them), ``namesakes`` (keys of
    other, different people with the same full name or alias: a name may be shared only
    when one of the two entries lists the other here, their offices never fall on one
    day, and the shared name is then resolved by date, see :meth:`ActorKB.person_named`),
    ``terms``
    (``{office, sector, start, end, country, role, acting, checked, org}``; a missing end means
    still in office). ``role`` says which office it is for coverage and overlap checks
    (:data:`ROLE_CODES`: HOS head of state, HOG head of government, HSG both, FM foreign
    minister, DM defence minister, IOH head of an international organisation); ``acting``
    marks an acting or interim holder, who may overlap the suspended substantive one;
    ``org`` names the organisation (an ``organisations`` key) of an organisation's office.
    Dates may be partial, ``YYYY-MM`` or ``YYYY``, when only the month or year is sure: the
    term is then *certain* only outside the uncertain month or year (a start ``2005-03`` is
    certain from 2005-04-01, an end ``2005-03`` until 2005-02-28) and *possible* inside it.
    ``checked`` (only on an open term) is the last date the term is known to have run; after
    it the term is possible but no longer certain. :meth:`ActorKB.role_at` treats a person
    as in office only where certain; inside an uncertain window the role is ``uncertain``
    with an empty sector (neither GOV nor ELI).
``offices``
    Country-specific titles: ``title``, ``country``, ``sector``, ``office``.
``objects``, ``object-categories``
    Weapon systems, platforms, programmes and their categories: see
    :mod:`detente.objects`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .knowledge import DataFile, FieldSpec, Schema, find_files, read_data_file
from .objects import CATEGORY_SCHEMA, OBJECT_SCHEMA, ObjectCategory, ObjectEntry, index_objects

SECTOR_CODES = frozenset(
    [
        "COP", "GOV", "JUD", "LEG", "MIL", "PRM", "PTY", "REB", "SPY", "UAF", "UNK", "AGR",
        "BUS", "CRM", "CVL", "EDU", "ELI", "JRN", "LAB", "MED", "REF", "OPP", "PRE", "REL",
        "SOC",
    ]
)
"""PLOVER's 25 sectors."""

NONSTATE_CODES = frozenset({"IGO", "UNO", "EUR", "NGO", "ISM", "IMG", "MNC"})
"""PLOVER's non-state codes."""

MAX_PHRASE_TOKENS = 8
"""Longest phrase looked up, in whitespace-separated words of the normalised key."""

_STR = FieldSpec(str)
_REQ = FieldSpec(str, required=True)
_LIST = FieldSpec(list, item=str)
_DICTS = FieldSpec(list, item=dict)
_SECTOR = FieldSpec(str, choices=SECTOR_CODES)

SCHEMAS: dict[str, Schema] = {
    "countries": {
        "name": _REQ, "iso2": _STR, "code": _STR,
        "status": FieldSpec(str, choices=frozenset({"state", "dependency", "special"})),
        "names": _LIST, "adjectives": _LIST, "capitals": _LIST, "seats": _DICTS,
        "wikidata": _STR,
    },
    "organisations": {
        "name": _REQ, "code": FieldSpec(str, required=True), "cameo": _STR,
        "sector": _SECTOR, "aliases": _LIST, "collective": _LIST, "wikidata": _STR,
    },
    "groups": {
        "name": _REQ, "country": FieldSpec(str, required=True), "sector": _SECTOR,
        "cameo": _STR, "aliases": _LIST, "periods": _DICTS, "wikidata": _STR,
    },
    "sectors": {
        "name": _REQ, "cameo": _STR, "cameo_also": _LIST, "titles": _LIST, "words": _LIST,
        "weak": _LIST,
    },
    "people": {
        "name": _REQ, "aliases": _LIST, "country": FieldSpec(str, required=True),
        "sector": _SECTOR, "surname_alone": FieldSpec(bool), "terms": _DICTS,
        "wikidata": _STR, "namesakes": _LIST,
    },
    "offices": {
        "title": _REQ, "country": FieldSpec(str, required=True),
        "sector": FieldSpec(str, required=True, choices=SECTOR_CODES), "office": _STR,
    },
    "objects": OBJECT_SCHEMA,
    "object-categories": CATEGORY_SCHEMA,
}
"""Schema of each actor kind (``key`` and ``source`` are always required)."""

ACTOR_KINDS = tuple(SCHEMAS)

ROLE_CODES = frozenset({"HOS", "HOG", "HSG", "FM", "DM", "IOH"})
"""What a term's ``role`` may be: head of state, head of government, both, foreign
minister, defence minister, head of an international organisation."""


# -- normalisation ---------------------------------------------------------------------


_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
                       "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def fold(text: str) -> str:
    """Diacritics and typographic quotes folded, whitespace collapsed; case kept."""
    text = text.translate(_FOLD)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(text.split())


@lru_cache(maxsize=1 << 16)
def norm(text: str) -> str:
    """The lookup key of a surface string: :func:`fold` then lower case (memoised: the
    actors stage asks for the same words over and over)."""
    return fold(text).lower()


_SEP = "\x00"
_SPACES = re.compile(r"\s+")
"""Runs of whitespace: ``re``'s ``\\s`` is :meth:`str.isspace`, what :meth:`str.split` splits on."""


def fold_many(texts: Sequence[str]) -> list[str]:
    """:func:`fold` of each text, computed on all of them joined (a few C-level passes
    over one string instead of several calls per text: the gazetteer folds some 37,000
    names at load). Equal to ``[fold(t) for t in texts]``: the separator ``\\x00`` is
    neither whitespace nor a combining mark, blocks canonical reordering, and texts that
    contain it are folded one by one."""
    if not texts:
        return []
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [fold(t) for t in texts]
    s = joined
    for c, to in _FOLD.items():  # str.replace is a memchr pass; translate() is slower
        if chr(c) in s:
            s = s.replace(chr(c), str(to))
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s)
        for mark in [c for c in set(s) if unicodedata.combining(c)]:
            s = s.replace(mark, "")
    s = _SPACES.sub(" ", s).replace(" " + _SEP, _SEP).replace(_SEP + " ", _SEP).strip(" ")
    return s.split(_SEP)


def norm_many(texts: Sequence[str]) -> list[str]:
    """:func:`norm` of each text, in bulk (see :func:`fold_many`); lower case is applied
    to the joined string, where the separator ends a word as a string's end does (Greek
    final sigma)."""
    if not texts:
        return []
    out = _SEP.join(fold_many(texts)).lower().split(_SEP)
    return out if len(out) == len(texts) else [norm(t) for t in texts]


def case_ok(surface: str, forms: tuple[str, ...]) -> bool:
    """Whether ``surface`` is written like one of ``forms`` (folded).

    Accepts the exact form, the form with its first letter capitalised (sentence start:
    "The Kremlin"), and an all-capitals surface of a form longer than four characters
    (headlines: "TURKEY").
    """
    s = fold(surface)
    for f in forms:
        if s == f or s == f[:1].upper() + f[1:]:
            return True
        if len(f) > 4 and s.isupper() and s == f.upper():
            return True
    return False


# -- records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """What a normalised phrase names.

    ``feature``: ``country-name``, ``country-adjective``, ``capital``, ``seat``, ``igo``,
    ``group``, ``person``, ``office``, ``title``, ``word``, ``object``, ``imported`` (a
    name from an imported PETRARCH/TABARI actor dictionary, see
    :func:`detente.petrarch.with_imported`).
    ``ref``: the entry key in :attr:`ActorKB.entries` (``file-kind:key``), the person key,
    the sector code (titles and words) or the object key.
    """

    feature: str
    ref: str
    sector: str = ""
    forms: tuple[str, ...] = ()
    """Accepted spellings (folded, original case); empty means any case."""
    weak: bool = False
    plural: bool = False


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """A country, organisation, group, or office title, ready to become an Entity."""

    kb_key: str
    code: str
    name: str
    cameo: str = ""
    sector: str = ""
    office: str = ""
    kind: str = ""
    periods: tuple[tuple[str, date | None, date | None], ...] = ()
    """For groups: (sector, start, end) periods that override ``sector``."""
    dated: tuple[tuple[str, str, str, date | None, date | None], ...] = ()
    """For imported dictionary actors: (code, sector, cameo, start, end) periods (end
    exclusive) that override ``code``, ``sector`` and ``cameo``; an empty code means the
    name is no actor then (PETRARCH's ``---``)."""
    members: tuple[str, ...] = ()
    """For an imported name coded as several actors (PETRARCH's ``[FRO/BIL/SAM]``): the
    keys of its member entries in :attr:`ActorKB.entries`; the name stands for all of them
    (an actor each, as for "Hungary and Romania"). The entry's own fields are its first
    member's."""

    def sector_at(self, when: date | None) -> str:
        if when is not None:
            for sector, start, end in self.periods:
                if (start is None or start <= when) and (end is None or when < end):
                    return sector
        return self.sector

    def at(self, when: date | None) -> tuple[str, str, str]:
        """``(code, sector, cameo)`` on ``when``: the first dated period holding it, else
        the entry's own code, its sector at that date and its CAMEO code."""
        if when is not None:
            for code, sector, cameo, start, end in self.dated:
                if (start is None or start <= when) and (end is None or when < end):
                    return code, sector, cameo
        return self.code, self.sector_at(when), self.cameo


@dataclass(frozen=True, slots=True)
class Term:
    """One dated office of a person; ``end`` None means open (still in office).

    ``start`` is the earliest day the term may have begun and ``end`` the first day it has
    certainly ended. With partial dates or a ``checked`` open end, ``sure_from`` is the
    first day the term is certain and ``sure_until`` the first day it no longer is (None:
    the same as ``start`` / ``end``).
    """

    office: str
    sector: str
    code: str
    start: date | None
    end: date | None
    sure_from: date | None = None
    sure_until: date | None = None
    role: str = ""
    acting: bool = False
    org: str = ""
    """For an organisation's office: the ``organisations`` key (NATO, UN, EC, ...)."""

    def active(self, when: date) -> bool:
        """Certainly in office on ``when``."""
        sf = self.sure_from or self.start
        su = self.sure_until or self.end
        return (sf is None or sf <= when) and (su is None or when < su)

    def possible(self, when: date) -> bool:
        """Possibly in office on ``when`` (certain, or inside an uncertain window)."""
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    kb_key: str
    name: str
    code: str
    sector: str
    terms: tuple[Term, ...]
    surname_alone: bool = True
    wikidata: str = ""
    names: tuple[str, ...] = ()
    """The full name and aliases."""
    namesakes: tuple[str, ...] = ()
    """Keys of the different people who share a full name or alias with this one (both
    directions, whichever entry declared it)."""


@dataclass(frozen=True, slots=True)
class SectorInfo:
    code: str
    name: str
    cameo: str
    cameo_also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonRole:
    """A person resolved at a date: the code, sector and office they hold then."""

    code: str
    sector: str
    office: str
    former: bool = False
    uncertain: bool = False
    """Inside a term's uncertain boundary (partial date or past ``checked``): neither
    in office nor former for sure, so the sector is empty."""


@dataclass(frozen=True)
class ActorKB:
    """The indexed actor knowledge (plain data, picklable)."""

    phrases: dict[str, tuple[Hit, ...]] = field(default_factory=dict)
    entries: dict[str, ActorEntry] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    surnames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sectors: dict[str, SectorInfo] = field(default_factory=dict)
    objects: dict[str, ObjectEntry] = field(default_factory=dict)
    object_categories: dict[str, ObjectCategory] = field(default_factory=dict)
    collective: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Normalised collective word ("alliance") -> entry keys it may refer back to."""
    country_entries: dict[str, str] = field(default_factory=dict)
    """Emitted code (ISO3) -> entry key of the country, for building entities by code."""
    max_tokens: int = MAX_PHRASE_TOKENS
    _sorted_keys: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _prefix_memo: dict[str, bool] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)
    """The phrase keys in sorted order, for :meth:`has_prefix` (derived, not given)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sorted_keys", tuple(sorted(self.phrases)))

    # -- lookups ---------------------------------------------------------------------

    def lookup(self, surface: str, *, key: str | None = None) -> tuple[Hit, ...]:
        """Hits whose spelling matches ``surface`` (capitalisation checked); ``key`` is
        ``norm(surface)`` when the caller has it already."""
        hits = self.phrases.get(norm(surface) if key is None else key, ())
        return tuple(h for h in hits if not h.forms or case_ok(surface, h.forms))

    def has_prefix(self, key: str) -> bool:
        """Whether some phrase key starts with the normalised string ``key``.

        Lets a lookup stop growing a token span as soon as no phrase can match it (a
        binary search over the sorted keys, memoised for frequent words).
        """
        memo = self._prefix_memo
        found = memo.get(key)
        if found is None:
            keys = self._sorted_keys
            i = bisect_left(keys, key)
            found = i < len(keys) and keys[i].startswith(key)
            if not found and key.endswith("\u03c2"):
                # str.lower gives a word-final sigma its final form; a longer span would not
                found = self.has_prefix(key[:-1] + "\u03c3")
            if len(memo) >= 1 << 16:
                memo.clear()
            memo[key] = found
        return found

    def entry(self, kb_key: str) -> ActorEntry | None:
        return self.entries.get(kb_key)

    def actors_of(self, kb_key: str) -> tuple[ActorEntry, ...]:
        """The entries a name's entry stands for: its members, else itself (none when the
        key is unknown)."""
        entry = self.entries.get(kb_key)
        if entry is None:
            return ()
        if not entry.members:
            return (entry,)
        return tuple(m for k in entry.members if (m := self.entries.get(k)) is not None)

    def country(self, code: str) -> ActorEntry | None:
        """The country entry for an emitted ISO3 code."""
        key = self.country_entries.get(code)
        return self.entries.get(key) if key else None

    def sector_of(self, word: str) -> str:
        """The sector a role word or title signals ("troops" -> MIL), or ''."""
        for h in self.phrases.get(norm(word), ()):
            if h.feature in ("title", "word"):
                return h.sector
        return ""

    def cameo(self, code: str, sector: str = "") -> str:
        """A CAMEO-style actor code: ``USA`` + ``GOV`` -> ``USAGOV`` (PLOVER JRN -> MED)."""
        info = self.sectors.get(sector)
        role = info.cameo if info else ""
        if len(code) != 3:
            return code
        return code + role

    def person(self, key: str) -> Person | None:
        return self.people.get(key)

    def named(self, name: str) -> tuple[str, ...]:
        """Keys of the people a full name or alias names (any capitalisation); more than
        one only for declared ``namesakes``."""
        return tuple(h.ref for h in self.phrases.get(norm(name), ()) if h.feature == "person")

    def find_person(self, name: str, when: date | None = None) -> Person | None:
        """A person by full name or alias (any capitalisation). A name shared by
        namesakes is resolved at ``when`` (see :meth:`person_named`); without a date it
        names nobody."""
        return self.person_named(self.named(name), when)

    def person_named(self, keys: Sequence[str], when: date | None, title: str = ""
                     ) -> Person | None:
        """Which of the people ``keys`` (those one name names) is meant on ``when``.

        One key: that person. Namesakes: if ``title`` (the title written before the name,
        "former Prime Minister") names an office of only some of them, only those count.
        Then, in this order: the one in office that day; the one possibly in office
        (inside an uncertain boundary); the one who left office most recently before it
        (a former official); the one whose first office comes first. Load-time
        validation ensures namesakes never hold office on one day, so the first two are
        never a tie. Without a date (or when still tied): None.
        """
        people = [p for p in (self.people.get(k) for k in dict.fromkeys(keys)) if p]
        if len(people) > 1 and title:
            t = norm(title)
            titled = [p for p in people if any(t in norm(x.office) or norm(x.office) in t
                                               for x in p.terms)]
            people = titled or people
        if len(people) <= 1:
            return people[0] if people else None
        if when is None:
            return None
        for test in (lambda t: t.active(when), lambda t: t.possible(when)):
            now = [p for p in people if any(test(t) for t in p.terms)]
            if len(now) == 1:
                return now[0]
            if now:
                return None

        def last_end(p: Person) -> date:
            return max((t.end for t in p.terms if t.end is not None and t.end <= when),
                       default=date.min)

        def first_start(p: Person) -> date:
            return min((t.start for t in p.terms if t.start is not None), default=date.max)

        for rank in (lambda p: -last_end(p).toordinal(), lambda p: first_start(p).toordinal()):
            ranked = sorted(people, key=rank)
            if rank(ranked[0]) != rank(ranked[1]):
                return ranked[0]
        return None

    def namesake_at(self, person: Person, when: date, text: str) -> Person:
        """``person``, or the namesake that the bare name ``text`` means on ``when``.

        Only a mention that is just a shared name ("Andris Berzins") is re-resolved; a
        mention with a title ("former Prime Minister Andris Berzins") keeps the person
        its title chose.
        """
        if not person.namesakes or not any(norm(n) == norm(text) for n in person.names):
            return person
        return self.person_named(self.named(text), when) or person

    def by_surname(self, surname: str, when: date | None = None) -> Person | None:
        """The one person of that surname who may be named by it alone, if unambiguous.

        Only people with ``surname_alone`` count. With ``when``: if anyone of that surname
        (``surname_alone`` or not) is in office that day, the surname names them only when
        they are the one such person and may be named by surname; otherwise the unique
        ``surname_alone`` person (in office or not) is returned.
        """
        keys = self.surnames.get(norm(surname), ())
        if when is not None:
            now = [self.people[k] for k in keys if self.offices_at(k, when)]
            if now:
                return now[0] if len(now) == 1 and now[0].surname_alone else None
        cands = [self.people[k] for k in keys if self.people[k].surname_alone]
        return cands[0] if len(cands) == 1 else None

    def offices_at(self, person: Person | str, when: date) -> tuple[Term, ...]:
        """The terms a person holds on ``when`` (empty when none)."""
        p = self.people.get(person) if isinstance(person, str) else person
        if p is None:
            return ()
        return tuple(t for t in p.terms if t.active(when))

    def role_at(self, person: Person | str, when: date) -> PersonRole:
        """Code, sector and office of a person on ``when``.

        In office: the first active term. Inside an uncertain window of a term (see the
        module doc): empty sector, ``uncertain``. After an office: ELI ("former
        officials"). Before any office: the person's own ``sector`` (possibly empty).
        """
        p = self.people.get(person) if isinstance(person, str) else person
        if p is None:
            return PersonRole("", "", "")
        active = self.offices_at(p, when)
        if active:
            t = active[0]
            return PersonRole(t.code or p.code, t.sector, t.office)
        maybe = [t for t in p.terms if t.possible(when)]
        if maybe:
            return PersonRole(maybe[0].code or p.code, "", maybe[0].office, uncertain=True)
        past = [t for t in p.terms if t.end is not None and t.end <= when]
        if past:
            last = max(past, key=lambda t: t.end or date.min)
            return PersonRole(p.code, "ELI", last.office, former=True)
        return PersonRole(p.code, p.sector, "")


# -- loading ---------------------------------------------------------------------------


def _as_date(value: Any, label: str, key: str, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise KnowledgeError(label, key, f"'{name}' must be a date YYYY-MM-DD, got {value!r}")


def _as_span(value: Any, label: str, key: str, name: str) -> tuple[date, date] | None:
    """A full or partial date as (first possible day, first day after it).

    ``2005-03-14`` -> (2005-03-14, 2005-03-14); ``2005-03`` -> (2005-03-01, 2005-04-01);
    ``2005`` -> (2005-01-01, 2006-01-01).
    """
    if value is None:
        return None
    if isinstance(value, date):
        return value, value
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(text) == 4:
            y = int(text)
            return date(y, 1, 1), date(y + 1, 1, 1)
        if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2:
            y, m = int(parts[0]), int(parts[1])
            return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
        if len(parts) == 3:
            d = date.fromisoformat(text)
            return d, d
    except ValueError:
        pass
    raise KnowledgeError(label, key, f"'{name}' must be a date YYYY-MM-DD, YYYY-MM or YYYY, "
                         f"got {value!r}")


def _term(t: dict[str, Any], default_code: str, label: str, key: str,
          orgs: dict[str, str]) -> Term:
    """One validated :class:`Term` from a ``terms`` item (dates possibly partial).

    ``orgs`` maps organisation keys to their codes: a term with ``org`` and no ``country``
    takes the organisation's code.
    """
    start = _as_span(t.get("start"), label, key, "start")
    end = _as_span(t.get("end"), label, key, "end")
    checked = _as_span(t.get("checked"), label, key, "checked")
    if checked is not None and end is not None:
        raise KnowledgeError(label, key, f"term {t['office']!r} has both 'end' and 'checked' "
                             "('checked' dates an open term)")
    if start and end and (end[1] < start[0] or end[1] == start[0] and end[0] < end[1]):
        raise KnowledgeError(label, key, f"term {t['office']!r} ends before it starts")
    role = t.get("role") or ""
    if role and role not in ROLE_CODES:
        raise KnowledgeError(label, key, f"term {t['office']!r} has unknown role {role!r}; "
                             f"allowed: {sorted(ROLE_CODES)}")
    acting = t.get("acting", False)
    if not isinstance(acting, bool):
        raise KnowledgeError(label, key, f"term {t['office']!r}: 'acting' must be true/false")
    sure_from = start[1] if start and start[1] != start[0] else None
    sure_until: date | None = None
    if end and end[0] != end[1]:
        sure_until = end[0]
    elif checked:
        sure_until = checked[0] + timedelta(days=1)
    if start and sure_until and sure_until < (sure_from or start[0]):
        sure_until = sure_from or start[0]  # never certain: possible only
    org = t.get("org") or ""
    if org and org not in orgs:
        raise KnowledgeError(label, key, f"term {t['office']!r}: unknown organisation {org!r} "
                             "(an 'organisations' key)")
    code = t.get("country") or (orgs[org] if org else default_code)
    return Term(t["office"], t["sector"], code, start[0] if start else None,
                end[1] if end else None, sure_from=sure_from, sure_until=sure_until,
                role=role, acting=acting, org=org)


def _check_dicts(label: str, key: str, field_name: str, items: list[dict[str, Any]],
                 allowed: dict[str, bool]) -> None:
    for item in items:
        unknown = set(item) - set(allowed)
        if unknown:
            raise KnowledgeError(label, key, f"'{field_name}' item has unknown field(s) "
                                 f"{sorted(unknown)}; allowed: {sorted(allowed)}")
        for name, required in allowed.items():
            if required and item.get(name) in (None, ""):
                raise KnowledgeError(label, key, f"'{field_name}' item lacks '{name}'")
        sector = item.get("sector")
        if sector is not None and sector not in SECTOR_CODES:
            raise KnowledgeError(label, key, f"'{field_name}' has unknown sector {sector!r}")


def _merge(files: list[DataFile]) -> dict[str, tuple[DataFile, dict[str, Any]]]:
    merged: dict[str, tuple[DataFile, dict[str, Any]]] = {}
    for f in files:
        for e in f.entries:
            merged[e["key"]] = (f, e)
    return merged


class _Builder:
    def __init__(self) -> None:
        self.phrases: dict[str, list[Hit]] = {}
        self.collective: dict[str, list[str]] = {}
        self.max_tokens = 1

    def add(self, text: str, hit: Hit) -> None:
        key = norm(text)
        if not key:
            return
        hits = self.phrases.setdefault(key, [])
        if hit not in hits:
            hits.append(hit)
        self.max_tokens = max(self.max_tokens, len(key.split()))


def _forms(*texts: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fold(t) for t in texts))


def load_actor_kb(dirs: Sequence[Path]) -> tuple[ActorKB, list[DataFile]]:
    """Load and index the actor knowledge files found in ``dirs``.

    The files of one kind in one directory are merged (their keys must be unique across
    them); later directories override entries with the same key (per kind). Raises
    :class:`~detente.errors.KnowledgeError` naming ``file -> key: problem``.
    """
    files: dict[str, list[DataFile]] = {}
    all_files: list[DataFile] = []
    for kind, schema in SCHEMAS.items():
        for d in dirs:  # one directory is one layer: its files merge, keys unique across them
            owner: dict[str, str] = {}
            for path in find_files([d], kind):
                df = read_data_file(path, kind=kind, schema=schema)
                for e in df.entries:
                    other = owner.setdefault(e["key"], df.path)
                    if other != df.path:
                        raise KnowledgeError(df.path, e["key"], f"duplicate {kind} key: also "
                                             f"in {other} (keys are unique across the files "
                                             "of one directory)")
                files.setdefault(kind, []).append(df)
                all_files.append(df)
    kb = _index(files)
    return kb, all_files


def _check_namesakes(people: dict[str, Person], named: dict[str, list[str]],
                     raw: dict[str, tuple[DataFile, dict[str, Any]]]) -> dict[str, Person]:
    """Validate shared person names; return the people with ``namesakes`` filled in.

    Two entries may share a full name or alias only when one lists the other under
    ``namesakes`` (so a duplicate by mistake is caught), and namesakes must never hold
    office on one day (so the event date always tells them apart).
    """
    declared: dict[str, set[str]] = {k: set() for k in people}
    for key, (df, e) in raw.items():
        for other in e.get("namesakes") or []:
            if other == key or other not in people:
                raise KnowledgeError(df.path, key, f"'namesakes' names {other!r}, which is "
                                     + ("this entry itself" if other == key else
                                        "no people entry") + "; list the keys of other "
                                     "people with the same name")
            declared[key].add(other)
            declared[other].add(key)
    shared: dict[str, set[str]] = {k: set() for k in people}
    for phrase, owners in named.items():
        if len(owners) < 2:
            continue
        keys = sorted(owners)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if b not in declared[a]:
                    df = raw[b][0]
                    raise KnowledgeError(
                        df.path, b, f"the name {phrase!r} also names people entry {a!r} "
                        f"({raw[a][0].path}); if they are the same person, merge the two "
                        f"entries; if they are different people, add 'namesakes: [{a}]' to "
                        "this entry (the name is then resolved to the one in office at the "
                        "event date)")
                shared[a].add(b)
                shared[b].add(a)
                _check_apart(people[a], people[b], phrase, raw)
    for key, (df, e) in raw.items():
        for o in e.get("namesakes") or []:
            if o in shared[key]:
                continue
            raise KnowledgeError(df.path, key, f"'namesakes' names {o!r}, but the "
                                 "two entries share no full name or alias; remove it")
    return {k: (replace(p, namesakes=tuple(sorted(shared[k]))) if shared[k] else p)
            for k, p in people.items()}


def _check_apart(a: Person, b: Person, phrase: str,
                 raw: dict[str, tuple[DataFile, dict[str, Any]]]) -> None:
    """Namesakes must never (possibly) hold office on one day."""
    for ta in a.terms:
        for tb in b.terms:
            lo = max(ta.start or date.min, tb.start or date.min)
            hi = min(ta.end or date.max, tb.end or date.max)
            if lo < hi:
                df, _ = raw[b.key]
                raise KnowledgeError(
                    df.path, b.key, f"namesakes {a.key!r} and {b.key!r} (both {phrase!r}) "
                    f"may both hold office on {lo.isoformat()} ({ta.office!r}, "
                    f"{tb.office!r}), so the date cannot tell them apart; give one of them "
                    "a name or alias of their own and drop the shared one")


def _file_tag(df: DataFile) -> str:
    return Path(df.path).stem


def _index(files: dict[str, list[DataFile]]) -> ActorKB:
    b = _Builder()
    entries: dict[str, ActorEntry] = {}
    country_entries: dict[str, str] = {}

    # sectors first: cameo roles are needed for every other entry
    sectors: dict[str, SectorInfo] = {}
    for key, (df, e) in _merge(files.get("sectors", [])).items():
        if key not in SECTOR_CODES:
            raise KnowledgeError(df.path, key,
                                 f"not a PLOVER sector; known: {sorted(SECTOR_CODES)}")
        sectors[key] = SectorInfo(key, e["name"], e.get("cameo") or "",
                                  tuple(c.upper() for c in e.get("cameo_also") or ()))
        weak = {norm(w) for w in e.get("weak") or []}
        for t in e.get("titles") or []:
            b.add(t, Hit("title", key, key, (), norm(t) in weak))
        for w in e.get("words") or []:
            b.add(w, Hit("word", key, key, (), norm(w) in weak, plural=w.endswith("s")))

    def cameo(code: str, sector: str) -> str:
        info = sectors.get(sector)
        return code + (info.cameo if info else "") if len(code) == 3 else code

    for key, (df, e) in _merge(files.get("countries", [])).items():
        code = e.get("code") or key
        kb_key = f"{_file_tag(df)}:{key}"
        entries[kb_key] = ActorEntry(kb_key, code, e["name"], cameo=code, kind="country")
        if code == key:
            country_entries[code] = kb_key
        for n in [e["name"], *(e.get("names") or [])]:
            b.add(n, Hit("country-name", kb_key, "", _forms(n)))
        for a in e.get("adjectives") or []:
            b.add(a, Hit("country-adjective", kb_key, "", _forms(a)))
            if " " not in a and a[-1:] in ("n", "i") and a[:1].isupper():
                # the plural demonym names the people: "Libyans", "Iraqis"
                b.add(a + "s", Hit("country-name", kb_key, "", _forms(a + "s")))
        for c in e.get("capitals") or []:
            b.add(c, Hit("capital", kb_key, "GOV", _forms(c)))
        seats = e.get("seats") or []
        _check_dicts(df.path, key, "seats", seats, {"name": True, "sector": True})
        for s in seats:
            b.add(s["name"], Hit("seat", kb_key, s["sector"], _forms(s["name"])))

    for key, (df, e) in _merge(files.get("organisations", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        code = e["code"]
        entries[kb_key] = ActorEntry(kb_key, code, e["name"], cameo=e.get("cameo") or code,
                                     sector=e.get("sector") or "", kind="igo")
        for n in [e["name"], *(e.get("aliases") or [])]:
            b.add(n, Hit("igo", kb_key, e.get("sector") or "", _forms(n)))
        for c in e.get("collective") or []:
            b.collective.setdefault(norm(c), []).append(kb_key)

    for key, (df, e) in _merge(files.get("groups", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        periods = e.get("periods") or []
        _check_dicts(df.path, key, "periods", periods,
                     {"sector": True, "start": False, "end": False})
        per = tuple((p["sector"], _as_date(p.get("start"), df.path, key, "start"),
                     _as_date(p.get("end"), df.path, key, "end")) for p in periods)
        code = e["country"]
        sector = e.get("sector") or ""
        entries[kb_key] = ActorEntry(kb_key, code, e["name"],
                                     cameo=e.get("cameo") or cameo(code, sector),
                                     sector=sector, kind="group", periods=per)
        for n in [e["name"], *(e.get("aliases") or [])]:
            b.add(n, Hit("group", kb_key, sector, _forms(n)))

    for key, (df, e) in _merge(files.get("offices", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        code = e["country"]
        entries[kb_key] = ActorEntry(kb_key, code, e["title"], cameo=cameo(code, e["sector"]),
                                     sector=e["sector"], office=e.get("office") or e["title"],
                                     kind="office")
        b.add(e["title"], Hit("office", kb_key, e["sector"], ()))

    org_codes = {k: e["code"] for k, (_, e) in _merge(files.get("organisations", [])).items()}
    people: dict[str, Person] = {}
    surnames: dict[str, list[str]] = {}
    named: dict[str, list[str]] = {}
    for key, (df, e) in _merge(files.get("people", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        terms_raw = e.get("terms") or []
        _check_dicts(df.path, key, "terms", terms_raw,
                     {"office": True, "sector": True, "start": True, "end": False,
                      "country": False, "role": False, "acting": False, "checked": False,
                      "org": False})
        terms = [_term(t, e["country"], df.path, key, org_codes) for t in terms_raw]
        names = [e["name"], *(e.get("aliases") or [])]
        p = Person(key, kb_key, e["name"], e["country"], e.get("sector") or "", tuple(terms),
                   surname_alone=e.get("surname_alone") is not False,
                   wikidata=e.get("wikidata") or "", names=tuple(names))
        people[key] = p
        for n in names:
            b.add(n, Hit("person", key, "", _forms(n)))
            owners = named.setdefault(norm(n), [])
            if key not in owners:
                owners.append(key)
        sn = norm(e["name"].split()[-1])
        surnames.setdefault(sn, [])
        if key not in surnames[sn]:
            surnames[sn].append(key)
        for n in e.get("aliases") or []:
            if len(n.split()) == 1:  # a one-word alias is a surname spelling ("Erdoğan")
                lst = surnames.setdefault(norm(n), [])
                if key not in lst:
                    lst.append(key)

    people = _check_namesakes(people, named, _merge(files.get("people", [])))

    objects, object_categories = index_objects(
        _merge(files.get("objects", [])), _merge(files.get("object-categories", [])),
        countries=country_entries, add=b.add, tag=_file_tag, fold=fold, norm=norm)

    collective = {k: tuple(v) for k, v in b.collective.items()}
    return ActorKB(
        phrases={k: tuple(v) for k, v in b.phrases.items()},
        entries=entries,
        people=people,
        surnames={k: tuple(v) for k, v in surnames.items()},
        sectors=sectors,
        objects=objects,
        object_categories=object_categories,
        collective=collective,
        country_entries=country_entries,
        max_tokens=min(max(b.max_tokens, 1), MAX_PHRASE_TOKENS),
    )
