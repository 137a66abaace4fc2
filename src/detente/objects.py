"""Objects: weapon systems, military platforms and programmes (knowledge and mentions).

Knowledge kinds (packaged under ``data/objects/``; users add files with ``--kb DIR``):

``object-categories``
    ``name`` and ``class``: what a category is, one of :data:`OBJECT_CLASSES` —
    ``weapon`` (missiles, guns, bombs, air-defence systems...), ``platform`` (aircraft,
    ships, tanks, drones, vehicles) or ``programme`` (development and procurement
    programmes). Every object entry names one of these categories. ``assault_mode``: the
    PLOVER ASSAULT mode of an attack made with it (grenades: ``explosives``).
``objects``
    ``name``, ``aliases`` (spellings as written, plurals included: "Leopard tanks"),
    ``category``, ``origin`` (ISO 3166 alpha-3 of the producing country: the lead
    contractor's), ``partners`` (co-producing states of a multinational system),
    ``context`` (words one of which must be in the sentence, for names that are also
    ordinary words: "Patriot", "Javelin"), ``not_in`` (longer phrases containing the name
    that do not name the object: "think tank"), ``generic: true`` for a class word ("tank",
    "fighter jet", "drone") that names no model and has no origin, and ``prefix: true`` for a
    navy's hull prefix ("HMS", "USS"): the prefix followed by a proper name is one of that
    navy's ships (the mention's name is the ship's, the origin the navy's country).

Names match case-sensitively (sentence-initial capitals and, for names longer than four
letters, all-capital headlines are accepted); a model name with a digit takes a plural
"s" on its own ("F-35s"). A generic class word right after a model name is part of that
mention ("T-72 tanks", "S-400 air defence system").

:func:`index_objects` validates and indexes the entries for the actors stage;
:func:`object_mentions` turns the dictionary hits of one sentence into
:class:`~detente.records.ObjectMention` records. Adding a system is a data change only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KnowledgeError
from .knowledge import DataFile, FieldSpec, Schema
from .records import EventObject, ObjectMention, Sentence

if TYPE_CHECKING:
    from .actorkb import ActorKB, Hit

OBJECT_CLASSES = frozenset({"weapon", "platform", "programme"})
"""What a category is: a weapon, a platform (aircraft, ship, vehicle) or a programme."""

_LIST = FieldSpec(list, item=str)

OBJECT_SCHEMA: Schema = {
    "name": FieldSpec(str, required=True), "aliases": _LIST, "origin": FieldSpec(str),
    "partners": _LIST, "category": FieldSpec(str, required=True), "context": _LIST,
    "not_in": _LIST, "generic": FieldSpec(bool), "prefix": FieldSpec(bool),
}
"""Fields of an ``objects`` entry (besides ``key`` and ``source``)."""

CATEGORY_SCHEMA: Schema = {
    "name": FieldSpec(str, required=True),
    "class": FieldSpec(str, required=True, choices=OBJECT_CLASSES),
    "assault_mode": FieldSpec(str),
}
"""Fields of an ``object-categories`` entry (besides ``key`` and ``source``)."""

STOP_REF = ""
"""The ``ref`` of a ``not_in`` phrase's hit: it consumes the words and names nothing."""


@dataclass(frozen=True, slots=True)
class ObjectCategory:
    key: str
    name: str
    cls: str
    """``weapon``, ``platform`` or ``programme``."""
    assault_mode: str = ""
    """The PLOVER ASSAULT mode of an attack made with such an object ("grenade" ->
    ``explosives``), or ``''``."""


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    key: str
    kb_key: str
    name: str
    category: str
    origin: str
    context: tuple[str, ...] = ()
    cls: str = ""
    """The category's class: ``weapon``, ``platform`` or ``programme``."""
    partners: tuple[str, ...] = ()
    generic: bool = False
    prefix: bool = False

    @property
    def sole_origin(self) -> str:
        """The one producing country a buyer can only have bought it from, or ``''``
        (generic classes, multinational systems)."""
        return "" if self.generic or self.partners else self.origin


def _code_ok(code: str, countries: frozenset[str]) -> bool:
    return len(code) == 3 and code.isupper() and (not countries or code in countries)


