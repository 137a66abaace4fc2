"""Gold sets of violence and police actions in news text, mapped onto PLOVER.

``case2021-task2``
    CASE 2021 Task 2 (Haneczok et al. 2021): short news snippets, each labelled with one of
    30 event types (25 ACLED sub-event types, five "unseen" ones). Each label is mapped onto
    PLOVER by :data:`CASE_TO_PLOVER`: a primary PLOVER type, the other PLOVER types that also
    code it correctly (an ACLED "agreement" may be PLOVER AGREE, SUPPORT or RETREAT), and
    the PLOVER mode(s) that match it where PLOVER has one (ASSAULT modes, COERCE arrest,
    PROTEST demo/riot). Taking territory is ASSAULT or, as PLOVER maps CAMEO 192 (occupy
    territory), COERCE. Disasters are no political event: the right answer is *no event*
    (``NONE``). Labels with no PLOVER counterpart (``OTHER``, ``CHANGE_TO_GROUP_ACT``,
    ``ORG_CRIME``) are left out of the scores and counted apart.

    The predicted event of a snippet is taken from its first sentence that has events (a
    snippet's lead states its event): a material event (quad 2 or 4) before a verbal one,
    then the most confident. Reported: type accuracy and
    macro-F1 over the primary PLOVER types (a prediction among a label's accepted types
    counts as the primary type), ``any_type_recall`` (some event of the snippet has an
    accepted type), ``mode_accuracy`` (the mode is right, among items whose type is right
    and whose label names modes), ``no_event_accuracy`` on the disaster snippets, and
    per-label accuracy. Dated :data:`~detente.goldsets.DEFAULT_PUBLISHED`.

``india-police-events``
    IndiaPoliceEvents (Halterman et al. 2021): Times of India sentences from March 2002,
    each with zero or more of KILL, ARREST, FAIL, FORCE, ANY_ACTION (police actions). A
    sentence is predicted positive for a label when it has an event whose actor is the
    police (an entity of sector ``COP``) of the type :data:`POLICE_TO_PLOVER` maps the label
    to: ARREST -> COERCE arrest (or CAMEO 173), KILL and FORCE -> ASSAULT, ANY_ACTION -> any
    event. FAIL (police failing to act) has no PLOVER event and is not scored. Reported:
    precision, recall and F1 per label and their macro-F1, plus the same without the police
    actor requirement (``*_any_actor``). Sentences are coded on their own, dated by their
    article's date (``metadata.jsonl``); the released text's mojibake (``â€™``) is repaired
    (read back as cp1252 bytes of UTF-8) before coding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import EvalDataError
from .goldsets import (
    DEFAULT_PUBLISHED,
    NONE_LABEL,
    ClassRow,
    Scored,
    accuracy,
    class_row,
    confusion,
    macro_f1,
    per_class,
    prf,
    ratio,
    read_jsonl,
    spread,
)
from .records import Event


@dataclass(frozen=True, slots=True)
class PloverMapping:
    """How one gold label reads in PLOVER."""

    primary: str
    """The PLOVER type (``NONE``: no political event)."""
    also: tuple[str, ...] = ()
    """Other PLOVER types that code the label correctly."""
    modes: tuple[str, ...] = ()
    """PLOVER modes of ``primary`` that match the label (empty: any)."""

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.primary, *self.also))


_DIPLO = ("CONSULT", "SUPPORT", "AGREE", "REQUEST", "ACCUSE", "REJECT", "THREATEN",
          "SANCTION", "CONCEDE", "COOPERATE", "AID")

CASE_TO_PLOVER: Mapping[str, PloverMapping | None] = {
    "ABDUCT_DISSAP": PloverMapping("ASSAULT", modes=("abduct",)),
    "AGREEMENT": PloverMapping("AGREE", ("SUPPORT", "RETREAT", "CONCEDE")),
    "AIR_STRIKE": PloverMapping("ASSAULT", modes=("aerial", "drone")),
    "ARMED_CLASH": PloverMapping("ASSAULT"),
    "ARREST": PloverMapping("COERCE", modes=("arrest",)),
    "ART_MISS_ATTACK": PloverMapping("ASSAULT", modes=("heavy-weapons",)),
    "ATTACK": PloverMapping("ASSAULT"),
    "ATTRIB": PloverMapping("ASSAULT", ("ACCUSE",)),
    "CHANGE_TO_GROUP_ACT": None,
    "CHEM_WEAP": PloverMapping("ASSAULT", modes=("unconventional",)),
    "DIPLO": PloverMapping("CONSULT", tuple(t for t in _DIPLO if t != "CONSULT")),
    "DISR_WEAP": PloverMapping("COERCE", modes=("seize",)),
    "FORCE_AGAINST_PROTEST": PloverMapping("ASSAULT", modes=("crowd-control", "beat")),
    "GOV_REGAINS_TERIT": PloverMapping("ASSAULT", ("COERCE",)),
    "GRENADE": PloverMapping("ASSAULT", modes=("explosives",)),
    "HQ_ESTABLISHED": PloverMapping("MOBILIZE", modes=("troops", "militia")),
    "MAN_MADE_DISASTER": PloverMapping(NONE_LABEL),
    "MOB_VIOL": PloverMapping("PROTEST", ("ASSAULT",), modes=("riot",)),
    "NATURAL_DISASTER": PloverMapping(NONE_LABEL),
    "NON_STATE_ACTOR_OVERTAKES_TER": PloverMapping("ASSAULT", ("COERCE",)),
    "NON_VIOL_TERRIT_TRANSFER": PloverMapping("RETREAT", modes=("withdraw",)),
    "ORG_CRIME": None,
    "OTHER": None,
    "PEACE_PROTEST": PloverMapping("PROTEST", modes=("demo",)),
    "PROPERTY_DISTRUCT": PloverMapping("ASSAULT", ("PROTEST",), modes=("destroy",)),
    "PROTEST_WITH_INTER": PloverMapping("PROTEST", ("COERCE",)),
    "REM_EXPLOS": PloverMapping("ASSAULT", modes=("explosives",)),
    "SEX_VIOL": PloverMapping("ASSAULT", modes=("sexual",)),
    "SUIC_BOMB": PloverMapping("ASSAULT", modes=("suicide-attack", "explosives")),
    "VIOL_DEMONSTR": PloverMapping("PROTEST", ("ASSAULT",), modes=("riot",)),
}
"""CASE 2021 Task 2 label -> PLOVER (None: no PLOVER counterpart, not scored). The README's
mapping table is this table."""

POLICE_TO_PLOVER: Mapping[str, PloverMapping | None] = {
    "ARREST": PloverMapping("COERCE", modes=("arrest",)),
    "KILL": PloverMapping("ASSAULT"),
    "FORCE": PloverMapping("ASSAULT"),
    "ANY_ACTION": PloverMapping("ANY"),
    "FAIL": None,
}
"""IndiaPoliceEvents label -> PLOVER event of a police actor (``ANY``: any event type)."""

POLICE_SECTOR = "COP"


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One gold text with its label(s)."""

    id: str
    text: str
    published: date
    labels: tuple[str, ...]


