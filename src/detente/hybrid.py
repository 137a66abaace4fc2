"""The learned and combined coders: rule-coder candidates typed by a learned model.

The rule coder (:mod:`detente.events`, ``rules-1``) decides *where* events are and *who*
takes part; a learned model (:mod:`detente.learned`) decides *what* they are. Per sentence:

1. **Candidates.** The rule coder runs with two relaxations. Noun phrases in argument
   positions that the actors stage left unresolved ("the Munich regional court",
   "a convoy") become *open* arguments (:func:`open_mentions`: an entity with the surface
   text and no code), so an event is not lost because one side is not in the knowledge
   base. A sentence where no lexicon trigger yields an event gets one **fallback**
   candidate anchored at its main verb, with the verb's subject as actor and its object
   (or prepositional object) as recipient.
2. **Types.** Every candidate gets a probability for each PLOVER root type from a
   softmax-regression model over hashed features of the sentence and of the candidate
   (:func:`detente.learned.event_features`: trigger lemma, the rule coder's type and
   CAMEO code, the verbs governing actor and recipient, their sectors, factuality).
   The most probable type wins. ``combined-1`` uses the model trained with the rule
   coder's features; ``learned-1`` one trained on the sentence and argument features
   alone (the rule coder then only finds events and arguments).
3. **Codes.** A type the rule coder agrees with keeps the rule's CAMEO code, mode and
   contexts; another type takes the trigger's own lexicon pattern for that type if it has
   one, else the type's base CAMEO code (:func:`base_cameo`). ``YIELD`` (the training
   data's pre-2021 type) becomes ``RETREAT`` for withdrawal verbs and ``CONCEDE`` otherwise.
4. **Confidence** is the model's probability of the chosen type after temperature scaling
   fitted on cross-validated predictions (so it is calibrated on held-out rows).
   Candidates with only open arguments and fallback candidates are kept only when that
   probability reaches :data:`MIN_OPEN_CONFIDENCE`.

Nothing here is keyed on any gold sentence or article: the features are generic parse
and lexicon properties, and the models are trained by ``scripts/train_learned.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .events import (
    FUTURE_AS_AGREE,
    _code_sentence,
    _event_id,
    _Narrative,
    _Sent,
    _Trigger,
    by_sentence,
)
from .learned import (
    RETREAT_LEMMAS,
    EventModel,
    SentenceView,
    event_features,
    load_event_model,
    sentence_base_features,
)
from .lexicon import Lexicon, Pattern
from .objects import object_token_classes
from .ontology import Ontology
from .records import Annotations, Entity, Event, Mention, ParsedArticle, Sentence

OPEN_ENT_TYPES = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"})
"""spaCy entity labels whose unresolved spans may be open arguments."""

OPEN_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "dative", "attr", "appos",
                       "conj", "poss", "agent", "oprd"})
"""Dependency labels of a noun phrase's head that make it an argument candidate."""

OPEN_RULE = "open"
"""``Mention.rule`` of an open (unresolved) argument."""

MIN_OPEN_CONFIDENCE = 0.0
"""Calibrated probability a candidate needs when it has only open arguments or is a
fallback (the default keeps them all; raise it for precision)."""

FALLBACK = Pattern(key="(fallback)", file="(learned)", pos="verb", lemma="",
                   event="REQUEST", cameo="100",
                   recipient=("dobj", "dative", "with", "against", "to", "on", "from",
                              "into", "for", "at", "over"))
"""The pattern of a fallback candidate. Its provisional type is never reported: the
model's type replaces it (and the feature set marks the candidate as a fallback)."""


def open_mentions(sentence: Sentence, mentions: Sequence[Mention]) -> list[Mention]:
    """Noun phrases in argument positions that no actor mention covers, as mentions with
    one uncoded entity (surface text and offsets only)."""
    toks = sentence.tokens
    n = len(toks)
    blocked = bytearray(n + 1)
    """1 where a token is covered by an actor mention or an open mention already taken."""
    for m in mentions:
        a, b = max(m.token_start, 0), min(m.token_end, n)
        if a < b:
            blocked[a:b] = b"\x01" * (b - a)
    spans = [(c.start, c.end) for c in sentence.noun_chunks]
    spans += [(e.start, e.end) for e in sentence.entities if e.label in OPEN_ENT_TYPES]
    if len(spans) > 1:
        spans.sort(key=lambda ab: (ab[0], ab[0] - ab[1]))
    out: list[Mention] = []
    for a, b in spans:
        if a >= b or blocked.find(1, a, b) >= 0:
            continue
        head = a
        for i in range(a, b):
            h = toks[i].head
            if not a <= h < b or h == i:
                head = i
                break
        t = toks[head]
        if t.pos == "PRON" or t.dep not in OPEN_DEPS or t.like_num:
            continue
        while a < b and toks[a].pos in ("DET", "PUNCT"):
            a += 1
        if a >= b:
            continue
        start, end = toks[a].start, toks[b - 1].end
        text = sentence.text[start - sentence.start:end - sentence.start]
        ent = Entity(code="", name=text, text=text, start=start, end=end)
        out.append(Mention(sentence=sentence.index, token_start=a, token_end=b, start=start,
                           end=end, text=text, entities=(ent,), rule=OPEN_RULE, head=head))
        blocked[a:b] = b"\x01" * (b - a)
    return out


