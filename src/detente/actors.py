"""The actors stage: find and resolve every actor mention in a parsed article.

:func:`annotate` works on :class:`~detente.records.Sentence` records only (no spaCy) and
the indexed :class:`~detente.actorkb.ActorKB`. It runs in three steps per article:

1. **Lookup.** Every token n-gram of a sentence is looked up, longest first, in the
   knowledge index (one dict access each): countries by name, adjective, capital or seat
   of power; organisations; named groups; people; country-specific office titles; sector
   titles and role words; weapon systems and other objects.
2. **Composition.** Adjacent units are read as a descriptor chain::

       [det] [former] MOD ([,|and] MOD)* ['s] TITLE* [NAME]      "Turkish President R. T. Erdogan"
       TITLE* [NAME] [of [the] MOD]                              "the government of Turkey"

   where MOD is a country, organisation, group or seat. Conjoined modifiers give one
   compound mention ("Hungarian and Romanian officials", "the US and Turkey").
3. **In-document resolution.** Names introduced with a descriptor are remembered, so a
   later bare surname is the same person (``coref-surname``); a known person is resolved
   with their dated offices at the publication date (a former office-holder is ELI);
   "the alliance" refers back to an organisation already named; "we/our/us/I" inside a
   quotation are the speaker; a subject "they" may refer back to a recent plural actor.

Every mention has a ``head``: the sentence-relative index of its syntactic head token,
which the events coder matches against the subjects and objects of trigger verbs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .actorkb import ActorEntry, ActorKB, Hit, Person, fold, norm
from .objects import object_mentions
from .records import (
    Annotations,
    Entity,
    Event,
    Mention,
    ObjectMention,
    ParsedArticle,
    PlaceMention,
    Sentence,
    Token,
)

MOD_FEATURES = frozenset({"country-name", "country-adjective", "capital", "seat", "igo",
                          "group", "imported"})
NAME_FEATURES = frozenset({"country-name", "capital", "seat", "igo", "group", "imported"})
ROLE_FEATURES = frozenset({"title", "word", "office"})
_PRIORITY = {"person": 0, "office": 1, "seat": 2, "igo": 3, "group": 4, "country-name": 5,
             "country-adjective": 6, "capital": 7, "title": 8, "word": 9, "imported": 10}

FORMER_WORDS = frozenset({"former", "ex", "ousted", "exiled", "deposed", "late"})
PRE_TITLE_SKIP = frozenset({"acting", "interim", "outgoing", "then", "new", "top", "senior",
                            "incoming", "-", "newly", "elected", "current", "veteran",
                            "chief", "longtime", "long-time", "incumbent", "vice", "deputy",
                            "assistant", "junior", "first", "federal", "state", "regional",
                            "foreign", "retired"})
DETERMINERS = frozenset({"the", "a", "an"})
POSSESSIVE = frozenset({"'s", "\u2019s", "'", "\u2019"})
LOCATIVE_PREPS = frozenset({"in", "at", "near", "from", "to", "into", "outside", "around",
                            "across", "toward", "towards", "through", "via", "within",
                            "inside", "over", "between", "throughout", "of", "off", "on"})
SPEECH_LEMMAS = frozenset({"say", "tell", "add", "state", "stress", "emphasize", "emphasise",
                           "note", "warn", "insist", "write", "declare", "explain", "argue",
                           "claim", "tweet", "announce", "remark", "reply", "respond",
                           "comment", "caution", "affirm", "assert", "acknowledge",
                           "underline", "urge", "continue", "conclude", "ask"})
WE_WORDS = frozenset({"we", "our", "us", "ours", "ourselves"})
I_WORDS = frozenset({"i", "me", "my", "mine", "myself"})
HE_SHE = frozenset({"he", "she"})
OPEN_QUOTES = frozenset({"\u201c", "``"})
CLOSE_QUOTES = frozenset({"\u201d", "''"})
MAX_NAME_TOKENS = 4

RULES: dict[str, str] = {
    "country-name": "a country's name or variant",
    "capital-metonym": "a capital standing for its government (\"Ankara said\")",
    "seat-metonym": "a seat of power standing for an institution (\"the Kremlin\", "
                    "\"the Pentagon\")",
    "igo-name": "an international organisation's name or alias",
    "group-name": "a named group, party or national institution",
    "country-adjective": "a country adjective",
    "country-name+role": "a country plus a role word or title (\"Turkey's army\")",
    "country-adjective+role": "a country adjective plus a role word or title "
                              "(\"Turkish troops\")",
    "capital-metonym+role": "a capital plus a role word",
    "seat-metonym+role": "a seat of power plus a role word (\"White House officials\")",
    "igo-name+role": "an organisation plus a role word (\"NATO officials\")",
    "group-name+role": "a group plus a role word (\"Hamas fighters\")",
    "imported-name": "a name from an imported PETRARCH/TABARI actor dictionary (one detente's "
                     "own knowledge does not read), coded from its dictionary code at the date",
    "imported-name+role": "an imported dictionary name plus a role word",
    "compound": "conjoined actors read as a list (\"the US and Turkey\")",
    "descriptor+name": "a descriptor (country/organisation and title) before a name "
                       "(\"Turkish President Recep Tayyip Erdogan\")",
    "title+person": "a title before a known person's name, resolved at the date (a name "
                    "shared by namesakes: the one in office then)",
    "person-name": "a known person's full name or alias, resolved at the date (a name "
                   "shared by namesakes: the one in office then)",
    "person-surname": "a known person's surname alone (unambiguous in the knowledge)",
    "coref-surname": "a name introduced earlier in the document",
    "coref-name": "a name introduced earlier in the document",
    "title+name": "a title before an unknown name (sector from the title)",
    "office+name": "a country-specific office before a name (\"Secretary of State X\")",
    "office-title": "a country-specific office title (\"the Secretary of State\")",
    "coref-title": "a title referring back to its holder named earlier (\"the president\")",
    "role-word": "a role word with no country (sector only: \"the rebels\")",
    "collective-ref": "a collective noun referring back to an organisation named earlier "
                      "(\"the alliance\" after NATO)",
    "quote-speaker": "a first-person pronoun inside a quotation: the quoted speaker",
    "pronoun-they": "subject \"they\": the last plural or collective subject",
    "pronoun-person": "subject \"he\"/\"she\": the last person named",
}
"""What each resolution rule (``Mention.rule``) means; ``detente actors resolve`` shows it."""


def describe_rule(rule: str) -> str:
    """A sentence explaining ``rule`` (compound rules are explained part by part)."""
    if rule in RULES:
        return RULES[rule]
    if rule.endswith("+compound"):
        return describe_rule(rule[: -len("+compound")]) + "; conjoined, read as a list"
    return rule


# -- units -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    i: int
    j: int
    hit: Hit
    text: str
    start: int
    end: int


@dataclass
class _DocState:
    when: date
    names: dict[str, tuple[Entity, ...]] = field(default_factory=dict)
    """Normalised person name or surname -> the entities it resolved to."""
    offices: dict[str, tuple[Entity, ...]] = field(default_factory=dict)
    seen_entries: list[str] = field(default_factory=list)
    """kb_keys of organisations/groups named so far (for collective references)."""


def _surface(text: str, toks: tuple[Token, ...], i: int, j: int) -> tuple[int, int, str]:
    start, end = toks[i].start, toks[j - 1].end
    return start, end, text[start:end]


def _model_plural(surf: str) -> bool:
    """A one-token plural of a model name ("F-35s"), looked up without its "s"."""
    return surf.endswith("s") and len(surf) > 3 and surf[-2].isdigit()


def _lookup_units(sent: Sentence, text: str, kb: ActorKB) -> tuple[list[_Unit], list[_Unit]]:
    """Longest-first dictionary lookup; returns (actor units, object units)."""
    toks = sent.tokens
    n = len(toks)
    units: list[_Unit] = []
    objs: list[_Unit] = []
    span = kb.max_tokens + 3
    i = 0
    while i < n:
        if toks[i].pos in ("PUNCT", "SPACE") and toks[i].text not in ("-",) \
                and not any(c.isalnum() for c in toks[i].text):  # "Shahed-136" tagged PUNCT
            i += 1
            continue
        # grow the span while its normalised text can still begin a known phrase (a
        # span containing a line break never matches, nor does any longer one)
        cands: list[tuple[int, int, int, int, str]] = []
        for k in range(1, min(span, n - i) + 1):
            j = i + k
            start, end, surf = _surface(text, toks, i, j)
            if "\n" in surf:
                break
            key = norm(surf)
            ok = kb.has_prefix(key)
            if ok or (k == 1 and _model_plural(surf)):
                cands.append((k, j, start, end, key))
            if not ok:
                break
        found = False
        for k, j, start, end, key in reversed(cands):
            surf = text[start:end]
            hits = kb.lookup(surf, key=key)
            if not hits and k == 1 and _model_plural(surf):
                hits = tuple(h for h in kb.lookup(surf[:-1]) if h.feature == "object")
            if not hits:
                continue
            obj = [h for h in hits if h.feature == "object"]
            act = sorted((h for h in hits if h.feature != "object"),
                         key=lambda h: _PRIORITY.get(h.feature, 99))
            if obj:
                objs.append(_Unit(i, j, obj[0], surf, start, end))
            if act:
                units.append(_Unit(i, j, act[0], surf, start, end))
            i = j
            found = True
            break
        if not found:
            i += 1
    return [u for u in units if _keep_unit(sent, u)], objs


def _keep_unit(sent: Sentence, u: _Unit) -> bool:
    """Drop names that are part of a longer proper name ("New Mexico", "Washington Post")."""
    if u.hit.feature not in ("country-name", "capital", "country-adjective", "person"):
        return True
    toks = sent.tokens
    before = toks[u.i - 1] if u.i > 0 else None
    after = toks[u.j] if u.j < len(toks) else None

    def joined(t: Token | None, other: Token) -> bool:
        return (t is not None and t.pos == "PROPN" and t.text[:1].isupper()
                and t.ent_type not in ("", "NORP") and t.ent_type == other.ent_type
                and t.ent_type in ("GPE", "LOC", "FAC", "PERSON", "ORG", "WORK_OF_ART"))

    first, last = toks[u.i], toks[u.j - 1]
    if u.hit.feature in ("country-name", "capital") and joined(before, first) \
            and before is not None and before.i > 0:
        return False
    if u.hit.feature == "capital" and (joined(after, last) or joined(before, first)):
        return False
    return not (u.hit.feature in ("country-name",) and joined(after, last)
                and last.ent_type in ("GPE", "LOC", "FAC"))


# -- entities --------------------------------------------------------------------------


def _entity(kb: ActorKB, *, code: str, sector: str, name: str, text: str, start: int,
            end: int, office: str = "", kb_key: str = "", cameo: str = "",
            wikidata: str = "") -> Entity:
    if not cameo:
        cameo = kb.cameo(code, sector) if code else ""
    return Entity(code=code, sector=sector, name=name, text=text, office=office,
                  wikidata=wikidata, kb_key=kb_key, cameo=cameo, start=start, end=end)


def _entry_entity(kb: ActorKB, entry: ActorEntry, *, sector: str, text: str, start: int,
                  end: int, when: date, office: str = "", name: str = "") -> Entity:
    code, own_sector, own_cameo = entry.at(when)
    sec = sector or own_sector
    if entry.kind in ("igo",) or entry.kind == "group" and not sector:
        cameo = own_cameo
    else:
        cameo = kb.cameo(code, sec)
    return _entity(kb, code=code, sector=sec, name=name or entry.name, text=text,
                   start=start, end=end, office=office, kb_key=entry.kb_key, cameo=cameo)


def _person_entity(kb: ActorKB, p: Person, *, when: date, text: str, start: int, end: int,
                   former: bool = False) -> Entity:
    role = kb.role_at(p, when)
    sector = "ELI" if former else role.sector
    return _entity(kb, code=role.code, sector=sector, name=p.name, text=text, start=start,
                   end=end, office=role.office, kb_key=p.kb_key, wikidata=p.wikidata)


def _head(sent: Sentence, i: int, j: int) -> int:
    """The token of [i, j) whose syntactic head lies outside the span (the last such)."""
    toks = sent.tokens
    outside = [t.i for t in toks[i:j] if not (i <= t.head < j) or t.head == t.i]
    if not outside:
        return j - 1
    nouns = [k for k in outside if toks[k].pos in ("NOUN", "PROPN", "PRON", "NUM")]
    return (nouns or outside)[0] if len(outside) > 1 and nouns else outside[-1]


# -- composition -----------------------------------------------------------------------


@dataclass
class _Chain:
    start_tok: int
    mods: list[_Unit] = field(default_factory=list)
    roles: list[_Unit] = field(default_factory=list)
    name: tuple[int, int] | None = None
    person: Person | None = None
    former: bool = False
    end_tok: int = 0
    of_mod: bool = False


def _is_mod(u: _Unit | None) -> bool:
    return u is not None and u.hit.feature in MOD_FEATURES


def _role_modifies_outside(sent: Sentence, u: _Unit, end: int) -> bool:
    """True when a role word is an adjective/compound of a noun after the chain
    ("military equipment", "police station")."""
    t = sent.tokens[u.j - 1]
    if t.dep in ("amod", "compound", "nmod") and t.head >= end:
        head = sent.tokens[t.head]
        return head.pos != "PROPN"
    return False


def _name_run(sent: Sentence, pos: int, units_at: dict[int, _Unit]) -> int:
    """End index of a run of capitalised proper-noun tokens starting at ``pos``."""
    toks = sent.tokens
    k = pos
    while k < len(toks) and k - pos < MAX_NAME_TOKENS:
        t = toks[k]
        if t.pos != "PROPN" or not t.text[:1].isupper() or t.text in POSSESSIVE:
            break
        u = units_at.get(k)
        if u is not None and u.hit.feature not in ("person",):
            break
        k += 1
    return k


def _read_chain(sent: Sentence, pos: int, units_at: dict[int, _Unit], kb: ActorKB,
                when: date | None = None) -> _Chain | None:
    toks = sent.tokens
    n = len(toks)
    ch = _Chain(start_tok=pos)
    p = pos
    if toks[p].text.lower() in DETERMINERS and p not in units_at:
        p += 1
    # former / acting ... before the modifiers ("former US President", "ex-Soviet")
    while p < n and toks[p].text.lower() in FORMER_WORDS | PRE_TITLE_SKIP \
            and p not in units_at:
        if toks[p].text.lower() in FORMER_WORDS:
            ch.former = True
        p += 1
    # modifiers, possibly conjoined
    mods_end = -1
    while p < n and _is_mod(units_at.get(p)):
        u = units_at[p]
        ch.mods.append(u)
        p = u.j
        mods_end = p
        if p < n and toks[p].text in POSSESSIVE:
            p += 1
            break
        q = p
        if q < n and toks[q].text == ",":
            q += 1
        if q < n and toks[q].text.lower() in ("and", "&"):
            q += 1
        if q > p:
            if q < n and toks[q].text.lower() == "the":
                q += 1
            nxt = units_at.get(q)
            if _is_mod(nxt) and nxt is not None and _compatible(u, nxt):
                p = q
                continue
        break
    # pre-title words after the modifiers ("Russian former president", "US top diplomat")
    while p < n and toks[p].text.lower() in FORMER_WORDS | PRE_TITLE_SKIP \
            and p not in units_at and (p + 1 < n and (p + 1) in units_at) \
            and units_at[p + 1].hit.feature in ROLE_FEATURES:
        if toks[p].text.lower() in FORMER_WORDS:
            ch.former = True
        p += 1
    while p < n and (ru := units_at.get(p)) is not None and ru.hit.feature in ROLE_FEATURES:
        ch.roles.append(ru)
        p = ru.j
        if p < n and toks[p].text == "-" and (p + 1) in units_at \
                and units_at[p + 1].hit.feature in ROLE_FEATURES:
            p += 1
    if ch.roles and _role_modifies_outside(sent, ch.roles[-1], p):
        # "military equipment": the role word is an adjective of a non-actor noun
        last = ch.roles.pop()
        p = last.i
        while ch.roles and _role_modifies_outside(sent, ch.roles[-1], p):
            p = ch.roles.pop().i
    # a person's name after a title, or on its own
    person_ok = not ch.roles or ch.roles[-1].hit.feature in ("title", "office")
    if person_ok and p < n:
        pu = units_at.get(p)
        if pu is not None and pu.hit.feature == "person":
            # a name shared by namesakes means the one in office at the date
            title = " ".join(u.text for u in ch.roles if u.hit.feature in ("title", "office"))
            ch.person = kb.person_named(kb.named(pu.text) or (pu.hit.ref,), when, title)
            end = pu.j
            # a longer run of proper nouns wins ("Joe Biden Jr." stays one name)
            ch.name = (p, max(end, _name_run(sent, end, units_at)) if end < n and
                       toks[end].pos == "PROPN" and end not in units_at else end)
            p = ch.name[1]
        elif ch.roles and toks[p].pos == "PROPN" and toks[p].text[:1].isupper() \
                and p not in units_at:
            k = _name_run(sent, p, units_at)
            if k > p:
                ch.name = (p, k)
                p = k
    # "the government of Turkey", "the President of Russia"
    if ch.roles and not ch.mods and not ch.name and p + 1 < n and toks[p].text == "of":
        q = p + 1
        if toks[q].text.lower() == "the":
            q += 1
        ou = units_at.get(q)
        if ou is not None and ou.hit.feature in NAME_FEATURES:
            ch.mods.append(ou)
            ch.of_mod = True
            p = ou.j
    if ch.mods and not ch.roles and not ch.name and not ch.of_mod:
        p = mods_end  # "Turkey's purchase": the mention is "Turkey"
        if toks[ch.start_tok].text.lower() in ("a", "an"):
            ch.start_tok = ch.mods[0].i
    ch.end_tok = p
    if not ch.mods and not ch.roles and not ch.name:
        return None
    return ch


def _compatible(a: _Unit, b: _Unit) -> bool:
    adj_a = a.hit.feature == "country-adjective"
    adj_b = b.hit.feature == "country-adjective"
    return adj_a == adj_b


def _role_sector(ch: _Chain) -> tuple[str, str, bool]:
    """(sector, office, is_person_title) from the role units; weak roles give way."""
    if not ch.roles:
        return "", "", False
    last = ch.roles[-1]
    is_title = last.hit.feature in ("title", "office")
    office = " ".join(u.text for u in ch.roles if u.hit.feature in ("title", "office"))
    if not last.hit.weak:
        return last.hit.sector, office, is_title
    mod_sector = next((m.hit.sector for m in ch.mods if m.hit.sector), "")
    if mod_sector:
        return mod_sector, office, is_title
    strong = [u for u in ch.roles[:-1] if not u.hit.weak]
    if strong:
        return strong[-1].hit.sector, office, is_title
    return last.hit.sector, office, is_title


def _build_mention(sent: Sentence, text: str, ch: _Chain, kb: ActorKB, state: _DocState
                   ) -> Mention | None:
    toks = sent.tokens
    when = state.when
    i = ch.start_tok
    j = ch.end_tok
    if i < len(toks) and toks[i].text.lower() in DETERMINERS and not ch.mods and not ch.roles \
            and not ch.name:
        return None
    start, end = toks[i].start, toks[j - 1].end
    surface = text[start:end]
    sector, office, is_title = _role_sector(ch)
    name_text = ""
    if ch.name:
        ns, ne, name_text = _surface(text, toks, *ch.name)
    entities: list[Entity] = []
    rule = ""
    if ch.mods:
        for m, actor in [(u, e) for u in ch.mods for e in kb.actors_of(u.hit.ref)]:
            if not actor.at(when)[0]:  # an imported name that is no actor then
                continue
            msector = sector or (m.hit.sector if m.hit.feature in ("seat", "capital") else "")
            if ch.former and (is_title or ch.name):
                msector = "ELI"
            etext = surface if len(ch.mods) == 1 else m.text
            es, ee = (start, end) if len(ch.mods) == 1 else (m.start, m.end)
            pname = ch.person.name if ch.person else name_text
            ent = _entry_entity(kb, actor, sector=msector, text=etext, start=es, end=ee,
                                when=when, office=office if is_title else "", name=pname)
            if ch.person is not None and len(ch.mods) == 1 and ch.person.code == actor.code:
                # "Turkish President Erdogan": the descriptor gives the role, the person
                # entry is the knowledge behind the name
                ent = replace(ent, kb_key=ch.person.kb_key, wikidata=ch.person.wikidata)
            entities.append(ent)
        feat = ch.mods[0].hit.feature
        if ch.name:
            rule = "descriptor+name"
        elif ch.roles:
            rule = ("country-adjective+role" if feat == "country-adjective" else
                    f"{_FEATURE_RULE.get(feat, feat)}+role")
        else:
            if feat == "country-adjective":
                return None  # "Russian weapons": an adjective alone is no actor
            if feat == "capital" and not _capital_is_actor(sent, ch.mods[0]):
                return None
            rule = _FEATURE_RULE.get(feat, feat)
        if len(entities) > 1 and len(ch.mods) > 1:  # one name of several actors keeps its rule
            rule = "compound" if not ch.roles else rule + "+compound"
    elif ch.name:
        if ch.person is not None and not ch.roles and norm(name_text) in state.names:
            return _from_known(sent, i, j, text, state.names[norm(name_text)], "coref-surname")
        if ch.person is not None:
            ent = _person_entity(kb, ch.person, when=when, text=surface, start=start, end=end,
                                 former=ch.former)
            if ch.roles and not ch.former and sector and ent.sector in ("", "ELI"):
                ent = _entity(kb, code=ent.code, sector=sector, name=ent.name, text=surface,
                              start=start, end=end, office=office, kb_key=ent.kb_key)
            entities.append(ent)
            rule = "title+person" if ch.roles else "person-name"
        else:
            office_unit = next((u for u in ch.roles if u.hit.feature == "office"), None)
            code = ""
            kb_key = ""
            if office_unit is not None:
                entry = kb.entry(office_unit.hit.ref)
                if entry is not None:
                    code, kb_key = entry.code, entry.kb_key
            known = state.names.get(norm(name_text))
            if not code and known:
                return _from_known(sent, i, j, text, known, "coref-name")
            entities.append(_entity(kb, code=code, sector="ELI" if ch.former else sector,
                                    name=name_text, text=surface, start=start, end=end,
                                    office=office, kb_key=kb_key))
            rule = "office+name" if office_unit is not None else "title+name"
    elif ch.roles:
        office_unit = next((u for u in ch.roles if u.hit.feature == "office"), None)
        if office_unit is not None:
            entry = kb.entry(office_unit.hit.ref)
            if entry is None:
                return None
            entities.append(_entry_entity(kb, entry, sector="ELI" if ch.former else sector,
                                          text=surface, start=start, end=end, when=when,
                                          office=office))
            rule = "office-title"
        else:
            last = ch.roles[-1]
            key = norm(office) if is_title else ""
            if key and key in state.offices and not ch.former:
                return _from_known(sent, i, j, text, state.offices[key], "coref-title")
            definite = i < last.i and toks[i].text.lower() == "the"
            plural = toks[last.j - 1].tag in ("NNS", "NNPS")
            if not (plural or definite):
                return None
            if last.hit.weak and not plural:
                return None
            entities.append(_entity(kb, code="", sector="ELI" if ch.former else sector,
                                    name="", text=surface, start=start, end=end,
                                    office=office if is_title else ""))
            rule = "role-word"
    if not entities:
        return None
    head = _head(sent, i, j)
    if ch.name:
        head = _head(sent, *ch.name)
    mention = Mention(sentence=sent.index, token_start=i, token_end=j, start=start, end=end,
                      text=surface, entities=tuple(entities), rule=rule, head=head)
    _remember(mention, ch, text, sent, state, is_title, office)
    return mention


_FEATURE_RULE = {"country-name": "country-name", "capital": "capital-metonym",
                 "seat": "seat-metonym", "igo": "igo-name", "group": "group-name",
                 "imported": "imported-name",
                 "country-adjective": "country-adjective"}


def _capital_is_actor(sent: Sentence, u: _Unit) -> bool:
    """A capital stands for its government unless it is a place ("in Moscow")."""
    t = sent.tokens[u.j - 1]
    if t.dep == "pobj" and sent.tokens[t.head].text.lower() in LOCATIVE_PREPS:
        return False
    return t.dep not in ("npadvmod", "compound", "appos", "conj")


def _from_known(sent: Sentence, i: int, j: int, text: str, known: tuple[Entity, ...],
                rule: str) -> Mention:
    toks = sent.tokens
    start, end = toks[i].start, toks[j - 1].end
    surface = text[start:end]
    ents = tuple(Entity(code=e.code, sector=e.sector, name=e.name, text=surface,
                        office=e.office, wikidata=e.wikidata, kb_key=e.kb_key, cameo=e.cameo,
                        start=start, end=end) for e in known)
    return Mention(sentence=sent.index, token_start=i, token_end=j, start=start, end=end,
                   text=surface, entities=ents, rule=rule, head=_head(sent, i, j))


def _remember(m: Mention, ch: _Chain, text: str, sent: Sentence, state: _DocState,
              is_title: bool, office: str) -> None:
    for u in ch.mods:
        if u.hit.feature in ("igo", "group"):
            state.seen_entries.append(u.hit.ref)
    if ch.name and len(m.entities) == 1:
        toks = sent.tokens
        _, _, name = _surface(text, toks, *ch.name)
        words = fold(name).split()
        state.names[norm(name)] = m.entities
        if words:
            state.names[norm(words[-1])] = m.entities
    if is_title and office and len(m.entities) == 1 and m.entities[0].code and \
            (ch.name or ch.mods):
        # "Foreign Minister X", "the Turkish president": later "the minister", "the president"
        _remember_office(state, office, m.entities)
    elif len(m.entities) == 1 and m.entities[0].office and m.entities[0].code:
        _remember_office(state, m.entities[0].office, m.entities)


_TITLE_HEAD_BLOCK = frozenset({"vice", "deputy", "prime", "former", "acting", "interim",
                               "assistant", "under", "state"})


def _remember_office(state: _DocState, office: str, ents: tuple[Entity, ...]) -> None:
    """Remember who holds ``office`` in this document, under its full title and, for a
    portfolio title ("foreign minister"), under its head noun ("the minister")."""
    key = norm(office)
    state.offices[key] = ents
    words = key.split()
    if len(words) > 1 and words[0] not in _TITLE_HEAD_BLOCK and words[-1] not in ("of",):
        state.offices[words[-1]] = ents


# -- the stage -------------------------------------------------------------------------


def annotate(doc: ParsedArticle, *, kb: Any) -> Annotations:
    """Find and resolve actor mentions, objects and places in all sentences of ``doc``.

    ``kb`` is a :class:`~detente.knowledge.Knowledge` (its ``actors`` is used) or an
    :class:`~detente.actorkb.ActorKB`. Resolution dates are the publication date.
    """
    from .places import place_mentions

    akb: ActorKB = kb if isinstance(kb, ActorKB) else kb.actors
    gaz = None if isinstance(kb, ActorKB) else getattr(kb, "places", None)
    text = doc.article.text
    state = _DocState(when=doc.article.published)
    mentions: list[Mention] = []
    objects: list[ObjectMention] = []
    places: list[PlaceMention] = []
    context: set[str] = set()
    for sent in doc.sentences:
        units, objs = _lookup_units(sent, text, akb)
        objects.extend(object_mentions(sent, text, objs, akb))
        sent_mentions = _sentence_mentions(sent, text, units, akb, state)
        context.update(e.code for m in sent_mentions for e in m.entities if len(e.code) == 3)
        taken = {k for m in sent_mentions for k in range(m.token_start, m.token_end)}
        found = place_mentions(sent, text, gaz=gaz, actor_kb=akb, units=units, taken=taken,
                               context=context)
        context.update(p.place.country for p in found if p.place.country)
        places.extend(found)
        mentions.extend(sent_mentions)
    mentions.extend(_pronoun_mentions(doc, mentions, akb))
    mentions.sort(key=lambda m: (m.sentence, m.token_start))
    return Annotations(mentions=tuple(mentions), objects=tuple(objects), places=tuple(places))


def _sentence_mentions(sent: Sentence, text: str, units: list[_Unit], kb: ActorKB,
                       state: _DocState) -> list[Mention]:
    toks = sent.tokens
    units_at = {u.i: u for u in units}
    out: list[Mention] = []
    p = 0
    n = len(toks)
    while p < n:
        t = toks[p]
        ch = None
        if p in units_at or t.text.lower() in DETERMINERS | FORMER_WORDS | PRE_TITLE_SKIP:
            ch = _read_chain(sent, p, units_at, kb, state.when)
        if ch is not None and ch.end_tok > p:
            m = _build_mention(sent, text, ch, kb, state)
            if m is not None:
                out.append(m)
                p = ch.end_tok
                continue
            if p in units_at and ch.end_tok > p and not ch.mods:
                p = ch.end_tok
                continue
        if p not in units_at:
            m2 = _bare_name(sent, text, p, kb, state, units_at)
            if m2 is not None:
                out.append(m2)
                p = m2.token_end
                continue
            m3 = _collective(sent, text, p, kb, state)
            if m3 is not None:
                out.append(m3)
                p = m3.token_end
                continue
        p += 1
    return _merge_person_compounds(sent, text, out)


def _bare_name(sent: Sentence, text: str, p: int, kb: ActorKB, state: _DocState,
               units_at: dict[int, _Unit]) -> Mention | None:
    """A proper name seen earlier in the document, or a known person's surname."""
    toks = sent.tokens
    t = toks[p]
    if t.pos != "PROPN" or not t.text[:1].isupper():
        return None
    if p > 0 and toks[p - 1].pos == "PROPN" and toks[p - 1].text[:1].isupper() \
            and (p - 1) not in units_at:
        return None  # inside a longer name we do not know
    k = _name_run(sent, p, units_at)
    if k <= p:
        return None
    for end in range(k, p, -1):
        _, _, name = _surface(text, toks, p, end)
        known = state.names.get(norm(name))
        if known:
            if end < len(toks) and toks[end].pos == "PROPN" and end not in units_at:
                return None
            return _from_known(sent, p, end, text, known, "coref-surname")
    if k - p == 1 and (k >= len(toks) or toks[k].pos != "PROPN"):
        person = kb.by_surname(t.text, state.when)
        if person is not None and t.ent_type in ("PERSON", "") :
            start, end = t.start, t.end
            ent = _person_entity(kb, person, when=state.when, text=t.text, start=start, end=end)
            m = Mention(sentence=sent.index, token_start=p, token_end=p + 1, start=start,
                        end=end, text=t.text, entities=(ent,), rule="person-surname", head=p)
            state.names[norm(t.text)] = m.entities
            if ent.office and ent.code:
                _remember_office(state, ent.office, m.entities)
            return m
    return None


