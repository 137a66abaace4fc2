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
    ``name``, ``cameo``, ``titles`` (person titles: "foreign minister"), ``words`` (group
    nouns: "troops"), ``weak`` (titles that give way to a modifier's sector: "spokesman").
``people``
    ``name``, ``aliases``, ``country``, ``sector`` (when holding no office),
    ``surname_alone`` (whether the bare surname may name them), ``terms``
    (``{office, sector, start, end, country}``; a missing end means still in office).
``offices``
    Country-specific titles: ``title``, ``country``, ``sector``, ``office``.
``objects``
    Weapon systems, platforms, programmes: ``name``, ``aliases``, ``origin``,
    ``category``, ``context`` (words one of which must be in the sentence).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .knowledge import DataFile, FieldSpec, Schema, find_files, read_data_file

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
        "name": _REQ, "cameo": _STR, "titles": _LIST, "words": _LIST, "weak": _LIST,
    },
    "people": {
        "name": _REQ, "aliases": _LIST, "country": FieldSpec(str, required=True),
        "sector": _SECTOR, "surname_alone": FieldSpec(bool), "terms": _DICTS,
        "wikidata": _STR,
    },
    "offices": {
        "title": _REQ, "country": FieldSpec(str, required=True),
        "sector": FieldSpec(str, required=True, choices=SECTOR_CODES), "office": _STR,
    },
    "objects": {
        "name": _REQ, "aliases": _LIST, "origin": _STR, "category": _REQ,
        "context": _LIST,
    },
}
"""Schema of each actor kind (``key`` and ``source`` are always required)."""

ACTOR_KINDS = tuple(SCHEMAS)


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


def norm(text: str) -> str:
    """The lookup key of a surface string: :func:`fold` then lower case."""
    return fold(text).lower()


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
    ``group``, ``person``, ``office``, ``title``, ``word``, ``object``.
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

    def sector_at(self, when: date | None) -> str:
        if when is not None:
            for sector, start, end in self.periods:
                if (start is None or start <= when) and (end is None or when < end):
                    return sector
        return self.sector


@dataclass(frozen=True, slots=True)
class Term:
    """One dated office of a person; ``end`` None means open (still in office)."""

    office: str
    sector: str
    code: str
    start: date | None
    end: date | None

    def active(self, when: date) -> bool:
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


@dataclass(frozen=True, slots=True)
class SectorInfo:
    code: str
    name: str
    cameo: str


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    key: str
    kb_key: str
    name: str
    category: str
    origin: str
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonRole:
    """A person resolved at a date: the code, sector and office they hold then."""

    code: str
    sector: str
    office: str
    former: bool = False