def _main_verb(ss: _Sent) -> int:
    toks = ss.toks
    root = next((t.i for t in toks if t.dep == "ROOT"), -1)
    if root < 0:
        return -1
    if toks[root].pos in ("VERB", "AUX"):
        return root
    # a nominal root ("Talks between X and Y in Geneva"): the first verb under it
    for t in toks:
        if t.pos == "VERB" and t.head == root:
            return t.i
    return root


_FALLBACKS: dict[str, Pattern] = {}


def _fallback(ss: _Sent) -> list[_Trigger]:
    i = _main_verb(ss)
    if i < 0:
        return []
    lemma = ss.toks[i].lemma.lower()
    pat = _FALLBACKS.get(lemma)
    if pat is None:
        if len(_FALLBACKS) > 20_000:
            _FALLBACKS.clear()
        pat = _FALLBACKS[lemma] = dataclasses.replace(FALLBACK, lemma=lemma)
    return [_Trigger(i, pat)]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule-coder event before typing."""

    sentence: Sentence
    event: Event
    fallback: bool
    view: SentenceView | None = field(default=None, compare=False, repr=False)
    """The sentence's feature view, shared by the sentence's candidates."""


def candidates(doc: ParsedArticle, ann: Annotations, *, kb: Any,
               coder: str, open_only: bool = True, ids: bool = True
               ) -> Iterator[Candidate]:
    """The relaxed rule coder's events of one article (open arguments, fallbacks).

    With ``open_only`` false, a sentence without any resolved actor mention has no
    candidates (open noun phrases only fill the other side of an event: about half the
    candidates and twice the speed on news, but a quarter of zsp-aw's sentences
    uncovered). With ``ids`` false the candidates' ids are unhashed keys (the caller
    retypes them and gives them their ids)."""
    narrative = _Narrative()
    by_sent, objects, places = by_sentence(ann)
    for sentence in doc.sentences:
        ms = by_sent.get(sentence.index)
        if not ms and not open_only:
            continue  # no participant the actors stage knows: no event (as rules-1)
        ms = [*(ms or ()), *open_mentions(sentence, ms or ())]
        if not ms:
            continue
        objs, pls = objects.get(sentence.index, ()), places.get(sentence.index, ())
        ss = _Sent(sentence, ms, object_token_classes(objs, kb) if objs else None)
        evs = list(_code_sentence(doc, sentence, ms, objs, pls, kb, coder, narrative, sent=ss,
                                  hashed_ids=ids))
        if not evs:
            evs = list(_code_sentence(doc, sentence, ms, objs, pls, kb, coder, narrative,
                                      find=_fallback, sent=ss, hashed_ids=ids))
            fallback = True
        else:
            fallback = False
        if evs:
            view = SentenceView(sentence, children=ss.children)
            for ev in evs:
                yield Candidate(sentence, ev, fallback, view)


_BASE: dict[int, tuple[Ontology, dict[str, str]]] = {}


def base_cameo(ont: Ontology) -> dict[str, str]:
    """Each PLOVER type's base CAMEO code: the root (``NN0``) that CAMEO2PLOVER maps to it
    most often (computed once per ontology)."""
    hit = _BASE.get(id(ont))
    if hit is not None and hit[0] is ont:
        return hit[1]
    counts: dict[str, dict[str, int]] = {}
    for code, mp in ont.cameo_to_plover.items():
        root = code[:2]
        counts.setdefault(mp.event, {}).setdefault(root, 0)
        counts[mp.event][root] += 1
    out: dict[str, str] = {}
    for etype, roots in counts.items():
        root = max(sorted(roots), key=roots.__getitem__)
        code = root + "0"
        out[etype] = code if code in ont.cameo else root
    _BASE[id(ont)] = (ont, out)
    return out


def _trigger_lemma(cand: Candidate) -> str:
    ev = cand.event
    if cand.view is not None:
        t = cand.view.by_start.get(ev.evidence.trigger_start)
        return t.lemma.lower() if t is not None else ev.evidence.trigger.lower()
    for t in cand.sentence.tokens:
        if t.start == ev.evidence.trigger_start:
            return t.lemma.lower()
    return ev.evidence.trigger.lower()


_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))


def _replace(ev: Event, **changes: Any) -> Event:
    """``dataclasses.replace`` for events, without its per-call field introspection."""
    kw = {name: getattr(ev, name) for name in _EVENT_FIELDS}
    kw.update(changes)
    return Event(**kw)


def _is_open(entities: Sequence[Entity]) -> bool:
    return all(not e.code and not e.sector for e in entities)


def retype(cand: Candidate, probs: dict[str, float], *, kb: Any, coder: str) -> Event:
    """The candidate with the model's type, codes and confidence."""
    best = max(sorted(probs), key=probs.__getitem__)
    return _retype(cand, best, probs[best], kb=kb, coder=coder)


