"""Hand-built events for the evaluation tests (no model, no coder)."""

from __future__ import annotations

from datetime import date

from detente.goldsets import PLV_QUAD, to_plv
from detente.records import Entity, Event, Evidence


def ent(code: str, *, sector: str = "", cameo: str = "", span: tuple[int, int] = (-1, -1)
        ) -> Entity:
    return Entity(code=code, sector=sector, cameo=cameo, start=span[0], end=span[1])


def event(event_type: str, *, cameo: str = "", actor: tuple[Entity, ...] = (),
          recipient: tuple[Entity, ...] = (), confidence: float = 0.5) -> Event:
    d = date(2000, 1, 1)
    return Event(
        id="e", article_id="a", event_type=event_type, cameo=cameo, goldstein=0.0,
        quad_class=PLV_QUAD.get(to_plv(event_type), 1), intensity=0.0, date=d,
        date_precision="day", date_basis="publication", date_text="", published=d,
        actor=actor, recipient=recipient,
        evidence=Evidence(sentence="", sentence_index=0, start=0, end=0),
        confidence=confidence)