def _collective(sent: Sentence, text: str, p: int, kb: ActorKB, state: _DocState
                ) -> Mention | None:
    """"the alliance" after NATO, "the bloc" after the EU."""
    toks = sent.tokens
    if toks[p].text.lower() != "the" or not state.seen_entries:
        return None
    for k in range(min(4, len(toks) - p - 1), 0, -1):
        _, _, surf = _surface(text, toks, p + 1, p + 1 + k)
        refs = kb.collective.get(norm(surf))
        if not refs:
            continue
        for ref in reversed(state.seen_entries):
            if ref in refs:
                entry = kb.entry(ref)
                if entry is None:
                    return None
                start, end = toks[p].start, toks[p + k].end
                surface = text[start:end]
                ent = _entry_entity(kb, entry, sector="", text=surface, start=start, end=end,
                                    when=state.when)
                return Mention(sentence=sent.index, token_start=p, token_end=p + 1 + k,
                               start=start, end=end, text=surface, entities=(ent,),
                               rule="collective-ref", head=_head(sent, p, p + 1 + k))
        return None
    return None


def _merge_person_compounds(sent: Sentence, text: str, ms: list[Mention]) -> list[Mention]:
    """"Erdogan and Putin" -> one compound mention when two mentions are conjoined."""
    if len(ms) < 2:
        return ms
    toks = sent.tokens
    out: list[Mention] = []
    for m in ms:
        if out:
            prev = out[-1]
            between = [t.text.lower() for t in toks[prev.token_end:m.token_start]]
            if between in (["and"], [",", "and"]) and toks[m.head].dep == "conj" \
                    and toks[m.head].head == prev.head and len(prev.entities) >= 1:
                start, end = prev.start, m.end
                out[-1] = Mention(sentence=sent.index, token_start=prev.token_start,
                                  token_end=m.token_end, start=start, end=end,
                                  text=text[start:end], entities=prev.entities + m.entities,
                                  rule="compound", head=prev.head)
                continue
        out.append(m)
    return out