def index_objects(
    objects: Mapping[str, tuple[DataFile, dict[str, Any]]],
    categories: Mapping[str, tuple[DataFile, dict[str, Any]]],
    *,
    countries: Iterable[str],
    add: Callable[[str, Hit], None],
    tag: Callable[[DataFile], str],
    fold: Callable[[str], str],
    norm: Callable[[str], str],
) -> tuple[dict[str, ObjectEntry], dict[str, ObjectCategory]]:
    """Validate merged ``objects`` and ``object-categories`` entries and index their names.

    ``add(phrase, hit)`` registers a lookup phrase; ``countries`` are the known ISO3 codes
    (origins and partners must be among them). Raises :class:`KnowledgeError` naming
    ``file -> key: problem``.
    """
    from .actorkb import Hit

    cats: dict[str, ObjectCategory] = {}
    for key, (_df, e) in categories.items():
        cats[key] = ObjectCategory(key, e["name"], e["class"], e.get("assault_mode") or "")
    known = frozenset(countries)
    out: dict[str, ObjectEntry] = {}
    claimed: dict[str, str] = {}
    for key, (df, e) in objects.items():
        cat = cats.get(e["category"])
        if cats and cat is None:
            raise KnowledgeError(df.path, key, f"unknown category {e['category']!r}; known: "
                                 f"{sorted(cats)}")
        generic, prefix = bool(e.get("generic")), bool(e.get("prefix"))
        origin = e.get("origin") or ""
        partners = tuple(e.get("partners") or ())
        if generic and prefix:
            raise KnowledgeError(df.path, key, "an entry is either generic or a prefix")
        if generic and (origin or partners):
            raise KnowledgeError(df.path, key, "a generic class has no origin or partners")
        if not generic and not origin:
            raise KnowledgeError(df.path, key, "'origin' is required (ISO 3166 alpha-3 of the "
                                 "producing country); mark class words 'generic: true'")
        for code in (origin, *partners) if origin else partners:
            if not _code_ok(code, known):
                raise KnowledgeError(df.path, key, f"{code!r} is not a known ISO 3166 alpha-3 "
                                     "country code")
        entry = ObjectEntry(key, f"{tag(df)}:{key}", e["name"], e["category"], origin,
                            tuple(norm(c) for c in e.get("context") or []),
                            cat.cls if cat else "", partners, generic, prefix)
        out[key] = entry
        for n in [e["name"], *(e.get("aliases") or [])]:
            other = claimed.setdefault(norm(n), key)
            if other != key:
                raise KnowledgeError(df.path, key, f"{n!r} already names object {other!r}; "
                                     "one phrase names one object")
            add(n, Hit("object", key, "", (fold(n),)))
        for n in e.get("not_in") or []:
            if norm(e["name"]) not in norm(n) and not any(
                    norm(a) in norm(n) for a in e.get("aliases") or []):
                raise KnowledgeError(df.path, key, f"'not_in' phrase {n!r} does not contain "
                                     "the name or an alias")
            if claimed.setdefault(norm(n), key) != key:
                raise KnowledgeError(df.path, key, f"'not_in' phrase {n!r} names an object")
            add(n, Hit("object", STOP_REF, "", ()))
    return out, cats


# -- mentions --------------------------------------------------------------------------


_SHIP_JOINERS = frozenset({"of", "the", "de"})


def _ship_end(sent: Sentence, j: int) -> int:
    """End (exclusive) of the proper name after a hull prefix ending at token ``j``."""
    toks = sent.tokens
    end = j
    k = j
    while k < len(toks):
        t = toks[k]
        if t.pos != "PUNCT" and t.text[:1].isupper():
            end = k + 1
            k += 1
            continue
        if t.text.lower() in _SHIP_JOINERS and end == k and k + 1 < len(toks) \
                and toks[k + 1].text[:1].isupper():
            k += 1
            continue
        break
    return end