@dataclass(frozen=True)
class ActorKB:
    """The indexed actor knowledge (plain data, picklable)."""

    phrases: dict[str, tuple[Hit, ...]] = field(default_factory=dict)
    entries: dict[str, ActorEntry] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    surnames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sectors: dict[str, SectorInfo] = field(default_factory=dict)
    objects: dict[str, ObjectEntry] = field(default_factory=dict)
    collective: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Normalised collective word ("alliance") -> entry keys it may refer back to."""
    country_entries: dict[str, str] = field(default_factory=dict)
    """Emitted code (ISO3) -> entry key of the country, for building entities by code."""
    max_tokens: int = MAX_PHRASE_TOKENS

    # -- lookups ---------------------------------------------------------------------

    def lookup(self, surface: str) -> tuple[Hit, ...]:
        """Hits whose spelling matches ``surface`` (capitalisation checked)."""
        hits = self.phrases.get(norm(surface), ())
        return tuple(h for h in hits if not h.forms or case_ok(surface, h.forms))

    def entry(self, kb_key: str) -> ActorEntry | None:
        return self.entries.get(kb_key)

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

    def find_person(self, name: str) -> Person | None:
        """A person by full name or alias (any capitalisation)."""
        for h in self.phrases.get(norm(name), ()):
            if h.feature == "person":
                return self.people.get(h.ref)
        return None

    def by_surname(self, surname: str) -> Person | None:
        """The one person of that surname who may be named by it alone, if unambiguous."""
        keys = self.surnames.get(norm(surname), ())
        if len(keys) != 1:
            return None
        p = self.people[keys[0]]
        return p if p.surname_alone else None

    def offices_at(self, person: Person | str, when: date) -> tuple[Term, ...]:
        """The terms a person holds on ``when`` (empty when none)."""
        p = self.people.get(person) if isinstance(person, str) else person
        if p is None:
            return ()
        return tuple(t for t in p.terms if t.active(when))

    def role_at(self, person: Person | str, when: date) -> PersonRole:
        """Code, sector and office of a person on ``when``.

        In office: the first active term. After an office: ELI ("former officials").
        Before any office: the person's own ``sector`` (possibly empty).
        """
        p = self.people.get(person) if isinstance(person, str) else person
        if p is None:
            return PersonRole("", "", "")
        active = self.offices_at(p, when)
        if active:
            t = active[0]
            return PersonRole(t.code or p.code, t.sector, t.office)
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

    Later directories override entries with the same key (per kind). Raises
    :class:`~detente.errors.KnowledgeError` naming ``file -> key: problem``.
    """
    files: dict[str, list[DataFile]] = {}
    all_files: list[DataFile] = []
    for kind, schema in SCHEMAS.items():
        for path in find_files(dirs, kind):
            df = read_data_file(path, kind=kind, schema=schema)
            files.setdefault(kind, []).append(df)
            all_files.append(df)
    kb = _index(files)
    return kb, all_files


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
        sectors[key] = SectorInfo(key, e["name"], e.get("cameo") or "")
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

    people: dict[str, Person] = {}
    surnames: dict[str, list[str]] = {}
    for key, (df, e) in _merge(files.get("people", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        terms_raw = e.get("terms") or []
        _check_dicts(df.path, key, "terms", terms_raw,
                     {"office": True, "sector": True, "start": True, "end": False,
                      "country": False})
        terms = []
        for t in terms_raw:
            start = _as_date(t.get("start"), df.path, key, "start")
            end = _as_date(t.get("end"), df.path, key, "end")
            if start and end and end < start:
                raise KnowledgeError(df.path, key, f"term {t['office']!r} ends before it starts")
            terms.append(Term(t["office"], t["sector"], t.get("country") or e["country"],
                              start, end))
        p = Person(key, kb_key, e["name"], e["country"], e.get("sector") or "", tuple(terms),
                   surname_alone=e.get("surname_alone") is not False,
                   wikidata=e.get("wikidata") or "")
        people[key] = p
        names = [e["name"], *(e.get("aliases") or [])]
        for n in names:
            b.add(n, Hit("person", key, "", _forms(n)))
        sn = norm(e["name"].split()[-1])
        surnames.setdefault(sn, [])
        if key not in surnames[sn]:
            surnames[sn].append(key)
        for n in e.get("aliases") or []:
            if len(n.split()) == 1:  # a one-word alias is a surname spelling ("Erdoğan")
                lst = surnames.setdefault(norm(n), [])
                if key not in lst:
                    lst.append(key)

    objects: dict[str, ObjectEntry] = {}
    for key, (df, e) in _merge(files.get("objects", [])).items():
        kb_key = f"{_file_tag(df)}:{key}"
        objects[key] = ObjectEntry(key, kb_key, e["name"], e["category"], e.get("origin") or "",
                                   tuple(norm(c) for c in e.get("context") or []))
        for n in [e["name"], *(e.get("aliases") or [])]:
            b.add(n, Hit("object", key, "", _forms(n)))

    collective = {k: tuple(v) for k, v in b.collective.items()}
    return ActorKB(
        phrases={k: tuple(v) for k, v in b.phrases.items()},
        entries=entries,
        people=people,
        surnames={k: tuple(v) for k, v in surnames.items()},
        sectors=sectors,
        objects=objects,
        collective=collective,
        country_entries=country_entries,
        max_tokens=min(max(b.max_tokens, 1), MAX_PHRASE_TOKENS),
    )
