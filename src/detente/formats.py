"""Output shapes: PLOVER JSON records and flat rows (CSV/TSV/Parquet).

Field names follow the PLOVER manual (``id, date, actor, recipient, event, mode, context,
event_text, text_info, ...``); detente's extra fields (CAMEO code, Goldstein score,
factuality, evidence offsets, confidence, versions) are added under their own names.
"""

from __future__ import annotations

from typing import Any

from .records import Entity, Event

QUAD_LABELS = {
    1: "VERBAL COOPERATION",
    2: "MATERIAL COOPERATION",
    3: "VERBAL CONFLICT",
    4: "MATERIAL CONFLICT",
}
QUAD_SCHEME = "PLOVER"
"""The quad class is PLOVER's quad of the event type (see FORMATS.md: quad classes differ
between GDELT, ICEWS and Phoenix)."""


def entity_dict(e: Entity) -> dict[str, Any]:
    d: dict[str, Any] = {"code": e.code, "sector": e.sector, "entity_text": e.text,
                         "name": e.name}
    if e.office:
        d["office"] = e.office
    if e.wikidata:
        d["identifier_id"] = e.wikidata
        d["identifier_text"] = e.name
    if e.cameo:
        d["cameo_code"] = e.cameo
    if e.kb_key:
        d["kb_key"] = e.kb_key
    if e.inferred:
        d["inferred"] = True
    if e.start >= 0:
        d["start"] = e.start
        d["end"] = e.end
    return d


def plover_dict(e: Event) -> dict[str, Any]:
    """One event as a PLOVER JSON record (JSONL line)."""
    ev = e.evidence
    d: dict[str, Any] = {
        "id": e.id,
        "date": e.date.isoformat(),
        "date_precision": e.date_precision,
        "date_basis": e.date_basis,
        "date_text": e.date_text,
        "actor": [entity_dict(a) for a in e.actor],
        "recipient": [entity_dict(r) for r in e.recipient],
        "event": e.event_type,
        "mode": list(e.mode),
        "context": list(e.context),
        "quad_code": e.quad_class,
        "quad_label": QUAD_LABELS.get(e.quad_class, ""),
        "quad_scheme": QUAD_SCHEME,
        "event_intensity": e.intensity,
        "cameo_code": e.cameo,
        "goldstein": e.goldstein,
        "event_text": ev.trigger,
        "text": ev.sentence,
        "text_info": {"sequence": ev.sentence_index, "start": ev.start, "end": ev.end,
                      "trigger_start": ev.trigger_start, "trigger_end": ev.trigger_end},
        "negated": e.factuality.negated,
        "hypothetical": e.factuality.hypothetical,
        "future": e.factuality.future,
        "historical": e.factuality.historical,
        "objects": [{"name": o.name, "text": o.text, "category": o.category,
                     "origin": o.origin, **({"kb_key": o.kb_key} if o.kb_key else {})}
                    for o in e.objects],
        "event_loc": None,
        "content": e.content,
        "confidence": e.confidence,
        "link": ev.url,
        "article_id": e.article_id,
        "publication_date": e.published.isoformat(),
        "coder": e.coder,
        "kb_version": e.kb_version,
    }
    if e.location is not None:
        loc = e.location
        d["event_loc"] = {"extracted_place": loc.text, "resolved_place": loc.name,
                          "country_code": loc.country, "province": loc.admin1,
                          "lat": loc.lat, "lon": loc.lon, "geonameid": loc.geonameid,
                          "feature_class": loc.feature}
    return d