NOT_THE_OBJECT_HEADS = frozenset({
    "cache", "caches", "facility", "facilities", "factory", "factories", "storage", "team",
    "teams", "crew", "crews", "unit", "units", "site", "sites", "plant", "plants", "production",
    "maker", "makers", "manufacturer", "manufacturers", "industry", "industries", "dealer",
    "dealers", "smuggler", "smugglers", "expert", "experts", "inspector", "inspectors",
    "school", "museum", "company", "companies", "firm", "firms", "workshop", "workshops",
    "base", "bases", "range", "ranges", "battery", "batteries", "regiment", "brigade",
    "battalion", "squadron", "division", "corps", "command", "depot", "depots", "dump",
    "dumps", "warehouse", "warehouses",
})
"""Nouns a class word may modify without being the object itself ("weapons caches",
"mortar teams", "drone factory", "artillery regiment"): such a class word is no mention."""


def _generic_dropped(sent: Sentence, i: int, j: int, surface: str) -> bool:
    toks = sent.tokens
    first = toks[i]
    # part of a proper name mid-sentence: "the 321st Field Artillery Regiment"
    if i > 0 and first.text[:1].isupper() and not first.text.isupper() \
            and first.pos == "PROPN" and surface[:1].isupper():
        return True
    last = toks[j - 1]
    if last.dep != "compound" or not 0 <= last.head < len(toks):
        return False
    head = toks[last.head]
    return head.lemma.lower() in NOT_THE_OBJECT_HEADS or head.text.lower() in NOT_THE_OBJECT_HEADS


def object_mentions(sent: Sentence, text: str, units: Sequence[Any],
                    kb: ActorKB) -> list[ObjectMention]:
    """Object mentions of one sentence from its object dictionary hits (``units``: the
    actors stage's longest-first matches, in sentence order)."""
    toks = sent.tokens
    lowered: set[str] | None = None
    found: list[tuple[int, int, ObjectEntry, int, int]] = []
    """(start, end, naming entry, start and end of the naming entry's own words)"""
    for u in units:
        entry = kb.objects.get(u.hit.ref)
        if entry is None:
            continue
        if entry.context:
            if lowered is None:
                lowered = {t.text.lower() for t in toks} | {t.lemma.lower() for t in toks}
            if not lowered & set(entry.context):
                continue
        i, j = u.i, u.j
        if entry.prefix:
            j = _ship_end(sent, u.j)
            if j == u.j:
                continue  # a bare prefix names no ship
        if entry.generic and _generic_dropped(sent, i, j, u.text):
            continue
        if found and found[-1][1] == i and entry.generic != found[-1][2].generic:
            pi, _pj, pe, ni, nj = found[-1]
            # "T-72 tanks", "the frigate FS Forbin": one mention, named by the model
            found[-1] = (pi, j, entry, i, j) if pe.generic else (pi, j, pe, ni, nj)
            continue
        found.append((i, j, entry, i, j))
    out: list[ObjectMention] = []
    off = sent.start
    for i, j, entry, ni, nj in found:
        start, end = toks[i].start, toks[j - 1].end
        surface = text[start:end] if text else sent.text[start - off:end - off]
        name = entry.name
        if entry.prefix:  # the ship's own name: "HMS Daring"
            a, b = toks[ni].start, toks[nj - 1].end
            name = " ".join((text[a:b] if text else sent.text[a - off:b - off]).split())
        out.append(ObjectMention(sentence=sent.index, token_start=i, token_end=j,
                                 start=start, end=end,
                                 object=EventObject(text=surface, name=name,
                                                    category=entry.category,
                                                    origin=entry.origin, kb_key=entry.kb_key)))
    return out


def object_entry(kb: ActorKB, obj: EventObject) -> ObjectEntry | None:
    """The knowledge entry an event object came from (by its ``kb_key``), if loaded."""
    objects = getattr(kb, "objects", None)
    if not objects or not obj.kb_key:
        return None
    _tag, _sep, key = obj.kb_key.partition(":")
    entry = objects.get(key)
    return entry if entry is not None and entry.kb_key == obj.kb_key else None


# -- attaching objects to events -------------------------------------------------------

_CLAUSE_UP = frozenset({"xcomp", "advcl", "acl", "relcl", "pcomp", "prep", "pobj", "dobj",
                        "nsubj", "nsubjpass", "npadvmod", "appos"})
"""Dependencies a clause may be climbed through when looking for an orphan object's event
("used HIMARS to strike", "the S-400 that Turkey bought"); never ccomp, parataxis or
conj: another statement is another event."""


