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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import EvalDataError
from .goldsets import (
    DEFAULT_PUBLISHED,
    MAX_EXAMPLES,
    RECORDS_FILE,
    PetrItem,
    Scored,
    class_row,
    event_triples,
    load_petr,
    match_counts,
    normalise_code,
    prf,
    ratio,
    read_jsonl,
)
from .records import Annotations, Event, Mention, ParsedArticle

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


# -- actor resolution on gold spans ----------------------------------------------------

PERSON_RULES = frozenset({"descriptor+name", "title+person", "person-name", "person-surname",
                          "coref-surname", "coref-name", "title+name", "office+name"})
POLITICAL_SECTORS = frozenset({"GOV", "LEG", "ELI", "PTY", "OPP", "JUD", "MIL"})


@dataclass(frozen=True, slots=True)
class PredSpan:
    """An actor mention as the actor evals see it."""

    start: int
    end: int
    codes: tuple[str, ...]
    sectors: tuple[str, ...]
    rule: str
    kind: str
    """Entity typing: ``country``, ``politicalparty``, ``organisation``, ``politician``,
    ``person`` or ``other``."""


@dataclass(frozen=True, slots=True)
class ActorGold:
    """One gold actor span of a sentence (plover-gsr, zsp-plv, conflibert-cameo ner,
    crossner-politics)."""

    id: str
    text: str
    published: date
    role: str
    """``actor`` or ``recipient`` (crossner: the entity label)."""
    start: int
    end: int
    code: str = ""
    sector: str = ""


def _kind(m: Mention) -> str:
    ents = m.entities
    if not ents:
        return "other"
    e = ents[0]
    if m.rule in PERSON_RULES or e.kb_key.split(":", 1)[0].startswith("people"):
        return "politician" if (e.office or e.sector in POLITICAL_SECTORS) else "person"
    if m.rule in ("country-name", "compound") and not e.sector and len(e.code) == 3 \
            and e.kb_key.startswith("countries:"):
        return "country"  # a country's name (adjectives and capitals are not CrossNER countries)
    if m.rule.startswith(("group-name", "igo-name")):
        return "politicalparty" if e.sector == "PTY" else "organisation"
    if "+role" in m.rule and e.sector == "PTY":
        return "politicalparty"  # "the Liberal Party of Australia"
    return "other"


def predicted_actors(parsed: ParsedArticle, ann: Annotations, events: Sequence[Event],
                     kb: object) -> list[PredSpan]:
    """The actor mentions of one article (the ``predict`` hook of the actor sets)."""
    del parsed, events, kb
    return [PredSpan(m.start, m.end, tuple(normalise_code(e.code) for e in m.entities),
                     tuple(e.sector for e in m.entities), m.rule, _kind(m))
            for m in ann.mentions]


def _find(text: str, needle: str) -> tuple[int, int] | None:
    k = text.find(needle) if needle else -1
    return (k, k + len(needle)) if k >= 0 else None


def load_gsr_actors(directory: Path) -> list[ActorGold]:
    """plover-gsr gold actors: each source/target actor whose text is in the sentence,
    with its gold code (normalised) and sector (the first three letters; ``***`` none)."""
    out: list[ActorGold] = []
    for where, rec in read_jsonl(directory / RECORDS_FILE):
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise EvalDataError(f"{where}: missing 'text'", field="text")
        published = _date(rec.get("date"))
        for side, role in (("source", "actor"), ("target", "recipient")):
            actors = rec.get(side)
            if not isinstance(actors, list):
                continue
            for n, a in enumerate(actors):
                if not isinstance(a, dict):
                    continue
                span = _find(text, str(a.get("actorText") or ""))
                code = normalise_code(str(a.get("code") or ""))
                if span is None or not code:
                    continue
                sector = str(a.get("sector") or "")[:3].upper()
                out.append(ActorGold(f"{rec.get('id') or where}:{side}{n}", text, published,
                                     role, span[0], span[1], code,
                                     sector if sector.isalpha() else ""))
    return out


def _date(value: object) -> date:
    if isinstance(value, str) and value.strip():
        v = value.strip()
        try:
            if len(v) == 8 and v.isdigit():
                return date(int(v[:4]), int(v[4:6]), int(v[6:]))
            return date.fromisoformat(v[:10])
        except ValueError:
            pass
    return DEFAULT_PUBLISHED


def load_plv_actors(directory: Path) -> list[ActorGold]:
    """zsp-plv gold source/target spans (no gold codes: resolution is scored)."""
    out: list[ActorGold] = []
    for where, rec in read_jsonl(directory / RECORDS_FILE):
        text = rec.get("text")
        if not isinstance(text, str):
            raise EvalDataError(f"{where}: missing 'text'", field="text")
        for key, role in (("source_spans", "actor"), ("target_spans", "recipient")):
            for n, sp in enumerate(rec.get(key) or []):
                if isinstance(sp, list) and len(sp) == 2:
                    out.append(ActorGold(f"{rec.get('sentence_id', where)}:{role}{n}", text,
                                         DEFAULT_PUBLISHED, role, int(sp[0]), int(sp[1])))
    return out