# -- pronouns --------------------------------------------------------------------------


def _quote_flags(doc: ParsedArticle) -> dict[int, list[bool]]:
    """Per sentence, whether each token is inside a quotation (carried across sentences)."""
    inside = False
    flags: dict[int, list[bool]] = {}
    for sent in doc.sentences:
        row = []
        for t in sent.tokens:
            if t.text in OPEN_QUOTES:
                inside = True
                row.append(False)
                continue
            if t.text in CLOSE_QUOTES:
                inside = False
                row.append(False)
                continue
            if t.text == '"':
                inside = not inside
                row.append(False)
                continue
            row.append(inside)
        flags[sent.index] = row
    return flags


def _speaker(sent: Sentence, flags: list[bool], by_head: dict[int, Mention]
             ) -> Mention | None:
    toks = sent.tokens
    for t in toks:
        if flags[t.i]:
            continue
        if t.lemma.lower() in SPEECH_LEMMAS and t.pos in ("VERB", "AUX"):
            for c in toks:
                if c.head == t.i and c.dep in ("nsubj", "nsubjpass") and not flags[c.i]:
                    m = by_head.get(c.i)
                    if m is not None:
                        return m
        if t.text.lower() == "according":
            for c in toks:
                if c.head == t.i and c.text.lower() == "to":
                    for g in toks:
                        if g.head == c.i and g.dep == "pobj":
                            m = by_head.get(g.i)
                            if m is not None:
                                return m
    return None


