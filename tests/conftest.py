"""Shared fixtures: hand-built records (no model needed) and paths to shared data."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from detente.records import (
    Article,
    CodedArticle,
    Entity,
    Event,
    EventObject,
    Evidence,
    Factuality,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared"))
EXAMPLE = SHARED / "examples" / "2021-10-01-us-turkey-s400.txt"


def make_article(text: str = "The US urged Turkey to stop.", *, day: date = date(2021, 10, 1),
                 aid: str = "a1") -> Article:
    return Article(id=aid, published=day, text=text, title="t", url="http://x/1", source="s")


def make_event(eid: str = "e1", *, article_id: str = "a1", event_type: str = "REQUEST",
               actor: str | tuple[Entity, ...] = "USA", recipient: str | None = "TUR",
               day: date = date(2021, 10, 1), **kw: object) -> Event:
    rec = (Entity(code=recipient, sector="GOV", name=recipient, text=recipient,
                  cameo=recipient + "GOV", start=12, end=18),) if recipient else ()
    defaults: dict[str, object] = dict(
        cameo="100", goldstein=-5.0, quad_class=3, intensity=0.0, date=day,
        date_precision="day", date_basis="publication", date_text="", published=day,
        actor=actor if isinstance(actor, tuple) else (
            Entity(code=actor, sector="GOV", name=actor, text=actor, cameo=actor + "GOV",
                   start=4, end=6),),
        recipient=rec,
        evidence=Evidence(sentence="The US urged Turkey to stop.", sentence_index=0, start=0,
                          end=28, trigger="urged", trigger_start=7, trigger_end=12,
                          url="http://x/1"),
        factuality=Factuality(), confidence=0.7, coder="test", kb_version="kb",
        objects=(EventObject(text="S-400", name="S-400", category="air-defence system",
                             origin="RUS"),),
    )
    defaults.update(kw)
    return Event(id=eid, article_id=article_id, event_type=event_type, **defaults)  # type: ignore[arg-type]


def coded(article: Article, *events: Event) -> CodedArticle:
    return CodedArticle(article=article, events=tuple(events), sentences=1)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


def has_model() -> bool:
    try:
        from detente.nlp import model_name

        model_name()
        return True
    except Exception:
        return False


def load_script(name: str) -> Any:
    """The module of ``scripts/NAME.py`` (the scripts are not a package), registered in
    ``sys.modules`` under ``name``."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
