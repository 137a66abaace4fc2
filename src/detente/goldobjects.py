"""The ``re3d`` gold set: weapon and military-platform extraction, scored on spans.

``re3d``
    Dstl's Relationship and Entity Extraction Evaluation Dataset (DEV part): defence and
    security documents with character-offset entity annotations. Only the ``Weapon`` and
    ``MilitaryPlatform`` entities are scored, against the objects the actors stage finds
    (:class:`~detente.records.ObjectMention`): an object whose category is of class
    ``weapon`` predicts ``Weapon``, one of class ``platform`` predicts
    ``MilitaryPlatform``; programmes are not scored.

    Layout: one directory per source (``<subset>/documents.json`` and
    ``<subset>/entities.json``, mongoexport JSON lines, read as UTF-8 with an optional
    BOM). A document is one article (dated :data:`~detente.goldsets.DEFAULT_PUBLISHED`).

    The gold entities carry a crowd-aggregation confidence; those below
    :data:`MIN_CONFIDENCE` are *ignored*: they count neither as gold nor, when a
    prediction overlaps one, as a false positive. Matching is one-to-one and
    per type. ``strict``: the same character span; ``lenient``: overlapping spans
    ("VBIED" for the gold "a VBIED"); ``untyped``: overlapping spans, either type.
    Reported: precision, recall and F1 of each, per-type tables (lenient), and up to
    :data:`~detente.goldsets.MAX_EXAMPLES` misses and false positives to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import EvalDataError
from .goldsets import DEFAULT_PUBLISHED, MAX_EXAMPLES, ClassRow, Scored, class_row, prf, spread
from .records import Annotations, Event, ParsedArticle

RE3D_TYPES = ("Weapon", "MilitaryPlatform")
"""The re3d entity types scored."""

CLASS_TO_RE3D = {"weapon": "Weapon", "platform": "MilitaryPlatform"}
"""Object class (:data:`detente.objects.OBJECT_CLASSES`) -> re3d entity type."""

MIN_CONFIDENCE = 0.5
"""Gold entities with a lower crowd confidence are ignored (see the module docs)."""


@dataclass(frozen=True, slots=True)
class SpanLabel:
    """A typed character span: a gold entity or a predicted object."""

    start: int
    end: int
    type: str
    text: str = ""
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Re3dItem:
    """One re3d document with its Weapon and MilitaryPlatform entities."""

    id: str
    text: str
    published: date
    entities: tuple[SpanLabel, ...]
    subset: str = ""


def _json_lines(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"cannot read {path}: {exc}", file=str(path)) from exc
    out = []
    for n, line in enumerate(lines, 1):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{path}:{n}: not valid JSON ({exc.msg})", file=str(path),
                                line=n) from exc
        if not isinstance(rec, dict):
            raise EvalDataError(f"{path}:{n}: each line must be a JSON object", file=str(path),
                                line=n)
        out.append((f"{path}:{n}", rec))
    return out


def _field(rec: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    value = rec.get(key)
    if not isinstance(value, typ) or isinstance(value, bool):
        raise EvalDataError(f"{where}: {key!r} missing or not {typ}", field=key)
    return value


def load_re3d(directory: Path) -> list[Re3dItem]:
    """Load a re3d-style directory: every ``*/documents.json`` with its
    ``entities.json`` (subsets in name order, documents in file order)."""
    subsets = sorted(p.parent for p in Path(directory).glob("*/documents.json"))
    if not subsets:
        raise EvalDataError(f"no */documents.json under {directory}", path=str(directory),
                            hint="pass --path DIR laid out like shared/data/re3d "
                            "(<subset>/documents.json and entities.json)")
    items: list[Re3dItem] = []
    for sub in subsets:
        ents: dict[str, list[SpanLabel]] = {}
        ent_path = sub / "entities.json"
        if not ent_path.is_file():
            raise EvalDataError(f"{ent_path} is missing", file=str(ent_path))
        for where, rec in _json_lines(ent_path):
            etype = _field(rec, "type", str, where)
            if etype not in RE3D_TYPES:
                continue
            doc = _field(rec, "documentId", str, where)
            begin, end = _field(rec, "begin", int, where), _field(rec, "end", int, where)
            conf = rec.get("confidence", 1.0)
            if not isinstance(conf, int | float) or begin < 0 or end <= begin:
                raise EvalDataError(f"{where}: bad span or confidence", field="begin")
            ents.setdefault(doc, []).append(SpanLabel(begin, end, etype,
                                                      str(rec.get("value") or ""),
                                                      float(conf)))
        for where, rec in _json_lines(sub / "documents.json"):
            doc_id = _field(rec, "_id", str, where)
            text = _field(rec, "text", str, where)
            spans = sorted(ents.get(doc_id, ()), key=lambda s: (s.start, s.end))
            if any(s.end > len(text) for s in spans):
                raise EvalDataError(f"{where}: an entity span lies outside the text",
                                    field="end")
            items.append(Re3dItem(f"{sub.name}/{doc_id}", text, DEFAULT_PUBLISHED,
                                  tuple(spans), sub.name))
    return items


def predicted_spans(parsed: ParsedArticle, ann: Annotations, events: Sequence[Event],
                    kb: Any) -> list[SpanLabel]:
    """The typed object spans of one coded article (the ``predict`` hook of the set)."""
    from .objects import object_entry

    akb = getattr(kb, "actors", kb)
    out = []
    for m in ann.objects:
        entry = object_entry(akb, m.object)
        etype = CLASS_TO_RE3D.get(entry.cls if entry else "")
        if etype:
            out.append(SpanLabel(m.start, m.end, etype, m.object.text))
    return out


def _overlap(a: SpanLabel, b: SpanLabel) -> bool:
    return a.start < b.end and b.start < a.end


def match_spans(gold: Sequence[SpanLabel], pred: Sequence[SpanLabel], *, exact: bool,
                typed: bool = True) -> tuple[list[tuple[SpanLabel, SpanLabel]],
                                             list[SpanLabel], list[SpanLabel]]:
    """One-to-one matching (gold in order, first fitting prediction). Returns the
    matched pairs, the unmatched gold and the unmatched predictions."""
    free = list(pred)
    pairs = []
    missed = []
    for g in gold:
        hit = next((p for p in free
                    if (not typed or p.type == g.type)
                    and ((p.start, p.end) == (g.start, g.end) if exact else _overlap(p, g))),
                   None)
        if hit is None:
            missed.append(g)
        else:
            free.remove(hit)
            pairs.append((g, hit))
    return pairs, missed, free


def _split_gold(ents: Iterable[SpanLabel]) -> tuple[list[SpanLabel], list[SpanLabel]]:
    kept: list[SpanLabel] = []
    ignored: list[SpanLabel] = []
    for e in ents:
        (kept if e.confidence >= MIN_CONFIDENCE else ignored).append(e)
    return kept, ignored


def score_re3d(items: Sequence[Re3dItem], preds: Sequence[Sequence[SpanLabel]]) -> Scored:
    """Precision, recall and F1 of typed spans (strict, lenient, untyped)."""
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")
    totals = {k: [0, 0, 0] for k in ("strict", "lenient", "untyped")}  # tp, gold, pred
    by_type = {t: [0, 0, 0] for t in RE3D_TYPES}
    examples: list[dict[str, Any]] = []
    ignored_n = 0
    for it, pred in zip(items, preds, strict=True):
        gold, ignored = _split_gold(it.entities)
        ignored_n += len(ignored)
        # predictions overlapping an ignored gold entity (and no kept one) are set aside
        kept_pred = [p for p in pred if not (any(_overlap(p, g) for g in ignored)
                                             and not any(_overlap(p, g) for g in gold))]
        for mode, exact, typed in (("strict", True, True), ("lenient", False, True),
                                   ("untyped", False, False)):
            pairs, missed, extra = match_spans(gold, kept_pred, exact=exact, typed=typed)
            t = totals[mode]
            t[0] += len(pairs)
            t[1] += len(gold)
            t[2] += len(kept_pred)
            if mode == "lenient":
                for g, _p in pairs:
                    by_type[g.type][0] += 1
                for g in gold:
                    by_type[g.type][1] += 1
                for p in kept_pred:
                    by_type[p.type][2] += 1
                for g in missed:
                    examples.append({"id": it.id, "kind": "missed", "type": g.type,
                                     "text": g.text, "context": _context(it.text, g)})
                for p in extra:
                    examples.append({"id": it.id, "kind": "false positive", "type": p.type,
                                     "text": p.text, "context": _context(it.text, p)})
    metrics: dict[str, float | int] = {}
    for mode, (tp, n_gold, n_pred) in totals.items():
        for k, v in prf(tp, n_gold, n_pred).items():
            metrics[f"{mode}_{k}"] = v
    metrics["gold_entities"] = totals["lenient"][1]
    metrics["predicted_entities"] = totals["lenient"][2]
    metrics["ignored_low_confidence"] = ignored_n
    rows: list[ClassRow] = [class_row(t, tp=v[0], support=v[1], predicted=v[2])
                            for t, v in by_type.items()]
    return Scored(metrics, {"type (lenient)": rows}, None,
                  spread(examples, key="kind", limit=MAX_EXAMPLES))


def _context(text: str, s: SpanLabel, width: int = 60) -> str:
    a, b = max(0, s.start - width), min(len(text), s.end + width)
    return " ".join((text[a:s.start] + "[" + text[s.start:s.end] + "]" + text[s.end:b]).split())