def _pronoun_mentions(doc: ParsedArticle, mentions: list[Mention], kb: ActorKB
                      ) -> list[Mention]:
    flags = _quote_flags(doc)
    by_sent: dict[int, list[Mention]] = {}
    for m in mentions:
        by_sent.setdefault(m.sentence, []).append(m)
    sents = list(doc.sentences)
    speakers: dict[int, Mention | None] = {}
    for s in sents:
        by_head = {m.head: m for m in by_sent.get(s.index, [])}
        for m in by_sent.get(s.index, []):
            for k in range(m.token_start, m.token_end):
                by_head.setdefault(k, m)
        speakers[s.index] = _speaker(s, flags[s.index], by_head)
    out: list[Mention] = []
    text = doc.article.text
    last_speaker: Mention | None = None
    for n, s in enumerate(sents):
        row = flags[s.index]
        has_quote = any(row)
        speaker = speakers[s.index]
        if has_quote and speaker is None:
            # a quotation that continues: look ahead (within the quote) then back
            for s2 in sents[n + 1:n + 3]:
                if speakers[s2.index] is not None and any(flags[s2.index]):
                    speaker = speakers[s2.index]
                    break
            if speaker is None and row and row[0]:
                speaker = last_speaker
        if speaker is not None:
            last_speaker = speaker
        for t in s.tokens:
            low = t.text.lower()
            if row[t.i] and speaker is not None and (
                    low in WE_WORDS and t.text != "US" and t.text != "U.S."
                    or low in I_WORDS and _is_person_mention(speaker)):
                out.append(_pronoun(s, t, speaker.entities, "quote-speaker"))
            elif low == "they" and t.dep in ("nsubj", "nsubjpass"):
                ante = _antecedent(sents, n, t, by_sent, speaker if row[t.i] else None)
                if ante is not None:
                    out.append(_pronoun(s, t, ante.entities, "pronoun-they"))
                    by_sent.setdefault(s.index, []).append(out[-1])
            elif low in HE_SHE and t.dep in ("nsubj", "nsubjpass"):
                ante = _person_antecedent(sents, n, t, by_sent,
                                          speaker if row[t.i] else None)
                if ante is not None:
                    out.append(_pronoun(s, t, ante.entities, "pronoun-person"))
                    by_sent.setdefault(s.index, []).append(out[-1])
    del text
    return out