def _bio_spans(tokens: Sequence[str], tags: Sequence[str]) -> tuple[str, list[tuple[str, int,
                                                                                 int]]]:
    """Text (tokens joined by spaces) and (label, start, end) character spans."""
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1
    text = " ".join(tokens)
    spans: list[tuple[str, int, int]] = []
    cur: list[Any] | None = None
    for k, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (cur is None or cur[0] != tag[2:])):
            if cur is not None:
                spans.append((cur[0], cur[1], cur[2]))
            cur = [tag[2:], starts[k], starts[k] + len(tokens[k])]
        elif tag.startswith("I-") and cur is not None:
            cur[2] = starts[k] + len(tokens[k])
        else:
            if cur is not None:
                spans.append((cur[0], cur[1], cur[2]))
            cur = None
    if cur is not None:
        spans.append((cur[0], cur[1], cur[2]))
    return text, spans


def load_conflibert_actors(directory: Path) -> list[ActorGold]:
    """conflibert-cameo ``ner.jsonl``: Source (S), Target (T) and reciprocal (R, counted
    on both sides) spans; no gold codes, so resolution is scored."""
    out: list[ActorGold] = []
    for where, rec in read_jsonl(directory / "ner.jsonl"):
        tokens, tags = rec.get("tokens"), rec.get("tags")
        if not isinstance(tokens, list) or not isinstance(tags, list) or len(tokens) != len(
                tags):
            raise EvalDataError(f"{where}: 'tokens' and 'tags' must be lists of one length",
                                field="tags")
        text, spans = _bio_spans([str(t) for t in tokens], [str(t) for t in tags])
        for n, (label, s, e) in enumerate(spans):
            roles = {"S": ("actor",), "T": ("recipient",), "R": ("actor", "recipient")}
            for role in roles.get(label, ()):
                out.append(ActorGold(f"{rec.get('src_split')}-{rec.get('src_index', where)}:"
                                     f"{n}{role[0]}", text, DEFAULT_PUBLISHED, role, s, e))
    return out


CROSSNER_TYPES = ("country", "politicalparty", "organisation", "politician")
"""crossner-politics labels that map onto detente's actor types (person, location,
election, event and misc have no counterpart and are not scored)."""


def load_crossner(directory: Path) -> list[ActorGold]:
    """crossner-politics (``train.txt`` and ``dev.txt``): entity spans of the labels in
    :data:`CROSSNER_TYPES`; every sentence is kept (one ``none`` item when it has none of
    them) so that predictions outside gold spans count against precision."""
    out: list[ActorGold] = []
    for fname in ("train.txt", "dev.txt"):
        path = directory / fname
        if not path.is_file():
            continue
        sents: list[list[tuple[str, str]]] = [[]]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                if sents[-1]:
                    sents.append([])
                continue
            tok, _, tag = line.rpartition("\t")
            sents[-1].append((tok, tag))
        for n, sent in enumerate(s for s in sents if s):
            text, spans = _bio_spans([t for t, _ in sent], [g for _, g in sent])
            kept = [(lab, s, e) for lab, s, e in spans if lab in CROSSNER_TYPES]
            sid = f"{fname[:-4]}-{n}"
            if not kept:
                out.append(ActorGold(sid + ":none", text, DEFAULT_PUBLISHED, "none", 0, 0))
            for k, (lab, s, e) in enumerate(kept):
                out.append(ActorGold(f"{sid}:{k}", text, DEFAULT_PUBLISHED, lab, s, e))
    if not out:
        raise EvalDataError(f"{directory}: no train.txt or dev.txt", path=str(directory))
    return out


def _overlapping(g: ActorGold, preds: Sequence[PredSpan]) -> list[PredSpan]:
    return [p for p in preds if p.start < g.end and g.start < p.end]