# -- case2021-task2 --------------------------------------------------------------------


def load_case2021(directory: Path) -> list[LabelledText]:
    """Load a case2021-task2-style directory (``snippets.jsonl``: id, text, label)."""
    items: list[LabelledText] = []
    path = Path(directory) / "snippets.jsonl"
    if not path.is_file():
        raise EvalDataError(f"{path} is missing", file=str(path),
                            hint="pass --path DIR holding snippets.jsonl (id, text, label)")
    for n, rec in read_jsonl(path):
        where = f"{path}:{n}"
        text, label = rec.get("text"), rec.get("label")
        if not isinstance(text, str) or not isinstance(label, str):
            raise EvalDataError(f"{where}: 'text' and 'label' must be strings", field="label")
        if label not in CASE_TO_PLOVER:
            raise EvalDataError(f"{where}: unknown label {label!r}", field="label",
                                hint="labels: " + ", ".join(sorted(CASE_TO_PLOVER)))
        items.append(LabelledText(str(rec.get("id", len(items))), text, DEFAULT_PUBLISHED,
                                  (label,)))
    return items


def lead_event(events: Sequence[Event]) -> Event | None:
    """The event a snippet reports: in the first sentence that has events, a material one
    (quad 2 or 4) before a verbal one ("protesters marched, demanding ..."), then the most
    confident, then the first."""
    if not events:
        return None
    first = min(e.evidence.sentence_index for e in events)
    return max((e for e in events if e.evidence.sentence_index == first),
               key=lambda e: (e.quad_class in (2, 4), e.confidence, -e.evidence.trigger_start))