def _person_antecedent(sents: list[Sentence], n: int, t: Token,
                       by_sent: dict[int, list[Mention]], speaker: Mention | None
                       ) -> Mention | None:
    """The person a subject "he"/"she" refers to: in the nearest of this sentence (before
    the pronoun) and the two before it that names a resolved person, the one that is a
    subject, else the last one. Inside a quotation the speaker is never the antecedent."""
    for k in (n, n - 1, n - 2):
        if k < 0:
            continue
        s = sents[k]
        people = [m for m in by_sent.get(s.index, [])
                  if (k < n or m.token_end <= t.i) and len(m.entities) == 1
                  and m.entities[0].code and _is_person_mention(m)
                  and not (speaker is not None and m.entities == speaker.entities)]
        if not people:
            continue
        people.sort(key=lambda m: m.token_start)
        subjects = [m for m in people if s.tokens[m.head].dep in ("nsubj", "nsubjpass")]
        return (subjects or people)[-1]
    return None


def _is_person_mention(m: Mention) -> bool:
    return any(e.office or (e.name and e.kb_key.startswith("people")) for e in m.entities) \
        or m.rule in ("descriptor+name", "title+name", "office+name", "coref-surname",
                      "person-surname", "title+person", "person-name")


def _pronoun(s: Sentence, t: Token, ents: tuple[Entity, ...], rule: str) -> Mention:
    new = tuple(Entity(code=e.code, sector=e.sector, name=e.name, text=t.text, office=e.office,
                       wikidata=e.wikidata, kb_key=e.kb_key, cameo=e.cameo, start=t.start,
                       end=t.end) for e in ents)
    return Mention(sentence=s.index, token_start=t.i, token_end=t.i + 1, start=t.start,
                   end=t.end, text=t.text, entities=new, rule=rule, head=t.i)