def _mention_head(sent: Sentence, start: int, end: int) -> int:
    toks = sent.tokens
    for k in range(end - 1, start - 1, -1):
        if not start <= toks[k].head < end or toks[k].head == k:
            return k
    return end - 1


def assign_objects(sent: Sentence, triggers: Sequence[int],
                   objects: Sequence[ObjectMention]) -> dict[int, list[ObjectMention]]:
    """Which event (trigger token) each object of the sentence belongs to.

    An object belongs to the nearest trigger among its own ancestors (the innermost event
    whose phrase holds it: "the purchase of the S-400", "fired Kinzhal missiles"). An
    object outside every trigger's phrase goes to the trigger nearest to it below the
    first ancestor that has one, climbing only through arguments and subordinate
    clauses (:data:`_CLAUSE_UP`); an object that reaches none stays unattached.
    """
    toks = sent.tokens
    n = len(toks)
    live = set(triggers)
    out: dict[int, list[ObjectMention]] = {}
    if not live:
        return out
    children: list[list[int]] = [[] for _ in range(n)]
    for t in toks:
        if t.head != t.i and 0 <= t.head < n:
            children[t.head].append(t.i)

    def below(i: int) -> list[int]:
        found, stack = [], [i]
        while stack:
            j = stack.pop()
            if j in live:
                found.append(j)
            stack.extend(children[j])
        return found

    for m in objects:
        head = _mention_head(sent, m.token_start, m.token_end)
        owner = -1
        cur, hops = head, 0
        while hops <= n:  # own ancestors (inclusive)
            if cur in live:
                owner = cur
                break
            nxt = toks[cur].head
            if nxt == cur or not 0 <= nxt < n:
                break
            cur, hops = nxt, hops + 1
        if owner < 0:  # orphan: look down from the ancestors, within the clause
            cur = head
            for _ in range(8):
                cands = below(cur)
                if cands:
                    owner = min(cands, key=lambda c: (abs(c - head), c))
                    break
                t = toks[cur]
                if t.head == cur or not 0 <= t.head < n:
                    break
                if t.pos in ("VERB", "AUX") and t.dep not in _CLAUSE_UP:
                    break
                cur = t.head
        if owner >= 0:
            out.setdefault(owner, []).append(m)
    return out


def object_token_classes(objects: Sequence[ObjectMention], kb: Any) -> dict[int, str]:
    """Token index -> ``@class`` of the object mention covering it (for lexicon patterns
    whose object is a class: ``object: ['@weapon', '@platform']``)."""
    akb = getattr(kb, "actors", kb)
    out: dict[int, str] = {}
    for m in objects:
        entry = object_entry(akb, m.object)
        if entry is not None and entry.cls:
            for k in range(m.token_start, m.token_end):
                out[k] = "@" + entry.cls
    return out


ASSAULT_MODE_ORDER = ("suicide-attack", "unconventional", "explosives", "drone", "aerial",
                      "heavy-weapons", "firearms", "crowd-control")
"""When an attack's objects imply several modes, the first in this order wins (a suicide
bombing with rifles is a suicide attack)."""


def assault_mode(objects: Sequence[EventObject], kb: Any) -> str:
    """The PLOVER ASSAULT mode the objects of an attack imply, or ``''``."""
    akb = getattr(kb, "actors", kb)
    cats = getattr(akb, "object_categories", None) or {}
    found = set()
    for o in objects:
        entry = object_entry(akb, o)
        cat = cats.get(entry.category) if entry is not None else None
        if cat is not None and cat.assault_mode:
            found.add(cat.assault_mode)
    last = len(ASSAULT_MODE_ORDER)
    ranked = sorted(found, key=lambda m: (
        ASSAULT_MODE_ORDER.index(m) if m in ASSAULT_MODE_ORDER else last, m))
    return ranked[0] if ranked else ""


def object_modifier_tokens(sent: Sentence, objects: Sequence[ObjectMention]) -> set[int]:
    """Tokens inside an object mention other than its head ("attack" in "attack
    helicopters", "strike" in "Joint Strike Fighter"): they name the object, not an event."""
    out: set[int] = set()
    for m in objects:
        head = _mention_head(sent, m.token_start, m.token_end)
        out.update(k for k in range(m.token_start, m.token_end) if k != head)
    return out