def score_case2021(items: Sequence[LabelledText], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score case2021-task2 against :data:`CASE_TO_PLOVER`."""
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")
    gold: list[str] = []
    pred: list[str] = []
    label_hits: dict[str, list[bool]] = {}
    any_hit: list[bool] = []
    mode_hits: list[bool] = []
    none_right: list[bool] = []
    unmapped: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    calibration: list[tuple[float, bool]] = []
    for it, evs in zip(items, preds, strict=True):
        label = it.labels[0]
        m = CASE_TO_PLOVER[label]
        if m is None:
            unmapped[label] += 1
            continue
        ev = lead_event(evs)
        p = ev.event_type if ev is not None else NONE_LABEL
        right = p in m.accepted
        gold.append(m.primary)
        pred.append(m.primary if right else p)
        label_hits.setdefault(label, []).append(right)
        if m.primary == NONE_LABEL:
            none_right.append(not evs)
        else:
            any_hit.append(any(e.event_type in m.accepted for e in evs))
        if right and m.modes and ev is not None:
            mode_hits.append(bool(set(ev.mode) & set(m.modes)))
        if ev is not None:
            calibration.append((ev.confidence, right))
        if not right:
            examples.append({"id": it.id, "text": it.text, "gold": label,
                             "expected": sorted(m.accepted), "pred": p,
                             "events": [_brief(e) for e in evs]})
    rows = per_class(gold, pred)
    metrics: dict[str, float | int] = {
        "type_accuracy": accuracy(gold, pred),
        "type_macro_f1": macro_f1(rows),
        "any_type_recall": ratio(sum(any_hit), len(any_hit)),
        "mode_accuracy": ratio(sum(mode_hits), len(mode_hits)),
        "no_event_accuracy": ratio(sum(none_right), len(none_right)),
        "label_macro_accuracy": ratio(sum(ratio(sum(v), len(v)) for v in label_hits.values()),
                                      len(label_hits)),
        "coverage": ratio(sum(1 for g, evs in zip(items, preds, strict=True)
                              if CASE_TO_PLOVER[g.labels[0]] is not None and evs), len(gold)),
        "scored": len(gold),
        "unmapped": sum(unmapped.values()),
    }
    label_rows = [class_row(lab, tp=sum(v), support=len(v), predicted=len(v))
                  for lab, v in sorted(label_hits.items())]
    return Scored(metrics, {"plover type": rows, "gold label (P = R = accuracy)": label_rows},
                  confusion(gold, pred), spread(examples, key="gold"), calibration)


# -- india-police-events ---------------------------------------------------------------


def _repair(text: str) -> str:
    """Undo UTF-8 read as cp1252 ("â€™" -> "’") where the whole text allows it."""
    if "â" not in text and "Ã" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def load_india_police(directory: Path) -> list[LabelledText]:
    """Load an india-police-events-style directory (``sents.jsonl``; dates from
    ``metadata.jsonl`` when present)."""
    directory = Path(directory)
    path = directory / "sents.jsonl"
    if not path.is_file():
        raise EvalDataError(f"{path} is missing", file=str(path),
                            hint="pass --path DIR holding sents.jsonl (and metadata.jsonl)")
    dates: dict[Any, date] = {}
    meta = directory / "metadata.jsonl"
    if meta.is_file():
        for n, rec in read_jsonl(meta):
            try:
                dates[rec.get("doc_id")] = date.fromisoformat(str(rec.get("date")))
            except ValueError as exc:
                raise EvalDataError(f"{meta}:{n}: 'date' must be YYYY-MM-DD", field="date",
                                    file=str(meta), line=n) from exc
    items: list[LabelledText] = []
    for n, rec in read_jsonl(path):
        where = f"{path}:{n}"
        text, labels = rec.get("sent_text"), rec.get("sent_labels")
        if not isinstance(text, str) or not isinstance(labels, list):
            raise EvalDataError(f"{where}: needs 'sent_text' (string) and 'sent_labels' (list)",
                                field="sent_labels")
        unknown = [lab for lab in labels if lab not in POLICE_TO_PLOVER]
        if unknown:
            raise EvalDataError(f"{where}: unknown label(s) {unknown}", field="sent_labels")
        doc = rec.get("doc_id")
        items.append(LabelledText(f"{doc}-{rec.get('sent_id', n)}", _repair(text),
                                  dates.get(doc, DEFAULT_PUBLISHED), tuple(labels)))
    return items


def _is_police(e: Event) -> bool:
    return any(a.sector == POLICE_SECTOR for a in e.actor)


def _fits(label: str, e: Event) -> bool:
    m = POLICE_TO_PLOVER[label]
    if m is None:
        return False
    if m.primary == "ANY":
        return True
    if e.event_type not in m.accepted:
        return False
    return not m.modes or bool(set(e.mode) & set(m.modes)) or (
        label == "ARREST" and e.cameo.startswith("173"))


def score_india_police(items: Sequence[LabelledText],
                       preds: Sequence[Sequence[Event]]) -> Scored:
    """Per-label precision, recall and F1 of police-action sentences."""
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")
    scored = [lab for lab, m in POLICE_TO_PLOVER.items() if m is not None]
    counts = {(lab, police): [0, 0, 0] for lab in scored for police in (True, False)}
    examples: list[dict[str, Any]] = []
    calibration: list[tuple[float, bool]] = []
    for it, evs in zip(items, preds, strict=True):
        for lab in scored:
            g = lab in it.labels
            for police in (True, False):
                hits = [e for e in evs if _fits(lab, e) and (_is_police(e) or not police)]
                c = counts[(lab, police)]
                c[0] += int(g and bool(hits))
                c[1] += int(g)
                c[2] += int(bool(hits))
                if police and lab == "ANY_ACTION":
                    if hits:
                        calibration.append((max(e.confidence for e in hits), g))
                    if g != bool(hits):
                        examples.append({"id": it.id, "text": it.text,
                                         "gold": ",".join(it.labels) or NONE_LABEL,
                                         "kind": "missed" if g else "false positive",
                                         "events": [_brief(e) for e in evs]})
    metrics: dict[str, float | int] = {}
    rows: list[ClassRow] = []
    for lab in scored:
        tp, n_gold, n_pred = counts[(lab, True)]
        for k, v in prf(tp, n_gold, n_pred).items():
            metrics[f"{lab.lower()}_{k}"] = v
        rows.append(class_row(lab, tp=tp, support=n_gold, predicted=n_pred))
        tp2, g2, p2 = counts[(lab, False)]
        metrics[f"{lab.lower()}_f1_any_actor"] = prf(tp2, g2, p2)["f1"]
    metrics["macro_f1"] = macro_f1(rows)
    metrics["sentences"] = len(items)
    return Scored(metrics, {"police action (actor COP)": rows}, None,
                  spread(examples, key="kind"), calibration)


def _brief(ev: Event) -> dict[str, Any]:
    return {"type": ev.event_type, "mode": list(ev.mode), "cameo": ev.cameo,
            "actor": [e.cameo or e.code or e.sector for e in ev.actor],
            "recipient": [e.cameo or e.code or e.sector for e in ev.recipient],
            "trigger": ev.evidence.trigger, "confidence": ev.confidence}
