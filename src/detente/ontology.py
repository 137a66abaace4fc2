"""The event ontology: PLOVER event types, modes and contexts; CAMEO codes; CAMEO->PLOVER.

Loaded from the ``plover-event-types``, ``plover-modes``, ``plover-contexts``,
``cameo-codes`` and ``cameo-plover`` knowledge files (packaged under
``data/ontology/``; user directories may add or override entries by key). The tables
come from the PLOVER manual (CC BY-SA 4.0), the ICEWS CAMEO 1.1b3 table and GDELT's
CAMEO lookups; each file's ``source`` says which.

Goldstein scores default to GDELT's column (``goldstein``); the ICEWS value is kept as
``goldstein_icews``. ``quad_class`` of a CAMEO code is GDELT's QuadClass of its root; the
quad class of a PLOVER *event type* (what :class:`~detente.records.Event` carries) is
PLOVER's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .knowledge import DataFile, FieldSpec, find_files, read_data_file

EVENT_TYPES_SCHEMA = {
    "quad_class": FieldSpec(int, required=True),
    "requires_recipient": FieldSpec(bool, required=True),
    "score": FieldSpec(float, required=True),
}
MODES_SCHEMA = {
    "event": FieldSpec(str, required=True),
    "mode": FieldSpec(str, required=True),
    "score": FieldSpec(float),
    "description": FieldSpec(str),
}
CONTEXTS_SCHEMA = {"description": FieldSpec(str)}
CAMEO_SCHEMA = {
    "name": FieldSpec(str, required=True),
    "root": FieldSpec(str, required=True),
    "level": FieldSpec(int),
    "goldstein": FieldSpec(float, required=True),
    "goldstein_icews": FieldSpec(float),
    "quad_class": FieldSpec(int, required=True),
}
CAMEO_PLOVER_SCHEMA = {
    "event": FieldSpec(str, required=True),
    "mode": FieldSpec(str),
    "context": FieldSpec(list, item=str),
}


@dataclass(frozen=True, slots=True)
class EventType:
    """One PLOVER event type."""

    name: str
    quad_class: int
    requires_recipient: bool
    score: float
    modes: dict[str, float | None] = field(default_factory=dict)
    """Mode name -> PLOVER score of ``EVENT:mode`` (None when the manual gives none)."""


@dataclass(frozen=True, slots=True)
class CameoCode:
    """One CAMEO event code (always a string: ``"010"`` is not ``"10"``)."""

    code: str
    name: str
    root: str
    goldstein: float
    """GDELT's Goldstein value (ICEWS's where GDELT lacks the code)."""
    goldstein_icews: float | None
    quad_class: int
    """GDELT QuadClass of the root (1 verbal coop ... 4 material conflict)."""


@dataclass(frozen=True, slots=True)
class PloverMapping:
    """What a CAMEO code becomes in PLOVER (CAMEO2PLOVER-2021)."""

    event: str
    mode: str = ""
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ontology:
    """PLOVER and CAMEO, as plain data (picklable)."""

    event_types: dict[str, EventType]
    contexts: frozenset[str]
    cameo: dict[str, CameoCode]
    cameo_to_plover: dict[str, PloverMapping]

    def is_mode(self, event_type: str, mode: str) -> bool:
        et = self.event_types.get(event_type)
        return et is not None and mode in et.modes

    def intensity(self, event_type: str, mode: str = "") -> float:
        """PLOVER score of ``event_type:mode`` (the event type's own score as fallback)."""
        et = self.event_types[event_type]
        if mode:
            score = et.modes.get(mode)
            if score is not None:
                return score
        return et.score

    def quad_class(self, event_type: str) -> int:
        return self.event_types[event_type].quad_class

    def goldstein(self, code: str) -> float:
        """Goldstein value of a CAMEO code (GDELT scale), walking up to the parent code."""
        c = code
        while c:
            if c in self.cameo:
                return self.cameo[c].goldstein
            c = c[:-1] if len(c) > 3 else (c[:2] if len(c) == 3 else "")
        return 0.0


def _files(dirs: Sequence[Path], kind: str, schema: Any) -> list[DataFile]:
    return [read_data_file(p, kind=kind, schema=schema) for p in find_files(dirs, kind)]


def _merged(files: Sequence[DataFile]) -> dict[str, tuple[DataFile, dict[str, Any]]]:
    out: dict[str, tuple[DataFile, dict[str, Any]]] = {}
    for f in files:
        for e in f.entries:
            out[e["key"]] = (f, e)
    return out


def load_ontology(dirs: Sequence[Path]) -> tuple[Ontology, list[DataFile]]:
    """Load and cross-check the ontology files found in ``dirs`` (later dirs override).

    Raises :class:`~detente.errors.KnowledgeError` (``file -> key: problem``) when a mode
    names an unknown event type, a CAMEO code is not a digit string, or a CAMEO->PLOVER
    row names an unknown event type or CAMEO code.
    """
    f_types = _files(dirs, "plover-event-types", EVENT_TYPES_SCHEMA)
    f_modes = _files(dirs, "plover-modes", MODES_SCHEMA)
    f_ctx = _files(dirs, "plover-contexts", CONTEXTS_SCHEMA)
    f_cameo = _files(dirs, "cameo-codes", CAMEO_SCHEMA)
    f_map = _files(dirs, "cameo-plover", CAMEO_PLOVER_SCHEMA)
    if not f_types:
        raise KnowledgeError("(ontology)", "plover-event-types", "no file of this kind found",
                             hint="the packaged data/ontology/ directory is missing")
    modes: dict[str, dict[str, float | None]] = {}
    types_raw = _merged(f_types)
    for key, (f, e) in types_raw.items():
        if e["quad_class"] not in (1, 2, 3, 4):
            raise KnowledgeError(f.path, key, "quad_class must be 1..4")
        modes[key] = {}
    for key, (f, e) in _merged(f_modes).items():
        if e["event"] not in modes:
            raise KnowledgeError(f.path, key, f"unknown PLOVER event type {e['event']!r}")
        modes[e["event"]][e["mode"]] = e["score"]
    event_types = {
        k: EventType(k, e["quad_class"], e["requires_recipient"], e["score"], modes[k])
        for k, (_f, e) in types_raw.items()
    }
    contexts = frozenset(_merged(f_ctx))
    cameo: dict[str, CameoCode] = {}
    for key, (f, e) in _merged(f_cameo).items():
        if not key.isdigit() or not 2 <= len(key) <= 4:
            raise KnowledgeError(f.path, key, "a CAMEO code is 2-4 digits, written as a string")
        if e["quad_class"] not in (1, 2, 3, 4):
            raise KnowledgeError(f.path, key, "quad_class must be 1..4")
        cameo[key] = CameoCode(key, e["name"], e["root"], e["goldstein"],
                               e["goldstein_icews"], e["quad_class"])
    mapping: dict[str, PloverMapping] = {}
    for key, (f, e) in _merged(f_map).items():
        if key not in cameo:
            raise KnowledgeError(f.path, key, "unknown CAMEO code")
        if e["event"] not in event_types:
            raise KnowledgeError(f.path, key, f"unknown PLOVER event type {e['event']!r}")
        mapping[key] = PloverMapping(e["event"], e["mode"] or "", tuple(e["context"] or ()))
    onto = Ontology(event_types=event_types, contexts=contexts, cameo=cameo,
                    cameo_to_plover=mapping)
    return onto, [*f_types, *f_modes, *f_ctx, *f_cameo, *f_map]