def _retype(cand: Candidate, best: str, conf: float, *, kb: Any, coder: str) -> Event:
    lex: Lexicon = kb.lexicon
    ont: Ontology = kb.ontology
    ev = cand.event
    lemma = _trigger_lemma(cand)
    rule = "" if cand.fallback else ev.event_type
    etype = best
    if best == "YIELD":
        etype = rule if rule in ("CONCEDE", "RETREAT") else \
            "RETREAT" if lemma in RETREAT_LEMMAS else "CONCEDE"
    if etype == rule:
        cameo, mode, context = ev.cameo, ev.mode, ev.context
    else:
        pats = [*lex.verbs.get(lemma, ()), *lex.nouns.get(lemma, ())]
        same = next((p for p in pats if p.event == etype), None)
        cameo = same.cameo if same is not None else base_cameo(ont).get(etype, "")
        mode = (same.mode,) if same is not None and same.mode else ()
        context = ev.context
        if ev.factuality.future and etype in FUTURE_AS_AGREE and not cand.fallback:
            pass  # the model saw the future cue; its type stands
    if cameo not in ont.cameo:
        cameo = base_cameo(ont).get(etype, cameo)
    eid = _event_id(ev.article_id, ev.evidence.sentence_index, ev.evidence.trigger_start,
                    etype, ev.actor, ev.recipient)
    return _replace(
        ev,
        id=eid,
        event_type=etype, cameo=cameo, mode=tuple(mode), context=tuple(context),
        goldstein=ont.goldstein(cameo), quad_class=ont.quad_class(etype),
        intensity=ont.intensity(etype, mode[0] if mode else ""),
        confidence=round(float(conf), 4), coder=coder)


def score_candidates(cands: Sequence[Candidate], model: EventModel, *,
                     rule_features: bool = True) -> list[tuple[int, float]]:
    """(label index, calibrated probability) of the most probable type of each candidate.

    The linear model's score is a sum over features, so each sentence's own features are
    looked up once (shared by its candidates), and one article's sums are done in a few
    numpy calls rather than several per candidate.
    """
    if not cands:
        return []
    flat: list[int] = []
    starts: list[int] = []
    base: dict[int, tuple[int, set[int]]] = {}
    """Sentence index -> (its segment, its feature rows)."""
    for c in cands:
        if c.sentence.index not in base:
            rows = model.rows(sentence_base_features(c.sentence, view=c.view, dedupe=False))
            base[c.sentence.index] = (len(starts), rows)
            starts.append(len(flat))
            flat.extend(rows)
    own: list[int] = []
    for c in cands:
        rows = model.rows(event_features(c.sentence, c.event, fallback=c.fallback,
                                         rules=rule_features, view=c.view))
        own.append(len(starts))
        starts.append(len(flat))
        flat.extend(rows - base[c.sentence.index][1])
    sums = model.segment_sums(flat, starts)
    z = sums[[base[c.sentence.index][0] for c in cands]] + sums[own]
    return model.best_rows(z)


def code_hybrid(doc: ParsedArticle, ann: Annotations, *, kb: Any, coder: str,
                model_name: str, model: EventModel | None = None,
                rule_features: bool = True) -> Iterator[Event]:
    """Events of one article: rule candidates typed by ``model`` (default: the packaged
    model ``model_name``)."""
    m = model if model is not None else load_event_model(model_name)
    labels = m.labels
    seen: set[str] = set()
    cands = list(candidates(doc, ann, kb=kb, coder=coder, ids=False))
    for cand, (k, conf) in zip(cands, score_candidates(cands, m, rule_features=rule_features),
                               strict=True):
        ev = _retype(cand, labels[k], conf, kb=kb, coder=coder)
        if (cand.fallback or (_is_open(ev.actor) and _is_open(ev.recipient))) \
                and ev.confidence < MIN_OPEN_CONFIDENCE:
            continue
        if ev.id in seen:
            continue
        seen.add(ev.id)
        yield ev
