"""Golden files: each bundled example article -> its events (reviewed when they change).

The golden files hold a stable projection of each event (type, CAMEO, actors, recipients,
date, precision, factuality, trigger, sentence index). To accept a reviewed change, run
``DETENTE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_examples.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from detente.api import code_articles, knowledge
from detente.ingest import read
from detente.records import CodedArticle, Event

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.txt"))
GOLDEN = Path(__file__).parent / "golden"

pytestmark = pytest.mark.model


def project(e: Event) -> dict[str, Any]:
    f = e.factuality
    return {
        "sentence": e.evidence.sentence_index,
        "trigger": e.evidence.trigger,
        "event": e.event_type,
        "cameo": e.cameo,
        "actor": [f"{a.code} {a.sector}".strip() for a in e.actor],
        "recipient": [f"{r.code} {r.sector}".strip() for r in e.recipient],
        "date": e.date.isoformat(),
        "precision": e.date_precision,
        "flags": [k for k in ("negated", "hypothetical", "future", "historical")
                  if getattr(f, k)],
        "objects": [o.name for o in e.objects],
    }


def coded_example(path: Path) -> CodedArticle:
    (item,) = list(code_articles(read([str(path)]), kb=knowledge()))
    assert isinstance(item, CodedArticle), item
    return item


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_golden_example_events(path: Path) -> None:
    got = [project(e) for e in coded_example(path).events]
    golden = GOLDEN / (path.stem + ".json")
    if os.environ.get("DETENTE_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        if not os.environ.get("DETENTE_UPDATE_GOLDEN"):
            pytest.fail(f"wrote missing golden file {golden.name}; review and commit it")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
