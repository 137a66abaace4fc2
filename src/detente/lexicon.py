"""The trigger lexicon: verb and noun patterns that signal events, indexed by lemma.

Knowledge files (packaged under ``data/lexicon/``, user directories may add more):

``event-verbs`` (``verbs.yaml``)
    ``lemma`` (verb lemma) plus optional constraints: ``particle`` (a phrasal particle,
    "kick *out*"), ``prep`` (a preposition attached to the verb, "call *on*", "meet
    *with*"), ``object`` (lemmas of the direct object, "impose *sanctions*"; ``@weapon``,
    ``@platform`` or ``@programme``: an object of that class, "ordered *F-35s*"). Each names
    ``event`` (PLOVER type), optional ``mode`` and ``context``, and ``cameo`` (a CAMEO code
    string). ``recipient`` lists where the recipient is read, in order: ``dobj``,
    ``dative`` or a preposition ("with", "to", "against", "from"...). ``reverse: true``
    swaps actor and recipient ("host": the guest is PLOVER's actor). ``transfer`` (``buy``,
    ``sell``, ``give``, ``receive``) marks an arms-transfer verb or noun
    (:mod:`detente.transfers`). ``actor_sector`` names the sector of the actor the verb
    implies when the text names none ("X were arrested": ``COP``).
``event-nouns`` (``nouns.yaml``)
    ``lemma`` (noun lemma), optional ``prep`` (required preposition child: "talks
    *with*"), ``modifier`` (required compound/amod lemmas: "*air* strike"), and the same
    event fields. ``recipient`` lists prepositions whose object is the recipient.
``speech-verbs`` (``speech.yaml``)
    Verbs that report speech ("say", "tell"): their subject is the speaker that
    first-person subjects inside the quote fall back to.
``factuality-cues`` (``cues.yaml``)
    Words marking negation, hypothetical/conditional or future readings, with the
    dependency role in which they count.

Every pattern is checked against the ontology at load: unknown PLOVER types, modes,
contexts or CAMEO codes raise :class:`~detente.errors.KnowledgeError` naming
``file -> key: problem``. Lookups are dict-by-lemma, so coding is O(tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .knowledge import DataFile, FieldSpec, find_files, read_data_file
from .objects import OBJECT_CLASSES
from .ontology import Ontology

_EVENT_FIELDS = {
    "lemma": FieldSpec(str, required=True),
    "event": FieldSpec(str, required=True),
    "cameo": FieldSpec(str, required=True),
    "mode": FieldSpec(str),
    "context": FieldSpec(list, item=str),
    "recipient": FieldSpec(list, item=str),
    "reverse": FieldSpec(bool),
    "note": FieldSpec(str),
    "transfer": FieldSpec(str, choices=frozenset({"buy", "sell", "give", "receive"})),
    "actor_sector": FieldSpec(str),
}
VERBS_SCHEMA = {
    **_EVENT_FIELDS,
    "particle": FieldSpec(str),
    "prep": FieldSpec(str),
    "object": FieldSpec(list, item=str),
}
NOUNS_SCHEMA = {
    **_EVENT_FIELDS,
    "prep": FieldSpec(str),
    "modifier": FieldSpec(list, item=str),
}
SPEECH_SCHEMA = {"lemma": FieldSpec(str, required=True)}
CUE_KINDS = frozenset({"negation", "hypothetical", "future", "intent", "counterfactual"})
CUES_SCHEMA = {
    "word": FieldSpec(str, required=True),
    "cue": FieldSpec(str, required=True, choices=CUE_KINDS),
    "role": FieldSpec(str, required=True,
                      choices=frozenset({"aux", "neg", "mark", "advmod", "governor", "det"})),
}
"""``role``: ``aux``/``neg``/``advmod``/``det`` — a child of the trigger with that
dependency; ``mark`` — the subordinator of the trigger's clause ("if");
``governor`` — a verb governing the trigger through xcomp ("plans to", "refused to")."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One trigger pattern (a verb or noun lexicon entry), validated."""

    key: str
    file: str
    pos: str
    """``verb`` or ``noun``."""
    lemma: str
    event: str
    cameo: str
    mode: str = ""
    context: tuple[str, ...] = ()
    particle: str = ""
    prep: str = ""
    objects: frozenset[str] = frozenset()
    modifiers: frozenset[str] = frozenset()
    recipient: tuple[str, ...] = ()
    reverse: bool = False
    actor_sector: str = ""
    """The PLOVER sector of the actor the verb implies when the text names none ("were
    arrested": the police, ``COP``); the entity is marked inferred."""
    transfer: str = ""
    """Arms-transfer role (``buy``, ``sell``, ``give``, ``receive``): see
    :mod:`detente.transfers`."""

    @property
    def specificity(self) -> int:
        """How many constraints beyond the lemma the pattern has."""
        return (bool(self.particle) + bool(self.prep) + bool(self.objects)
                + bool(self.modifiers))

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.key}"