def _antecedent(sents: list[Sentence], n: int, t: Token, by_sent: dict[int, list[Mention]],
                speaker: Mention | None) -> Mention | None:
    """The most recent plural or collective actor before ``t`` in this or the previous
    sentence (never a person, never the quoted speaker)."""
    cands: list[Mention] = []
    for k in (n - 2, n - 1, n):
        if k < 0:
            continue
        s = sents[k]
        for m in by_sent.get(s.index, []):
            if k == n and m.token_end > t.i:
                continue
            cands.append(m)
    for m in reversed(cands):
        if speaker is not None and m.entities == speaker.entities:
            continue
        if _is_person_mention(m) and len(m.entities) == 1:
            continue
        if not any(e.code for e in m.entities) and m.rule != "role-word":
            continue
        s = next(x for x in sents[max(0, n - 2):n + 1] if x.index == m.sentence)
        head = s.tokens[m.head]
        if head.dep not in ("nsubj", "nsubjpass"):
            continue
        if head.tag in ("NNS", "NNPS") or len(m.entities) > 1:
            return m
    return None


# -- resolution at the event date ------------------------------------------------------


def person_of(kb: ActorKB, entity: Entity) -> Person | None:
    """The knowledge person an entity was resolved to (by its ``kb_key``), if any."""
    _, _, key = entity.kb_key.partition(":")
    p = kb.people.get(key) if key else None
    return p if p is not None and p.kb_key == entity.kb_key else None


