"""The events stage: parsed sentences + actor annotations in, coded events out.

The rule coder (``rules-1``) works on :class:`~detente.records.Sentence` tokens and their
dependency tree; nothing here knows any particular article, person or weapon.

1. **Triggers.** Every verb and noun is looked up by lemma in the trigger lexicon
   (:mod:`detente.lexicon`); the most specific pattern whose particle, preposition and
   object constraints hold wins. A sentence may hold several events.
2. **Content.** A trigger in the complement of a REQUEST, THREATEN, REJECT, AGREE,
   ACCUSE, CONCEDE or SUPPORT trigger ("urged Turkey *not to purchase* ...", "cautioned
   that buying more would *jeopardize ties*", "agreed to *cooperate*") is not coded on its
   own: it refines the outer event's mode/CAMEO code and becomes its ``content``.
3. **Arguments** come from the dependency structure. Actor: the subject (for xcomp/conj
   chains the governing verb's; for relative clauses the antecedent; for passives the
   ``by`` agent). Recipient: the pattern's slots in order (direct object, dative, a
   preposition's object), the passive subject, or for event nouns the possessor /
   national modifier as actor and the pattern's prepositions as recipient ("US sanctions
   on Russia"). Actor mentions (``records.Mention``) are matched by their head token
   inside the argument's core subtree (compounds, modifiers, conjuncts, "of" phrases).
   First-person subjects left unresolved inside reported speech fall back to the speaker.
4. **CONSULT convention.** Meetings, talks and calls put every participant in ``actor``
   with no recipient (PLOVER's treatment of symmetric CONSULT events); visits
   (mode ``visit``) keep the visitor as actor and the host as recipient.
5. **Factuality** (negated, hypothetical, future, historical) comes from cue words in
   the ``factuality-cues`` knowledge file; future cooperation (CONSULT, SUPPORT,
   COOPERATE, AID) is coded AGREE as PLOVER prescribes.
6. **Dates** come from :mod:`detente.temporal`. Objects and places found by the actors
   stage attach to the event whose subtree holds them.

An event is emitted only when at least one actor or recipient entity is resolved, or
when it is an attack, coercion or mobilisation carrying a weapon or platform in its own
phrase ("two firearms were seized", :data:`ARMED_BARE_TYPES`), or is a
protest (:data:`BARE_TYPES`: "thousands marched"). A pattern may name the sector of the
actor its verb implies (``actor_sector``: an arrest is made by the police); when the text
names no doer, that actor is added, marked inferred. An attack's PLOVER mode, when the
pattern gives none, comes from its weapon's category ("a grenade attack": explosives).
Behaviour changes get a new coder name in :data:`CODERS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import UnknownName
from .lexicon import Lexicon, Pattern
from .objects import assault_mode, assign_objects, object_modifier_tokens, object_token_classes
from .ontology import Ontology
from .records import (
    INFERRED_PREFIX,
    Annotations,
    Entity,
    Event,
    EventObject,
    Evidence,
    Factuality,
    Mention,
    ParsedArticle,
    Place,
    Sentence,
    Token,
)
from .temporal import resolve_event_date
from .transfers import APPROVAL_TYPES, INTENT_CAMEO, arms_objects, code_transfer

CONTENT_TYPES = frozenset({"REQUEST", "THREATEN", "REJECT", "AGREE", "ACCUSE", "CONCEDE",
                           "SUPPORT"})
"""Event types whose complement is what they are about, not a separate event."""

FUTURE_AS_AGREE = frozenset({"CONSULT", "SUPPORT", "COOPERATE", "AID", "RETREAT", "CONCEDE"})
"""PLOVER: cooperation reported in the future tense is an intention, coded AGREE (CAMEO
03x covers intents to yield, 035, as well)."""

NEGATED_AS_REJECT = frozenset({"AGREE", "CONCEDE", "RETREAT"})
"""A negated agreement or concession ("will not accept", "refused... did not release") is
a rejection: coded REJECT, with ``negated`` left False since the rejection happened."""

_CONTENT_PATH = frozenset({"xcomp", "ccomp", "csubj", "dobj", "pobj", "pcomp", "prep", "conj",
                           "acl", "attr", "oprd", "nsubjpass", "advcl"})
_BLOCKING_PREPS = frozenset({"by", "after", "before", "following", "since", "during",
                             "despite", "amid", "amidst", "in", "as", "because", "while",
                             "when", "until"})
_CORE = frozenset({"compound", "amod", "poss", "nmod", "flat", "conj", "appos", "nummod",
                   "npadvmod", "quantmod"})
_FIRST_PERSON = frozenset({"we", "i", "us", "me", "our"})
_REL_PRONOUNS = frozenset({"who", "which", "that", "whom"})
_LIGHT_PREP_VERBS = frozenset({"agree", "commit", "return", "go", "engage", "enter", "take",
                               "call", "remain", "be", "stay", "put", "place", "keep",
                               "participate", "join"})
"""Verbs whose prepositional object is the event noun ("remained on alert", "went on
strike"): the noun's actor is the verb's subject."""
_MODAL_SCOPE = frozenset({"xcomp", "ccomp", "pcomp", "pobj", "prep", "advcl", "csubj"})
_OBLIGATION = frozenset({"must", "should"})
"""Modal auxiliaries that make a reported statement a demand ("X said Y must stop")."""

# Mode and CAMEO refinements of an outer event by the type of its content (PLOVER modes
# of REQUEST/REJECT/THREATEN; CAMEO 02x/10x/12x/13x/03x sub-codes).
_CONTENT_MODE = {
    ("REQUEST", "CONSULT"): "meet", ("REQUEST", "AID"): "assist",
    ("REQUEST", "COOPERATE"): "assist", ("REQUEST", "SUPPORT"): "assist",
    ("REQUEST", "RETREAT"): "yield", ("REQUEST", "CONCEDE"): "yield",
    ("REJECT", "CONSULT"): "meet", ("REJECT", "AID"): "assist",
    ("REJECT", "COOPERATE"): "assist", ("REJECT", "SUPPORT"): "assist",
    ("REJECT", "RETREAT"): "yield", ("REJECT", "CONCEDE"): "yield",
    ("THREATEN", "ASSAULT"): "violence", ("THREATEN", "MOBILIZE"): "violence",
    ("THREATEN", "COERCE"): "restrict",
}
_CAMEO_BY_MODE = {
    ("10", "meet"): "106", ("10", "assist"): "101", ("10", "yield"): "105",
    ("02", "meet"): "026", ("02", "assist"): "021", ("02", "yield"): "025",
    ("12", "meet"): "125", ("12", "assist"): "121", ("12", "yield"): "124",
    ("13", "violence"): "138", ("13", "restrict"): "1312", ("13", "relations"): "1313",
    ("13", "arrest"): "132", ("10", "change"): "1042", ("02", "change"): "0242",
}
_AID_CAMEO = {"10": "103", "02": "023", "12": "122"}
_INTENT_CAMEO = {"CONSULT": "036", "SUPPORT": "032", "COOPERATE": "031", "AID": "033",
                 "RETREAT": "035", "CONCEDE": "035"}
_MILITARY_CAMEO = {"061": "062", "060": "062", "070": "072", "071": "072"}
_TRANSFER_INTENT = INTENT_CAMEO
"""Intent codes of military cooperation and aid (AGREE 0312, 0332)."""
BARE_TYPES = frozenset({"PROTEST"})
"""Event types coded even when neither actor nor recipient is named."""
ARMED_BARE_TYPES = frozenset({"ASSAULT", "COERCE", "MOBILIZE"})
"""Event types coded without named sides when a weapon is in the phrase of their verb (not
of a noun: "a strike means one or more engagements" describes, it does not report)."""
_NOMINAL_DEPS = frozenset({"pobj", "dobj", "nsubj", "nsubjpass"})


_MODAL_REQUEST = Pattern(key="reported-obligation", file="(rule)", pos="verb", lemma="",
                         event="REQUEST", cameo="100", recipient=("ccomp-subject",))
"""Built-in pattern: a speech verb whose complement has must/should ("said Iran must stop")."""


@dataclass(slots=True)
class _Trigger:
    i: int
    pattern: Pattern
    used: set[int] = field(default_factory=set)
    """Tokens consumed by the pattern (particle, preposition, object)."""
    content: list[_Trigger] = field(default_factory=list)
    content_root: int = -1
    suppressed: bool = False
    parent: _Trigger | None = None


class _Sent:
    """Per-sentence indexes: children, mentions by token."""

    def __init__(self, sentence: Sentence, mentions: Sequence[Mention],
                 object_classes: dict[int, str] | None = None) -> None:
        self.s = sentence
        self.toks = sentence.tokens
        self.object_classes = object_classes or {}
        """Token index -> class (``@weapon``...) of the object mention it lies in."""
        n = len(self.toks)
        children: list[list[int]] = [[] for _ in range(n)]
        for t in self.toks:
            h = t.head
            if h != t.i and 0 <= h < n:
                children[h].append(t.i)
        self.children = children
        self.lemmas = [t.lemma.lower() for t in self.toks]
        """Lower-cased lemma of each token."""
        by_token: dict[int, list[Mention]] = {}
        in_range: dict[int, list[Mention]] = {}
        for m in mentions:
            rng = range(m.token_start, m.token_end)
            if m.head >= 0:
                by_token.setdefault(m.head, []).append(m)
            else:
                for i in rng:
                    by_token.setdefault(i, []).append(m)
            for i in rng:
                in_range.setdefault(i, []).append(m)
        self.by_token = by_token
        self.in_range = in_range

    def child(self, i: int, *deps: str) -> list[int]:
        return [c for c in self.children[i] if self.toks[c].dep in deps]

    def subtree(self, i: int) -> list[int]:
        out, stack = [], [i]
        while stack:
            j = stack.pop()
            out.append(j)
            stack.extend(self.children[j])
        return out

    def mentions_at(self, i: int, *, exclude: frozenset[int] = frozenset()) -> list[Mention]:
        """Mentions for the argument headed by token ``i`` (its core subtree)."""
        direct = self.by_token.get(i) or self.in_range.get(i)
        if direct:
            return list(dict.fromkeys(direct))
        found: list[Mention] = []
        stack = [c for c in self.children[i] if c not in exclude]
        seen = {i}
        while stack:
            j = stack.pop()
            if j in seen or j in exclude:
                continue
            seen.add(j)
            dep = self.toks[j].dep
            if dep in _CORE or dep == "pobj" or (dep == "prep" and self.toks[j].lemma == "of"):
                ms = self.by_token.get(j) or self.in_range.get(j)
                if ms:
                    found.extend(ms)
                    continue
                stack.extend(self.children[j])
            elif dep == "cc":
                continue
        found.sort(key=lambda m: m.token_start)
        return list(dict.fromkeys(found))


# -- trigger matching ----------------------------------------------------------------


def _match_verb(ss: _Sent, i: int, patterns: Sequence[Pattern]) -> _Trigger | None:
    toks = ss.toks
    kids = ss.children[i]
    for p in patterns:
        used: set[int] = set()
        if p.particle:
            hit = [c for c in kids if toks[c].lemma.lower() == p.particle
                   and toks[c].dep in ("prt", "prep", "advmod", "dobj", "compound:prt")]
            if not hit:
                continue
            used.add(hit[0])
        if p.prep:
            cands = list(kids)
            for u in used:
                cands.extend(ss.children[u])
            hit = [c for c in cands if toks[c].lemma.lower() == p.prep
                   and toks[c].dep in ("prep", "prt", "dative", "agent", "advmod")]
            if not hit:
                continue
            used.add(hit[0])
        if p.objects:
            hit = [c for c in kids if toks[c].dep in ("dobj", "nsubjpass", "attr", "oprd")
                   and (toks[c].lemma.lower() in p.objects
                        or any(ss.object_classes.get(k, "") in p.objects  # "S-400 squadron"
                               for k in [c, *ss.child(c, "compound", "nmod")]))]
            if not hit:
                continue
            used.add(hit[0])
        return _Trigger(i, p, used)
    return None


def _match_noun(ss: _Sent, i: int, patterns: Sequence[Pattern]) -> _Trigger | None:
    toks = ss.toks
    kids = ss.children[i]
    for p in patterns:
        used: set[int] = set()
        if p.modifiers:
            hit = [c for c in kids if toks[c].dep in ("compound", "amod", "nmod", "npadvmod")
                   and toks[c].lemma.lower() in p.modifiers]
            if not hit:
                continue
            used.add(hit[0])
        if p.prep:
            hit = [c for c in kids if toks[c].dep == "prep" and toks[c].lemma.lower() == p.prep]
            if not hit:
                continue
            used.add(hit[0])
        return _Trigger(i, p, used)
    return None


def find_triggers(sentence: Sentence, lexicon: Lexicon, *,
                  mentions: Sequence[Mention] = (),
                  object_classes: dict[int, str] | None = None) -> list[_Trigger]:
    """All trigger matches of a sentence (before content suppression)."""
    return _triggers(_Sent(sentence, mentions, object_classes), lexicon)


def _triggers(ss: _Sent, lex: Lexicon) -> list[_Trigger]:
    found: list[_Trigger] = []
    verbs, nouns, lemmas = lex.verbs, lex.nouns, ss.lemmas
    speech: list[int] = []
    for t in ss.toks:
        pos = t.pos
        if pos == "VERB" or pos == "AUX" or (pos != "NOUN" and t.tag.startswith("VB")):
            lemma = lemmas[t.i]
            if pos == "VERB" and lemma in lex.speech:
                speech.append(t.i)
            pats = verbs.get(lemma)
            trig = _match_verb(ss, t.i, pats) if pats and pos != "AUX" else None
            if trig is None and t.dep in _NOMINAL_DEPS and t.text.lower() in nouns:
                # a gerund parsed as a verb where a noun stands: "killed in police firing"
                trig = _match_noun(ss, t.i, nouns[t.text.lower()])
            if trig:
                found.append(trig)
        elif pos == "NOUN" or pos == "PROPN":
            pats = nouns.get(lemmas[t.i])
            if pats:
                trig = _match_noun(ss, t.i, pats)
                if trig:
                    found.append(trig)
    # a reported obligation is a demand: "X said (that) Y must/should stop"
    taken = {tr.i for tr in found}
    for i in speech:
        t = ss.toks[i]
        if t.i in taken:
            continue
        for c in ss.child(t.i, "ccomp"):
            if any(ss.toks[a].dep == "aux" and ss.toks[a].text.lower() in _OBLIGATION
                   for a in ss.children[c]) and ss.child(c, "nsubj", "nsubjpass"):
                tr = _Trigger(t.i, _MODAL_REQUEST)
                found.append(tr)
                break
    found.sort(key=lambda tr: tr.i)
    # nouns consumed as a verb pattern's object ("lift sanctions", "hold talks")
    consumed = {u for tr in found if tr.pattern.pos == "verb" for u in tr.used}
    found = [tr for tr in found if tr.i not in consumed]
    by_i = {tr.i: tr for tr in found}
    for tr in found:
        cur, prev, hops = tr.i, tr.i, 0
        while hops < 5:
            tok = ss.toks[cur]
            if tok.head == cur or tok.dep not in _CONTENT_PATH:
                break
            if tok.dep == "prep" and (tok.lemma.lower() in _BLOCKING_PREPS
                                      or tok.text.lower() in _BLOCKING_PREPS):
                break
            if tok.dep == "advcl" and any(ss.toks[c].dep == "mark" and ss.toks[c].lemma.lower()
                                          not in ("that", "if", "whether")
                                          for c in ss.children[cur]):
                break
            prev, cur = cur, tok.head
            hops += 1
            outer = by_i.get(cur)
            if outer is not None and outer is not tr:
                tr.parent = outer
                if outer.pattern.event in CONTENT_TYPES and tr.pattern.event != "THREATEN" \
                        and not (tr.pattern.event in CONTENT_TYPES and
                                 ss.toks[prev].dep == "conj"):
                    tr.suppressed = True
                    clausal = ss.toks[prev].dep in ("xcomp", "ccomp", "csubj")
                    if clausal or outer.content_root == -1:
                        outer.content.insert(0 if clausal else len(outer.content), tr)
                        if clausal or outer.content_root == -1:
                            outer.content_root = prev
                    else:
                        outer.content.append(tr)
                break
    # what is inside suppressed content is content too ("buying ... would jeopardize ties")
    changed = True
    while changed:
        changed = False
        for tr in found:
            if not tr.suppressed and tr.parent is not None and tr.parent.suppressed:
                tr.suppressed = changed = True
    return found


# -- arguments -----------------------------------------------------------------------


def _subject(ss: _Sent, i: int, depth: int = 0) -> tuple[int, bool]:
    """(subject token of the clause headed by ``i`` or -1, whether passive)."""
    toks = ss.toks
    subj = ss.child(i, "nsubj", "csubj", "expl")
    if subj:
        s = subj[0]
        if toks[s].lemma.lower() in _REL_PRONOUNS and toks[i].dep == "relcl":
            return toks[i].head, False
        return s, False
    if ss.child(i, "nsubjpass"):
        agent = ss.child(i, "agent")
        if agent:
            pobj = ss.child(agent[0], "pobj")
            return (pobj[0] if pobj else -1), True
        return -1, True
    if depth > 3 or toks[i].head == i:
        return -1, False
    dep, h = toks[i].dep, toks[i].head
    if dep == "advcl" and toks[i].tag == "VBN" and not ss.child(i, "aux", "auxpass"):
        return -1, True  # "When asked about X, she said": the subject is not the asker
    if dep == "xcomp":
        obj = ss.child(h, "dobj")
        if obj and ss.toks[h].lemma.lower() not in ("promise", "vow", "pledge"):
            return obj[0], False
        return _subject(ss, h, depth + 1)
    if dep in ("conj", "advcl", "pcomp", "acomp"):
        if dep == "pcomp":
            h = toks[h].head
            if toks[h].dep == "acomp" and toks[h].head != h:
                h = toks[h].head
        return _subject(ss, h, depth + 1)
    if dep in ("acl", "relcl") and toks[h].pos == "NOUN" and toks[h].dep in ("dobj", "attr") \
            and any(toks[c].dep == "aux" and toks[c].text.lower() == "to" for c in ss.children[i]) \
            and not ss.mentions_at(h):
        # "India signed a deal to buy jets": whoever made the deal does what it says
        return _subject(ss, toks[h].head, depth + 1)
    if dep == "acl" and toks[h].pos in ("NOUN", "PROPN", "PRON"):
        return h, False
    return -1, False


def _entities(ms: Sequence[Mention]) -> tuple[Entity, ...]:
    out: dict[tuple[str, str, str], Entity] = {}
    for m in ms:
        for e in m.entities:
            out.setdefault((e.code, e.sector, e.name), e)
    return tuple(out.values())


_NON_PREP_SLOTS = frozenset({"dobj", "dative", "ccomp-subject", "poss"})
_SLOT_PREP_DEPS = frozenset({"prep", "dative", "agent", "prt", "advmod"})


def _prep_objects(ss: _Sent, i: int, tr: _Trigger) -> dict[str, list[int]]:
    """Preposition lemma -> its objects, for the prepositions on the trigger, on its
    particle or on its object (what :func:`_slot` returns for a preposition slot)."""
    toks = ss.toks
    hosts = [i, *[u for u in tr.used if toks[u].pos != "ADP"],
             *[u for u in tr.used if toks[u].dep in ("prt", "prep", "advmod")]]
    hosts.extend(c for c in ss.children[i] if toks[c].dep == "dobj")
    out: dict[str, list[int]] = {}
    for h in dict.fromkeys(hosts):
        for c in ss.children[h]:
            if toks[c].dep in _SLOT_PREP_DEPS:
                out.setdefault(toks[c].lemma.lower(), []).extend(ss.child(c, "pobj", "pcomp"))
    return out


def _slot(ss: _Sent, i: int, slot: str, tr: _Trigger, passive: bool,
          preps: dict[str, list[int]] | None = None) -> list[int]:
    """Tokens filling ``slot`` of trigger ``i``; ``preps`` is :func:`_prep_objects` when
    the caller computed it already."""
    toks = ss.toks
    kids = ss.children[i]
    if slot == "dobj":
        if passive:
            return ss.child(i, "nsubjpass")
        return [c for c in kids if toks[c].dep == "dobj" and c not in tr.used]
    if slot == "dative":
        out = []
        for c in ss.child(i, "dative"):
            out.extend(ss.child(c, "pobj") if toks[c].pos == "ADP" else [c])
        return out
    if slot == "ccomp-subject":
        out = []
        for c in ss.child(i, "ccomp"):
            out.extend(ss.child(c, "nsubj", "nsubjpass"))
        return out
    if slot == "poss":
        out = []
        for c in ss.child(i, "dobj"):
            out.extend(ss.child(c, "poss"))
        return out
    # a preposition: on the trigger, on its particle, or on its object
    if preps is None:
        preps = _prep_objects(ss, i, tr)
    return preps.get(slot, [])


def _speaker(ss: _Sent, i: int, speech: frozenset[str]) -> list[Mention]:
    cur = i
    for _ in range(4):
        tok = ss.toks[cur]
        if tok.head == cur:
            break
        dep, cur = tok.dep, tok.head
        if ss.toks[cur].lemma.lower() in speech and dep in ("ccomp", "parataxis", "conj",
                                                            "xcomp", "advcl"):
            s, _passive = _subject(ss, cur)
            return ss.mentions_at(s) if s >= 0 else []
        if dep not in ("conj", "xcomp", "ccomp", "advcl"):
            break
    return []


@dataclass(slots=True)
class _Args:
    actor: list[Mention]
    recipient: list[Mention]
    speaker_fallback: bool = False
    generic_slot: bool = False
    governor: int = -1
    multi: bool = False


def _verb_args(ss: _Sent, tr: _Trigger, lex: Lexicon) -> _Args:
    i, p = tr.i, tr.pattern
    s, passive = _subject(ss, i)
    actor = ss.mentions_at(s) if s >= 0 else []
    fallback = False
    if not actor and (s < 0 or ss.toks[s].lemma.lower() in _FIRST_PERSON
                      or ss.toks[s].text.lower() in _FIRST_PERSON):
        actor = _speaker(ss, i, lex.speech) if s >= 0 else []
        fallback = bool(actor)
    slots = list(p.recipient) or ["dobj", "dative"]
    if p.prep and p.prep not in slots:
        slots.append(p.prep)
    if passive and "dobj" not in slots:
        slots.insert(0, "dobj")
    recipient: list[Mention] = []
    actor_ids = {id(m) for m in actor}
    multi = False
    preps: dict[str, list[int]] | None = None
    for slot in slots:
        if preps is None and slot not in _NON_PREP_SLOTS:
            preps = _prep_objects(ss, i, tr)
        toks_ = _slot(ss, i, slot, tr, passive, preps)
        ms = [m for t in toks_ for m in ss.mentions_at(t) if id(m) not in actor_ids]
        if ms:
            recipient = list(dict.fromkeys(ms))
            multi = slot == "between"
            break
    if p.reverse:
        actor, recipient = recipient, actor
    return _Args(actor, recipient, fallback, not p.recipient, -1, multi)


def _noun_args(ss: _Sent, tr: _Trigger, lex: Lexicon) -> _Args:
    i, p = tr.i, tr.pattern
    toks = ss.toks
    actor: list[Mention] = []
    exclude = frozenset(tr.used)
    for c in ss.children[i]:
        if c in tr.used:
            continue
        if toks[c].dep in ("poss", "compound", "amod", "nmod"):
            actor.extend(ss.mentions_at(c))
    agent = [c for c in ss.children[i] if toks[c].dep in ("prep", "agent")
             and toks[c].lemma.lower() == "by"]
    for a in agent:
        for o in ss.child(a, "pobj"):
            actor.extend(ss.mentions_at(o))
    # the verb the noun is an argument of ("imposed sanctions", "held talks")
    gov = -1
    cur = i
    for _ in range(3):
        tok = toks[cur]
        if tok.head == cur:
            break
        if tok.dep in ("dobj", "attr", "nsubjpass", "oprd", "conj", "appos"):
            cur = tok.head
            if toks[cur].pos in ("VERB", "AUX"):
                gov = cur
                break
            continue
        if tok.dep == "pobj" and toks[tok.head].dep == "prep" and \
                toks[tok.head].lemma.lower() in ("to", "for", "into", "in", "on"):
            cur = toks[tok.head].head
            if toks[cur].pos in ("VERB", "AUX") and toks[cur].lemma.lower() in _LIGHT_PREP_VERBS:
                gov = cur
            break
        break
    fallback = False
    if not actor and gov >= 0:
        s, _passive = _subject(ss, gov)
        actor = ss.mentions_at(s) if s >= 0 else []
        if not actor and (s < 0 or toks[s].lemma.lower() in _FIRST_PERSON):
            actor = _speaker(ss, gov, lex.speech) if s >= 0 else []
            fallback = bool(actor)
    actor = list(dict.fromkeys(actor))
    actor_ids = {id(m) for m in actor}
    recipient: list[Mention] = []
    multi = False
    hosts = [i] + ([gov] if gov >= 0 else [])
    for c in ss.child(i, "prep"):  # "the purchase of the S-400 from Russia"
        if toks[c].lemma.lower() == "of":
            hosts.extend(ss.child(c, "pobj"))
    for slot in p.recipient:
        ms: list[Mention] = []
        for h in hosts:
            for c in ss.children[h]:
                if toks[c].dep in ("prep", "dative") and toks[c].lemma.lower() == slot:
                    for o in ss.child(c, "pobj", "pcomp"):
                        ms.extend(m for m in ss.mentions_at(o, exclude=exclude)
                                  if id(m) not in actor_ids)
            if ms:
                break
        if ms:
            recipient = list(dict.fromkeys(ms))
            multi = slot == "between"
            break
    if multi:
        actor, recipient = [*actor, *recipient], []
    if p.reverse:
        actor, recipient = recipient, actor
    return _Args(actor, recipient, fallback, False, gov, multi)


# -- factuality ----------------------------------------------------------------------


def _factuality(ss: _Sent, tr: _Trigger, gov: int, lex: Lexicon) -> tuple[bool, bool, bool, bool]:
    """(negated, hypothetical, future, pluperfect)."""
    toks = ss.toks
    cues = lex.cues
    neg = hyp = fut = plup = False
    heads = [tr.i] + ([gov] if gov >= 0 else [])
    for h in heads:
        for c in ss.children[h]:
            t = toks[c]
            w = t.text.lower()
            lemma = t.lemma.lower()
            for role in (t.dep,):
                kind = cues.get((role, w)) or cues.get((role, lemma))
                if kind == "negation":
                    neg = True
                elif kind == "hypothetical":
                    hyp = True
                elif kind == "future":
                    fut = True
            if t.dep in ("aux", "auxpass"):
                kind = cues.get(("aux", w)) or cues.get(("aux", lemma))
                if kind == "hypothetical":
                    hyp = True
                elif kind == "future":
                    fut = True
                elif kind == "negation":
                    neg = True
                if lemma == "have" and t.tag == "VBD" and toks[h].tag == "VBN":
                    plup = True
        # governing verb through xcomp ("plans to meet", "failed to agree")
        cur = h
        for _ in range(2):
            tok = toks[cur]
            if tok.dep != "xcomp" or tok.head == cur:
                break
            cur = tok.head
            kind = cues.get(("governor", toks[cur].lemma.lower()))
            if kind == "negation":
                neg = True
            elif kind == "hypothetical":
                hyp = True
            elif kind == "future":
                fut = True
            if any(toks[c].dep == "neg" for c in ss.children[cur]) and kind:
                neg = not neg if kind == "negation" else neg
        # the clause's subordinator ("if they attack")
        cur = h
        for _ in range(3):
            mk = [c for c in ss.children[cur] if toks[c].dep == "mark"]
            if any(cues.get(("mark", toks[c].lemma.lower())) == "hypothetical" for c in mk):
                hyp = True
                break
            if toks[cur].dep not in ("conj", "xcomp") or toks[cur].head == cur:
                break
            cur = toks[cur].head
    if gov >= 0 and toks[gov].lemma.lower() and cues.get(("governor", toks[gov].lemma.lower())) \
            == "hypothetical":
        hyp = True
    # modality of the clauses above ("will allow Russia to sharpen its skills at targeting")
    cur = heads[-1]
    for _ in range(4):
        tok = toks[cur]
        if tok.head == cur or tok.dep not in _MODAL_SCOPE:
            break
        if tok.dep == "advcl" and ss.child(cur, "mark"):
            break  # "if they attack, ... will": the clause has its own modality
        cur = tok.head
        if toks[cur].lemma.lower() in lex.speech:
            break
        for c in ss.children[cur]:
            if toks[c].dep in ("aux", "auxpass"):
                kind = cues.get(("aux", toks[c].text.lower())) or cues.get(
                    ("aux", toks[c].lemma.lower()))
                if kind == "hypothetical":
                    hyp = True
                elif kind == "future":
                    fut = True
    # "said it would release them": future in the past, not a hypothesis
    if hyp and not fut and _reported(ss, tr.i, lex.speech) and any(
            toks[c].dep == "aux" and toks[c].lemma.lower() == "would"
            for h in heads for c in ss.children[h]) and not any(
            toks[c].dep == "mark" and toks[c].lemma.lower() == "if"
            for h in heads for c in ss.children[h]):
        hyp, fut = False, True
    return neg, hyp, fut, plup


def _reported(ss: _Sent, i: int, speech: frozenset[str]) -> bool:
    """Whether token ``i`` heads (or sits in) the complement of a speech verb."""
    cur = i
    for _ in range(3):
        tok = ss.toks[cur]
        if tok.head == cur:
            return False
        if tok.dep == "ccomp" and ss.toks[tok.head].lemma.lower() in speech:
            return True
        if tok.dep not in ("conj", "xcomp", "ccomp"):
            return False
        cur = tok.head
    return False


# -- events --------------------------------------------------------------------------


def _event_key(article_id: str, sent: int, trig: int, etype: str, actor: Sequence[Entity],
               recipient: Sequence[Entity]) -> str:
    return "|".join((article_id, str(sent), str(trig), etype,
                     ",".join(sorted(e.cameo or e.code for e in actor)),
                     ",".join(sorted(e.cameo or e.code for e in recipient))))


def _event_id(article_id: str, sent: int, trig: int, etype: str, actor: Sequence[Entity],
              recipient: Sequence[Entity]) -> str:
    key = _event_key(article_id, sent, trig, etype, actor, recipient)
    return "e" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _content_text(ss: _Sent, root: int, limit: int = 14) -> str:
    idx = sorted(ss.subtree(root))
    toks = ss.toks
    idx = [j for j in idx if toks[j].dep != "punct" or toks[j].text in "-'’"]
    if not idx:
        return ""
    first = idx[0]
    while first in idx and toks[first].dep in ("mark", "aux") and toks[first].text.lower() in (
            "to", "that"):
        idx.remove(first)
        if not idx:
            return ""
        first = idx[0]
    idx = idx[:limit]
    a, b = toks[idx[0]].start, toks[idx[-1]].end
    off = ss.s.start
    return " ".join(ss.s.text[a - off:b - off].split())


def _refine(ss: _Sent, tr: _Trigger, ont: Ontology) -> tuple[str, str, str, list[str]]:
    """(event type, mode, cameo, contexts) of a trigger given its content."""
    p = tr.pattern
    etype, mode, cameo = p.event, p.mode, p.cameo
    ctx = list(p.context)
    if not tr.content:
        return etype, mode, cameo, ctx
    inner = tr.content[0].pattern
    for c in inner.context:
        if c not in ctx and c in ont.contexts:
            ctx.append(c)
    root = cameo[:2]
    if etype == "THREATEN" and not mode:
        if inner.event == "SANCTION":
            mode = "relations" if inner.mode in ("discontinue", "withdraw", "expel") \
                else "restrict"
        elif inner.event == "COERCE" and inner.mode == "arrest":
            mode = "arrest"
        else:
            mode = _CONTENT_MODE.get((etype, inner.event), "")
        if mode and (root, mode) in _CAMEO_BY_MODE and len(cameo) == 3 and cameo.endswith("0"):
            cameo = _CAMEO_BY_MODE[(root, mode)]
    elif etype in ("REQUEST", "REJECT"):
        if not mode:
            negative = any(ss.toks[c].dep == "neg" for c in ss.children[tr.content[0].i])
            # "urged X not to buy": a demand to change course, not for cooperation
            mode = "change" if negative and etype == "REQUEST" else \
                _CONTENT_MODE.get((etype, inner.event), "")
        if cameo in ("100", "020", "120"):
            if inner.event == "AID" and root in _AID_CAMEO:
                cameo = _AID_CAMEO[root]
            elif (root, mode) in _CAMEO_BY_MODE:
                cameo = _CAMEO_BY_MODE[(root, mode)]
    elif etype == "AGREE" and cameo == "030" and inner.event in _INTENT_CAMEO:
        cameo = _INTENT_CAMEO[inner.event]
    if mode and not ont.is_mode(etype, mode):
        mode = ""
    if cameo not in ont.cameo:
        cameo = p.cameo
    return etype, mode, cameo, ctx


def _confidence(tr: _Trigger, args: _Args, requires_recipient: bool) -> float:
    c = 0.4
    if args.actor:
        c += 0.15
    if args.recipient or args.multi:
        c += 0.15
    c += 0.05 * min(2, tr.pattern.specificity)
    if tr.pattern.pos == "noun":
        c -= 0.1
    if args.speaker_fallback:
        c -= 0.05
    if args.generic_slot and args.recipient:
        c -= 0.05
    if requires_recipient and not args.recipient:
        c -= 0.1
    if tr.content:
        c += 0.05
    return round(min(0.95, max(0.05, c)), 3)


@dataclass(slots=True)
class _Narrative:
    """The last explicit event time of the article so far (reference time)."""

    sentence: int = -1
    historical: bool = False


NARRATIVE_SPAN = 4
"""How many sentences an explicit historical time ("in 2017") carries forward to
past-tense narration without its own time expression."""


def _in_quote(ss: _Sent, i: int) -> bool:
    before = ss.s.text[: ss.toks[i].start - ss.s.start]
    return (before.count("\u201c") > before.count("\u201d")) or before.count('"') % 2 == 1


def _code_sentence(doc: ParsedArticle, sentence: Sentence, ann_m: Sequence[Mention],
                   objects: Sequence[Any], places: Sequence[Any], kb: Any,
                   coder: str, narrative: _Narrative | None = None,
                   find: Callable[[_Sent], list[_Trigger]] | None = None,
                   sent: _Sent | None = None, hashed_ids: bool = True) -> Iterator[Event]:
    """Events of one sentence; ``find`` replaces the lexicon's trigger search (the
    learned coders' fallback anchors an event at a verb the lexicon does not know);
    ``sent`` is the sentence's index when the caller built it already (same mentions);
    with ``hashed_ids`` false an event's id is its unhashed key (a caller that retypes the
    event gives it its id)."""
    lex: Lexicon = kb.lexicon
    ont: Ontology = kb.ontology
    art = doc.article
    ss = sent if sent is not None else _Sent(sentence, ann_m,
                                             object_token_classes(objects, kb))
    triggers = _triggers(ss, lex) if find is None else find(ss)
    inside = object_modifier_tokens(sentence, objects)  # "attack helicopters": no attack
    live = [tr for tr in triggers if not tr.suppressed and tr.i not in inside]
    if not live:
        return
    live_idx = {tr.i for tr in live}
    coded: list[tuple[_Trigger, _Args, tuple[Entity, ...], tuple[Entity, ...]]] = []
    bare: list[tuple[_Trigger, _Args, tuple[Entity, ...], tuple[Entity, ...]]] = []
    for tr in live:
        p = tr.pattern
        args = _verb_args(ss, tr, lex) if p.pos == "verb" else _noun_args(ss, tr, lex)
        if not args.recipient and tr.content:
            # "agreed to cooperate with Turkey": the content's recipient
            inner = tr.content[0]
            inner_args = (_verb_args(ss, inner, lex) if inner.pattern.pos == "verb"
                          else _noun_args(ss, inner, lex))
            ids = {id(m) for m in args.actor}
            args.recipient = [m for m in inner_args.recipient if id(m) not in ids]
        actor = _entities(args.actor)
        recipient = _entities(args.recipient)
        if not actor and p.actor_sector and (p.pos == "noun" or _agentless(ss, tr.i)):
            actor = (_implied_actor(p, kb),)  # "five men were arrested": by the police
        (coded if actor or recipient else bare).append((tr, args, actor, recipient))
    if bare:
        # no actor or recipient, but still an event: a protest (its actor is the
        # protesters: "thousands marched"), or an attack, seizure or deployment verb with a
        # weapon in its phrase ("two firearms were seized", "a grenade attack killed four")
        protests = [b for b in bare if b[0].pattern.event in BARE_TYPES]
        armed = [b for b in bare if b[0].pattern.event in ARMED_BARE_TYPES
                 and b[0].pattern.pos == "verb" and b not in protests]
        if armed and objects:
            first = assign_objects(sentence, [c[0].i for c in coded + armed], objects)
            armed = [b for b in armed
                     if arms_objects([o.object for o in first.get(b[0].i, ())], kb)]
        else:
            armed = []
        if protests or armed:
            coded = sorted(coded + protests + armed, key=lambda c: c[0].i)
    # objects go to the events actually coded (a dropped trigger's pass to its governor)
    owned = assign_objects(sentence, [c[0].i for c in coded], objects) if objects else {}
    seen_ids: set[str] = set()
    for tr, args, actor, recipient in coded:
        p = tr.pattern
        etype, mode, cameo, ctx = _refine(ss, tr, ont)
        for c in ss.children[tr.i]:  # "military cooperation", "economic sanctions"
            lem = ss.toks[c].lemma.lower()
            if ss.toks[c].dep == "amod" and lem in ont.contexts and lem not in ctx:
                ctx.append(lem)
        neg, hyp, fut, plup = _factuality(ss, tr, args.governor, lex)
        # CONSULT: all participants are actors, except for visits (visitor -> host)
        if etype == "CONSULT" and mode != "visit" and recipient:
            keys = {(e.code, e.sector, e.name) for e in actor}
            actor = actor + tuple(e for e in recipient if (e.code, e.sector, e.name) not in keys)
            recipient = ()
        # places inside the trigger's own subtree
        place: Place | None = None
        if places:
            sub = set(ss.subtree(tr.i))
            for other in live_idx - {tr.i}:
                if other in sub:
                    sub -= set(ss.subtree(other))
            sub |= {tr.i}
            place = next((pl.place for pl in places if pl.token_start in sub), None)
        by_name: dict[tuple[str, str], EventObject] = {}
        for o in owned.get(tr.i, ()):  # one object per system ("IED", "VBIED": one class)
            by_name.setdefault((o.object.name, o.object.kb_key), o.object)
        objs = tuple(by_name.values())
        # arms purchases and transfers: buyer, seller and system (detente.transfers)
        role = p.transfer
        if not role and tr.content and etype in APPROVAL_TYPES | {"AGREE"}:
            role = tr.content[0].pattern.transfer
        deal = code_transfer(role, event=p.event if p.transfer else etype, actor=actor,
                             recipient=recipient, objects=objs, kb=kb) if role and objs else None
        if deal is not None:
            actor, recipient = deal.actor, deal.recipient
            if etype == "AGREE":
                cameo = _TRANSFER_INTENT.get(deal.event, cameo)
            else:
                etype, mode, cameo = deal.event, "", deal.cameo
            ctx = [c for c in ctx if c != "economic"] + ["military"] * ("military" not in ctx)
        elif objs and etype in ("COOPERATE", "AID") and arms_objects(objs, kb):
            if "military" not in ctx:
                ctx.append("military")
            cameo = _MILITARY_CAMEO.get(cameo, cameo)
        elif objs and etype == "ASSAULT" and not mode:
            # the weapon says how: "a grenade attack" (explosives), "shelled" (heavy weapons)
            mode = assault_mode(objs, kb)
        content = ""
        if tr.content_root >= 0:
            content = _content_text(ss, tr.content_root)
        elif etype in ("REQUEST", "REJECT", "AGREE", "THREATEN"):
            comp = ss.child(tr.i, "xcomp", "ccomp")
            if comp:
                content = _content_text(ss, comp[0])
        # a refusal: "will not accept", "did not agree to" (PLOVER REJECT)
        if neg and etype in NEGATED_AS_REJECT:
            yield_ = etype != "AGREE"
            etype, mode = "REJECT", ("yield" if yield_ else "")
            cameo = "124" if yield_ else "120"
            neg = False
        if fut and etype in FUTURE_AS_AGREE:
            cameo = (_TRANSFER_INTENT.get(etype) if "military" in ctx else None) or \
                _INTENT_CAMEO.get(etype, "030")
            etype, mode = "AGREE", ""
        if cameo not in ont.cameo:
            cameo = p.cameo
        res = resolve_event_date(sentence, tr.i, art.published, future=fut, speech=lex.speech)
        historical = res.historical or plup
        precision = res.precision
        if res.basis == "text":
            if narrative is not None and not _reported(ss, tr.i, lex.speech):
                narrative.sentence, narrative.historical = sentence.index, res.historical
        elif (narrative is not None and narrative.historical and tok_tag(ss, tr.i) == "VBD"
              and 0 < sentence.index - narrative.sentence <= NARRATIVE_SPAN
              and not _reported(ss, tr.i, lex.speech) and not _in_quote(ss, tr.i)):
            # past narration continuing an explicitly historical passage: before the
            # report, day unknown
            historical, precision = True, "unknown"
        eid = _event_key(art.id, sentence.index, tr.i, etype, actor, recipient)
        if hashed_ids:
            eid = "e" + hashlib.sha256(eid.encode()).hexdigest()[:16]
        if eid in seen_ids:
            continue
        seen_ids.add(eid)
        tok: Token = ss.toks[tr.i]
        yield Event(
            id=eid,
            article_id=art.id,
            event_type=etype,
            cameo=cameo,
            goldstein=ont.goldstein(cameo),
            quad_class=ont.quad_class(etype),
            intensity=ont.intensity(etype, mode),
            date=res.date,
            date_precision=precision,
            date_basis="text" if res.basis == "text" else "publication",
            date_text=res.text,
            published=art.published,
            actor=actor,
            recipient=recipient,
            evidence=Evidence(sentence=sentence.text, sentence_index=sentence.index,
                              start=sentence.start, end=sentence.end, trigger=tok.text,
                              trigger_start=tok.start, trigger_end=tok.end, url=art.url),
            mode=(mode,) if mode else (),
            context=tuple(ctx),
            objects=objs,
            location=place,
            factuality=Factuality(negated=neg, hypothetical=hyp, future=fut,
                                  historical=historical),
            confidence=_confidence(tr, args, ont.event_types[etype].requires_recipient),
            content=content,
            coder=coder,
            kb_version=getattr(kb, "version", ""),
        )


def _agentless(ss: _Sent, i: int) -> bool:
    """Whether the clause of verb ``i`` names no doer (no subject, or a passive without
    a ``by`` agent)."""
    s, passive = _subject(ss, i)
    return s < 0 or (passive and not ss.child(i, "agent"))


def _implied_actor(p: Pattern, kb: Any) -> Entity:
    """The actor a pattern implies (``actor_sector``), marked inferred."""
    akb = getattr(kb, "actors", None)
    info = akb.sectors.get(p.actor_sector) if akb is not None else None
    return Entity(code="", sector=p.actor_sector, name=info.name if info else p.actor_sector,
                  kb_key=f"{INFERRED_PREFIX}{p.ref}", cameo=info.cameo if info else "")


def tok_tag(ss: _Sent, i: int) -> str:
    """Penn tag of the trigger's clause verb (a noun trigger: its governing verb)."""
    t = ss.toks[i]
    if t.pos in ("NOUN", "PROPN") and t.head != i and t.dep in ("dobj", "nsubjpass", "attr"):
        t = ss.toks[t.head]
    return t.tag


def by_sentence(ann: Annotations) -> tuple[dict[int, list[Mention]], dict[int, list[Any]],
                                           dict[int, list[Any]]]:
    """The actors stage's mentions, objects and places grouped by sentence index."""
    mentions: dict[int, list[Mention]] = {}
    for m in ann.mentions:
        mentions.setdefault(m.sentence, []).append(m)
    objects: dict[int, list[Any]] = {}
    for o in ann.objects:
        objects.setdefault(o.sentence, []).append(o)
    places: dict[int, list[Any]] = {}
    for pl in ann.places:
        places.setdefault(pl.sentence, []).append(pl)
    return mentions, objects, places


def _code_rules_1(doc: ParsedArticle, ann: Annotations, *, kb: Any,
                  model: Any = None) -> Iterator[Event]:
    narrative = _Narrative()
    mentions, objects, places = by_sentence(ann)
    bare = _bare_lemmas(kb.lexicon)
    for sentence in doc.sentences:
        ms = mentions.get(sentence.index)
        objs = objects.get(sentence.index, ())
        # a sentence without actors can still hold an event: a weapon's ("a bomb went
        # off"), a protest ("thousands marched"), an arrest ("five men were arrested")
        if not ms and not objs and not any(t.lemma.lower() in bare for t in sentence.tokens):
            continue
        yield from _code_sentence(doc, sentence, ms or [], objs,
                                  places.get(sentence.index, ()), kb, "rules-1", narrative)


_BARE_LEMMAS: dict[int, tuple[Lexicon, frozenset[str]]] = {}


def _bare_lemmas(lex: Lexicon) -> frozenset[str]:
    """Trigger lemmas that may make an event with no actor mention (cached per lexicon)."""
    hit = _BARE_LEMMAS.get(id(lex))
    if hit is not None and hit[0] is lex:
        return hit[1]
    lemmas = frozenset(lemma for table in (lex.verbs, lex.nouns)
                       for lemma, pats in table.items()
                       if any(p.event in BARE_TYPES or p.actor_sector for p in pats))
    _BARE_LEMMAS[id(lex)] = (lex, lemmas)
    return lemmas


def _code_petrarch_1(doc: ParsedArticle, ann: Annotations, *, kb: Any,
                     model: Any = None) -> Iterator[Event]:
    from .dictcoder import code_article  # imported PETRARCH dictionaries (kb import-petrarch)

    return code_article(doc, ann, kb=kb)


def _code_learned_1(doc: ParsedArticle, ann: Annotations, *, kb: Any,
                    model: Any = None) -> Iterator[Event]:
    from .hybrid import code_hybrid

    return code_hybrid(doc, ann, kb=kb, coder="learned-1", model_name="plover_learned",
                       model=model, rule_features=False)


def _code_combined_1(doc: ParsedArticle, ann: Annotations, *, kb: Any,
                     model: Any = None) -> Iterator[Event]:
    from .hybrid import code_hybrid

    return code_hybrid(doc, ann, kb=kb, coder="combined-1", model_name="plover_combined",
                       model=model, rule_features=True)


CODERS: dict[str, Callable[..., Iterator[Event]]] = {
    "rules-1": _code_rules_1,
    "learned-1": _code_learned_1,
    "combined-1": _code_combined_1,
    "petrarch-1": _code_petrarch_1,
}
"""Versioned coders by name. A behaviour change gets a new name; old names stay."""

DEFAULT_CODER = "rules-1"


def check_coder(coder: str) -> Callable[..., Iterator[Event]]:
    """The coder function named ``coder``; :class:`~detente.errors.UnknownName` listing
    the others if there is none."""
    fn = CODERS.get(coder)
    if fn is None:
        raise UnknownName(f"unknown coder {coder!r}", hint=f"coders: {', '.join(sorted(CODERS))}",
                          name=coder, kind="coder")
    return fn


def code_events(doc: ParsedArticle, ann: Annotations, *, kb: Any,
                coder: str = DEFAULT_CODER, model: Any = None) -> Iterator[Event]:
    """Code the events of one parsed, annotated article with the named coder.

    ``model`` replaces a learned coder's packaged model (evaluation passes the
    cross-validation fold model that did not see the text); rule coders ignore it.
    Raises :class:`~detente.errors.UnknownName` for a coder not in :data:`CODERS`.
    """
    from .actors import events_at_date

    fn = check_coder(coder)
    return events_at_date(fn(doc, ann, kb=kb, model=model), kb=kb)