def score_gsr_actors(items: Sequence[ActorGold], preds: Sequence[Sequence[PredSpan]]
                     ) -> Scored:
    """Country and sector of the mentions on each gold actor span (plover-gsr)."""
    _check(items, preds)
    rows = []
    metrics: dict[str, float | int] = {}
    examples: list[dict[str, Any]] = []
    for role in ("actor", "recipient"):
        idx = [i for i, g in enumerate(items) if g.role == role]
        country_ok = sector_ok = sector_n = resolved = 0
        for i in idx:
            g, ps = items[i], _overlapping(items[i], preds[i])
            codes = {c for p in ps for c in p.codes if c}
            sectors = {s for p in ps for s in p.sectors if s}
            resolved += bool(codes)
            hit = g.code in codes
            country_ok += hit
            if g.sector:
                sector_n += 1
                sector_ok += g.sector in sectors
            if not hit and len(examples) < MAX_EXAMPLES:
                examples.append({"id": g.id, "text": g.text, "span": g.text[g.start:g.end],
                                 "gold": [g.code, g.sector], "pred": sorted(codes | sectors)})
        metrics[f"{role}_country_accuracy"] = ratio(country_ok, len(idx))
        metrics[f"{role}_sector_accuracy"] = ratio(sector_ok, sector_n)
        metrics[f"{role}_resolved"] = ratio(resolved, len(idx))
        metrics[f"{role}_spans"] = len(idx)
        rows.append(class_row(f"{role} country", tp=country_ok, support=len(idx),
                              predicted=resolved))
        rows.append(class_row(f"{role} sector", tp=sector_ok, support=sector_n,
                              predicted=sector_n))
    return Scored(metrics, {"gold spans (recall = accuracy)": rows}, None, examples)


def score_span_resolution(items: Sequence[ActorGold], preds: Sequence[Sequence[PredSpan]]
                          ) -> Scored:
    """Sets with gold spans but no gold codes (zsp-plv, conflibert-cameo ner): the share
    of gold actor spans on which detente resolves an actor with a code, and with a
    sector."""
    _check(items, preds)
    rows = []
    metrics: dict[str, float | int] = {}
    examples: list[dict[str, Any]] = []
    for role in ("actor", "recipient"):
        idx = [i for i, g in enumerate(items) if g.role == role]
        coded = sectored = 0
        for i in idx:
            ps = _overlapping(items[i], preds[i])
            has_code = any(c for p in ps for c in p.codes)
            coded += has_code
            sectored += any(s for p in ps for s in p.sectors)
            if not has_code and len(examples) < MAX_EXAMPLES:
                g = items[i]
                examples.append({"id": g.id, "text": g.text, "span": g.text[g.start:g.end],
                                 "role": role})
        metrics[f"{role}_resolved"] = ratio(coded, len(idx))
        metrics[f"{role}_with_sector"] = ratio(sectored, len(idx))
        metrics[f"{role}_spans"] = len(idx)
        rows.append(class_row(f"{role} resolved", tp=coded, support=len(idx),
                              predicted=len(idx)))
    return Scored(metrics, {"gold spans (recall = share resolved)": rows}, None, examples)


def score_crossner(items: Sequence[ActorGold], preds: Sequence[Sequence[PredSpan]]) -> Scored:
    """Entity typing on crossner-politics: detente's typed actor spans against the gold
    spans of the mapped labels (overlap match, one to one), P/R/F1 per type."""
    _check(items, preds)
    by_text: dict[str, tuple[list[ActorGold], Sequence[PredSpan]]] = {}
    for g, ps in zip(items, preds, strict=True):
        entry = by_text.setdefault(g.text, ([], ps))
        if g.role != "none":
            entry[0].append(g)
    tp = dict.fromkeys(CROSSNER_TYPES, 0)
    n_gold = dict.fromkeys(CROSSNER_TYPES, 0)
    n_pred = dict.fromkeys(CROSSNER_TYPES, 0)
    typed_any = 0
    examples: list[dict[str, Any]] = []
    for text, (golds, ps) in by_text.items():
        typed = [p for p in ps if p.kind in CROSSNER_TYPES]
        free = list(typed)
        for g in golds:
            n_gold[g.role] += 1
            match = next((p for p in free if p.start < g.end and g.start < p.end), None)
            if match is not None:
                free.remove(match)
                typed_any += 1
                if match.kind == g.role:
                    tp[g.role] += 1
                elif len(examples) < MAX_EXAMPLES:
                    examples.append({"text": text, "span": text[g.start:g.end],
                                     "gold": g.role, "pred": match.kind})
        for p in typed:
            n_pred[p.kind] += 1
    rows = [class_row(t, tp=tp[t], support=n_gold[t], predicted=n_pred[t])
            for t in CROSSNER_TYPES]
    metrics: dict[str, float | int] = {
        "macro_f1": sum(r.f1 for r in rows) / len(rows),
        "micro_f1": prf(sum(tp.values()), sum(n_gold.values()), sum(n_pred.values()))["f1"],
        **{f"{r.label}_f1": r.f1 for r in rows},
        "typed_span_recall": ratio(typed_any, sum(n_gold.values())),
        "gold_spans": sum(n_gold.values()),
    }
    return Scored(metrics, {"entity type": rows}, None, examples)


def _check(items: Sequence[Any], preds: Sequence[Any]) -> None:
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")