def at_date(entities: tuple[Entity, ...], *, kb: ActorKB, published: date, when: date
            ) -> tuple[Entity, ...]:
    """Re-resolve known people (and imported dictionary actors with dated codes) at the
    event date ``when``.

    The actors stage resolves people at the publication date. An entity whose code,
    sector and office are what the knowledge gives for that person on ``published`` (so
    they came from the dated terms, not from words in the text such as "former") takes
    the role the person held on ``when`` instead: a president reported in 2021 doing
    something in 2012 gets the office held in 2012; someone who left office before the
    event is ELI; someone not yet in office has their own sector.
    """
    if when == published:
        return entities
    out: list[Entity] = []
    changed = False
    for e in entities:
        p = person_of(kb, e)
        entry = kb.entries.get(e.kb_key) if p is None and e.kb_key else None
        if entry is not None and entry.dated:  # an imported actor with dated codes
            then_code, then_sector, _ = entry.at(published)
            if (e.code, e.sector) == (then_code, then_sector):
                code, sector, cameo = entry.at(when)
                if code and (code, sector) != (e.code, e.sector):
                    e = replace(e, code=code, sector=sector, cameo=cameo)
                    changed = True
        if p is not None:
            then = kb.role_at(p, published)
            q = kb.namesake_at(p, when, e.text)
            if q is not p and (e.code, e.sector, e.office) == (then.code, then.sector,
                                                                then.office):
                # a name shared by namesakes: the one meant at the event date
                role = kb.role_at(q, when)
                out.append(replace(e, name=q.name, kb_key=q.kb_key, wikidata=q.wikidata,
                                   code=role.code, sector=role.sector, office=role.office,
                                   cameo=kb.cameo(role.code, role.sector) if role.code
                                   else ""))
                changed = True
                continue
            if (e.code, e.sector, e.office) == (then.code, then.sector, then.office):
                role = kb.role_at(p, when)
                if (role.code, role.sector, role.office) != (e.code, e.sector, e.office):
                    e = replace(e, code=role.code, sector=role.sector, office=role.office,
                                cameo=kb.cameo(role.code, role.sector) if role.code else "")
                    changed = True
        out.append(e)
    return tuple(out) if changed else entities


def events_at_date(events: Iterable[Event], *, kb: Any) -> Iterator[Event]:
    """Each event with its known people resolved at the event's own date (see
    :func:`at_date`); events whose date is unknown or the publication date pass as they
    are. ``kb`` is a :class:`~detente.knowledge.Knowledge` or an ActorKB."""
    akb: ActorKB = kb if isinstance(kb, ActorKB) else kb.actors
    for ev in events:
        if ev.date == ev.published or ev.date_precision == "unknown":
            yield ev
            continue
        actor = at_date(ev.actor, kb=akb, published=ev.published, when=ev.date)
        recipient = at_date(ev.recipient, kb=akb, published=ev.published, when=ev.date)
        if actor is ev.actor and recipient is ev.recipient:
            yield ev
        else:
            yield replace(ev, actor=actor, recipient=recipient)