@dataclass(frozen=True)
class Lexicon:
    """Trigger patterns by lemma, speech verbs and factuality cues (picklable)."""

    verbs: dict[str, tuple[Pattern, ...]]
    nouns: dict[str, tuple[Pattern, ...]]
    speech: frozenset[str]
    cues: dict[tuple[str, str], str]
    """(role, word) -> cue kind."""

    def __len__(self) -> int:
        return sum(map(len, self.verbs.values())) + sum(map(len, self.nouns.values()))


def onto_sectors() -> frozenset[str]:
    from .actorkb import SECTOR_CODES

    return SECTOR_CODES


def _check_event(f: DataFile, e: dict[str, Any], onto: Ontology) -> None:
    key = e["key"]
    et = e["event"]
    if et not in onto.event_types:
        raise KnowledgeError(f.path, key, f"unknown PLOVER event type {et!r}; known: "
                             f"{sorted(onto.event_types)}")
    code = e["cameo"]
    if code not in onto.cameo:
        raise KnowledgeError(f.path, key, f"unknown CAMEO code {code!r} (codes are strings "
                             "such as \"010\"; quote them in YAML)")
    mode = e.get("mode")
    if mode and not onto.is_mode(et, mode):
        raise KnowledgeError(f.path, key, f"{et} has no mode {mode!r}; modes: "
                             f"{sorted(onto.event_types[et].modes)}")
    for c in e.get("context") or ():
        if c not in onto.contexts:
            raise KnowledgeError(f.path, key, f"unknown PLOVER context {c!r}")
    sector = e.get("actor_sector")
    if sector and sector not in onto_sectors():
        raise KnowledgeError(f.path, key, f"unknown PLOVER sector {sector!r} in actor_sector")
    for o in e.get("object") or ():
        if o.startswith("@") and o[1:] not in OBJECT_CLASSES:
            raise KnowledgeError(f.path, key, f"object class {o!r} is not one of "
                                 f"{sorted('@' + c for c in OBJECT_CLASSES)}")
    if " " in e["lemma"].strip():
        raise KnowledgeError(f.path, key, "lemma must be one word; put particles, "
                             "prepositions and objects in their own fields")


def _pattern(f: DataFile, e: dict[str, Any], pos: str) -> Pattern:
    return Pattern(
        key=e["key"], file=f.path, pos=pos, lemma=e["lemma"].strip().lower(),
        event=e["event"], cameo=e["cameo"], mode=e.get("mode") or "",
        context=tuple(e.get("context") or ()), particle=(e.get("particle") or "").lower(),
        prep=(e.get("prep") or "").lower(),
        objects=frozenset(o.lower() for o in e.get("object") or ()),
        modifiers=frozenset(m.lower() for m in e.get("modifier") or ()),
        recipient=tuple(r.lower() for r in e.get("recipient") or ()),
        reverse=bool(e.get("reverse")),
        transfer=e.get("transfer") or "",
        actor_sector=e.get("actor_sector") or "",
    )


def _index(files: Sequence[DataFile], pos: str, onto: Ontology) -> dict[str, tuple[Pattern, ...]]:
    by_key: dict[str, Pattern] = {}
    for f in files:
        for e in f.entries:
            _check_event(f, e, onto)
            by_key[e["key"]] = _pattern(f, e, pos)  # later files override by key
    out: dict[str, list[Pattern]] = {}
    for p in by_key.values():
        out.setdefault(p.lemma, []).append(p)
    # most specific first, then file order: the first matching pattern wins
    return {k: tuple(sorted(v, key=lambda p: -p.specificity)) for k, v in out.items()}


def load_lexicon(dirs: Sequence[Path], *, ontology: Ontology) -> tuple[Lexicon, list[DataFile]]:
    """Load the trigger lexicon from ``dirs``, validated against ``ontology``."""
    f_verbs = [read_data_file(p, kind="event-verbs", schema=VERBS_SCHEMA)
               for p in find_files(dirs, "event-verbs")]
    f_nouns = [read_data_file(p, kind="event-nouns", schema=NOUNS_SCHEMA)
               for p in find_files(dirs, "event-nouns")]
    f_speech = [read_data_file(p, kind="speech-verbs", schema=SPEECH_SCHEMA)
                for p in find_files(dirs, "speech-verbs")]
    f_cues = [read_data_file(p, kind="factuality-cues", schema=CUES_SCHEMA)
              for p in find_files(dirs, "factuality-cues")]
    verbs = _index(f_verbs, "verb", ontology)
    nouns = _index(f_nouns, "noun", ontology)
    speech = frozenset(e["lemma"].lower() for f in f_speech for e in f.entries)
    cues = {(e["role"], e["word"].lower()): e["cue"] for f in f_cues for e in f.entries}
    lex = Lexicon(verbs=verbs, nouns=nouns, speech=speech, cues=cues)
    return lex, [*f_verbs, *f_nouns, *f_speech, *f_cues]
