"""Gold sets for actors (``detente eval``): loaders and scorers, pure like goldsets.

``petr-unittest``
    PETRARCH's unit-test records coded with their own dictionaries: the set's
    ``dictionaries/`` are imported with :func:`detente.petrarch.import_petrarch` into a
    temporary knowledge directory and coded with ``petrarch-1``. The headline is the
    share of records whose set of (source, CAMEO code, target) triples is exactly the
    gold set (a "no events" record is right when nothing is coded). Also reported: triple
    precision/recall/F1 and the share per record category. Records are dated by their
    ``date``; per-record coder options (``require_dyad``, ``comma_*``) are not applied:
    the coder always requires both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .goldsets import (
    MAX_EXAMPLES,
    PetrItem,
    Scored,
    class_row,
    event_triples,
    load_petr,
    match_counts,
    prf,
    ratio,
)
from .records import Event

PETR_DICTIONARIES = "dictionaries"
"""Sub-directory of a petr-unittest-style set holding its PETRARCH dictionaries."""


def load_petr_unittest(directory: Path) -> list[PetrItem]:
    """Load a petr-unittest-style directory (records as in petr2-gsr-validation)."""
    return load_petr(directory)


def petr_unittest_kb(directory: Path, work: Path) -> list[Path]:
    """Import the set's own dictionaries into ``work``; the knowledge dirs to code with."""
    from .petrarch import import_petrarch

    src = directory / PETR_DICTIONARIES
    if not src.is_dir():
        return []
    import_petrarch([src], work)
    return [work]


def score_petr_records(items: Sequence[PetrItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Share of records whose triple set is exactly right, plus triple P/R/F1."""
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")
    gold = [sorted(set(it.events)) for it in items]
    pred = [sorted({t for ev in evs for t in event_triples(ev)}) for evs in preds]
    right = [g == p for g, p in zip(gold, pred, strict=True)]
    tp, n_gold, n_pred = match_counts(gold, pred)
    trip = prf(tp, n_gold, n_pred)
    cats: dict[str, list[bool]] = {}
    for it, ok in zip(items, right, strict=True):
        cats.setdefault(it.category or "-", []).append(ok)
    rows = [class_row(c, tp=sum(v), support=len(v), predicted=len(v))
            for c, v in sorted(cats.items())]
    no_ev = [ok for it, ok in zip(items, right, strict=True) if not it.events]
    metrics: dict[str, float | int] = {
        "record_accuracy": ratio(sum(right), len(items)),
        "records_right": sum(right),
        "triple_precision": trip["precision"], "triple_recall": trip["recall"],
        "triple_f1": trip["f1"], "gold_events": n_gold, "predicted_events": n_pred,
        "noevents_accuracy": ratio(sum(no_ev), len(no_ev)),
    }
    examples = [{"id": it.id, "text": it.text, "gold": [list(t) for t in g],
                 "pred": [list(t) for t in p]}
                for it, g, p, ok in zip(items, gold, pred, right, strict=True) if not ok]
    return Scored(metrics, {"category (recall = share right)": rows}, None,
                  examples[:MAX_EXAMPLES])
