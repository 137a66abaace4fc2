"""The gold sets ``detente eval`` scores: how each is read and scored.

Everything here is pure: loaders turn a directory laid out like ``shared/data/NAME`` into
gold items (:class:`PlvItem`, :class:`GsrItem`, :class:`PetrItem`), and scorers turn gold
items plus the coder's events (one list per item) into a :class:`Scored`. The registry,
the runner and the rendering are in :mod:`detente.evaluate`.

``zsp-plv``
    PLV (Hu et al., ACL 2024): one sentence with a marked source and target span, a
    PLOVER root type (``gold_root``) and quad class (``gold_penta``, the PLOVER quad 1-4,
    *not* Phoenix PentaClass). Labels are pre-2021 PLOVER with ``YIELD``, so predicted
    ``CONCEDE`` and ``RETREAT`` both count as ``YIELD`` (:data:`PLV_FROM_CURRENT`). The
    predicted root is the type of the *chosen* event: the event whose actor/recipient
    entity offsets best overlap the gold source/target spans, ties broken by confidence;
    ``NONE`` when the sentence has no event (a miss for every gold class). The predicted
    quad is the quad of the predicted root in the set's scheme (:data:`PLV_QUAD`, YIELD = 2).
    Reported: macro-F1 over the gold classes for root, quad and binary (cooperation = quad
    1-2), accuracy, coverage, the same three on the ``test`` rows only (the published
    anchors are on PLV_test), per-class tables and a confusion matrix.
    No publication date is given: every sentence is dated :data:`DEFAULT_PUBLISHED`.

``plover-gsr``
    PLOVER gold-standard records coded in PLOVER 0.5b1. Old type names are mapped to the
    current manual (:data:`PLOVER_05_TO_CURRENT`: DEMAND->REQUEST, DISAPPROVE->ACCUSE,
    INVESTIGATE->ACCUSE, FIGHT->ASSAULT; the others are unchanged). Country codes in gold
    and predictions go through :func:`normalise_code` (withdrawn or non-standard codes
    such as JAP, ITL, ROM -> JPN, ITA, ROU; any IGO -> ``IGO``, the 0.5b1 convention).
    One gold record = one event; a sentence coded several times is parsed once, and each
    record picks its own best event (overlap with the gold actor texts, then confidence).
    Reported: type accuracy and macro-F1, actor-country and recipient-country accuracy
    (exact set match), exact (type, actor set, recipient set) match, coverage. Records
    marked ``SRC/TAR`` (reciprocal) compare the union of predicted actor and recipient
    countries with the gold set; ``countries_unordered_accuracy`` does that for every
    record (who met whom, ignoring direction). A ``target`` that is a string (empty, or
    in one record a stray context word) means no recipient. Dated by the gold ``date``
    (2000-01-01 throughout).

``petr2-gsr-validation``
    PETRARCH-2 validation sentences with CAMEO triples ``(source, code, target)``. Each
    predicted event gives one triple per (actor, recipient) pair, using
    :attr:`Entity.cameo <detente.records.Entity.cameo>` (else ISO code + sector) and
    ``---`` for a missing side, as the gold does. Reported: precision/recall/F1 of exact
    triples (multiset matching per sentence), of loose triples (source country, CAMEO
    root, target country), loose F1 without roots 01/02 (which PLOVER drops), dyad F1
    (source and target country only), per-root tables, and sentence-level "no events"
    correctness.
    Dated by the gold ``date`` (YYYYMMDD). Records with ``evaluate`` false are skipped;
    a record whose ``text`` is empty but which has a ``parse_conllu`` is rebuilt from the
    parse's tokens (one DEV record is like that).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from .errors import EvalDataError
from .records import Entity, Event

RECORDS_FILE = "records.jsonl"

DEFAULT_PUBLISHED = date(2000, 1, 1)
"""Publication date given to sentences whose gold set has none (zsp-plv)."""

NONE_LABEL = "NONE"
"""The predicted label of a sentence with no (usable) event."""

MAX_EXAMPLES = 50
"""How many mispredicted items a report keeps (for looking at errors, not for scoring)."""

# -- label and code conventions ------------------------------------------------------

PLOVER_TYPES: tuple[str, ...] = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
"""The 16 event types of the current PLOVER manual (draft 2.0, 2024)."""

PLOVER_05_TO_CURRENT: Mapping[str, str] = {
    "DEMAND": "REQUEST",
    "DISAPPROVE": "ACCUSE",
    "INVESTIGATE": "ACCUSE",
    "FIGHT": "ASSAULT",
}
"""PLOVER 0.5b1 type names (plover-gsr) -> current names. 0.5b1 ASSAULT (violence
against civilians) and FIGHT (armed combat) are both ASSAULT now; INVESTIGATE became a
mode of ACCUSE. Types not listed keep their name."""

PLV_QUAD: Mapping[str, int] = {
    "AGREE": 1, "CONSULT": 1, "SUPPORT": 1,
    "COOPERATE": 2, "AID": 2, "YIELD": 2,
    "REQUEST": 3, "ACCUSE": 3, "REJECT": 3, "THREATEN": 3,
    "PROTEST": 4, "MOBILIZE": 4, "SANCTION": 4, "COERCE": 4, "ASSAULT": 4,
}
"""The zsp-plv scheme: 15 pre-2021 PLOVER types and their quad (from the set's README)."""

PLV_FROM_CURRENT: Mapping[str, str] = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}
"""Current PLOVER split YIELD into CONCEDE (verbal) and RETREAT (material)."""

OLD_COUNTRY_CODES: Mapping[str, str] = {
    "JAP": "JPN",  # non-ISO spelling used in plover-gsr gold (Tokyo)
    "ITL": "ITA",  # non-ISO spelling used in plover-gsr gold
    "ROM": "ROU",  # ISO 3166-1 alpha-3 for Romania until 2002
    "ZAR": "COD",  # Zaire, withdrawn from ISO 3166-1 in 1997
    "TMP": "TLS",  # East Timor, withdrawn from ISO 3166-1 in 2002
    "BUR": "MMR",  # Burma, withdrawn from ISO 3166-1 in 1989
    "XKX": "KOS",  # Kosovo: user-assigned code; PLOVER writes KOS
    "KSV": "KOS",  # Kosovo, another common user-assigned code
}
"""Country codes in gold sets (or predictions) that are not current ISO/PLOVER codes."""

NONSTATE_CODES = frozenset({"IGO", "NGO", "ISM", "IMG", "MNC"})
"""PLOVER non-state actor codes kept as they are. UNO and EUR (and any other
organisation code) are folded into IGO, as PLOVER 0.5b1 gold codes them."""

EXTRA_COUNTRY_CODES = frozenset({"KOS", "PSE", "HKG", "ATA", "TWN"})


@cache
def _iso3() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries) | EXTRA_COUNTRY_CODES


def normalise_code(code: str, *, cameo: str = "") -> str:
    """A country-level code for comparison: ISO alpha-3, a non-state code, or ``IGO``.

    Old codes are modernised (:data:`OLD_COUNTRY_CODES`); organisation codes (UNO, EUR,
    an IGO's own code, or a CAMEO code starting with ``IGO``) become ``IGO``. An empty
    code stays empty.
    """
    c = code.strip().upper()
    c = OLD_COUNTRY_CODES.get(c, c)
    if not c:
        return ""
    if cameo.upper().startswith("IGO") or c in {"UNO", "EUR"}:
        return "IGO"
    if c in NONSTATE_CODES or c in _iso3():
        return c
    return "IGO" if len(c) != 3 or not c.isalpha() else c


def map_plover_05(label: str) -> str:
    """A PLOVER 0.5b1 (or current) type name in the current manual's terms."""
    lab = label.strip().upper()
    return PLOVER_05_TO_CURRENT.get(lab, lab)


def to_plv(label: str) -> str:
    """A current PLOVER type in the zsp-plv scheme (CONCEDE/RETREAT -> YIELD)."""
    lab = label.strip().upper()
    return PLV_FROM_CURRENT.get(lab, lab)


CAMEO_SECTOR: Mapping[str, str] = {"JRN": "MED", "MED": "HLH"}
"""PLOVER sector -> CAMEO role where they differ (PLOVER MED is health, CAMEO's is media)."""


def cameo_actor(entity: Entity) -> str:
    """The CAMEO actor code of an entity: its ``cameo`` field, else code + sector."""
    if entity.cameo.strip():
        return entity.cameo.strip().upper()
    code = entity.code.strip().upper() or "---"
    sector = entity.sector.strip().upper()
    return code + CAMEO_SECTOR.get(sector, sector)


# -- metrics -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassRow:
    """Precision, recall and F1 of one class."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    """Gold items of this class."""
    predicted: int
    """Items predicted as this class."""
    tp: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "precision": rounded(self.precision),
                "recall": rounded(self.recall), "f1": rounded(self.f1), "support": self.support,
                "predicted": self.predicted, "tp": self.tp}


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return ratio(2 * p * r, p + r)


def rounded(x: float) -> float:
    return round(float(x), 4)


def class_row(label: str, *, tp: int, support: int, predicted: int) -> ClassRow:
    p, r = ratio(tp, predicted), ratio(tp, support)
    return ClassRow(label, p, r, _f1(p, r), support, predicted, tp)


def per_class(gold: Sequence[str], pred: Sequence[str], *,
              labels: Iterable[str] | None = None) -> list[ClassRow]:
    """Per-class P/R/F1 for single-label predictions, one row per gold class.

    ``labels`` fixes the rows (and their order); by default the gold classes, sorted.
    Predictions of a class outside the rows (e.g. ``NONE``) count only as misses.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    g, p = Counter(gold), Counter(pred)
    tp = Counter(a for a, b in zip(gold, pred, strict=True) if a == b)
    rows = sorted(g) if labels is None else list(labels)
    return [class_row(lab, tp=tp[lab], support=g[lab], predicted=p[lab]) for lab in rows]


def macro_f1(rows: Iterable[ClassRow]) -> float:
    """Mean F1 over the rows that have gold support."""
    f1s = [row.f1 for row in rows if row.support > 0]
    return sum(f1s) / len(f1s) if f1s else 0.0


def accuracy(gold: Sequence[Any], pred: Sequence[Any]) -> float:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    return ratio(sum(1 for a, b in zip(gold, pred, strict=True) if a == b), len(gold))


def confusion(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, int]]:
    """``{gold label: {predicted label: count}}`` (only non-zero cells)."""
    out: dict[str, dict[str, int]] = {}
    for a, b in zip(gold, pred, strict=True):
        row = out.setdefault(a, {})
        row[b] = row.get(b, 0) + 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One confidence bin of a reliability table."""

    low: float
    high: float
    n: int
    confidence: float
    """Mean confidence of the items in the bin."""
    accuracy: float
    """Share of them that were right."""

    def to_dict(self) -> dict[str, Any]:
        return {"low": rounded(self.low), "high": rounded(self.high), "n": self.n,
                "confidence": rounded(self.confidence), "accuracy": rounded(self.accuracy)}


def reliability(pairs: Iterable[tuple[float, bool]], *, bins: int = 10
                ) -> list[ReliabilityBin]:
    """Equal-width confidence bins over ``[0, 1]`` (the last one closed), each with its
    mean confidence and accuracy; empty bins are left out."""
    sums: list[list[float]] = [[0, 0.0, 0.0] for _ in range(bins)]
    for conf, ok in pairs:
        c = min(1.0, max(0.0, float(conf)))
        b = min(bins - 1, int(c * bins))
        sums[b][0] += 1
        sums[b][1] += c
        sums[b][2] += 1.0 if ok else 0.0
    return [ReliabilityBin(b / bins, (b + 1) / bins, int(n), c / n, k / n)
            for b, (n, c, k) in enumerate(sums) if n]


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float:
    """ECE: the mean over items of ``|accuracy - confidence|`` of their bin."""
    total = sum(b.n for b in table)
    return ratio(sum(b.n * abs(b.accuracy - b.confidence) for b in table), total)


Triple = tuple[str, str, str]


def match_counts(gold: Sequence[Sequence[tuple[str, ...]]],
                 pred: Sequence[Sequence[tuple[str, ...]]]) -> tuple[int, int, int]:
    """``(tp, n_gold, n_pred)`` over items, matching each item's triples as multisets."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold items but {len(pred)} predicted items")
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred, strict=True):
        tp += sum((Counter(g) & Counter(p)).values())
        n_gold += len(g)
        n_pred += len(p)
    return tp, n_gold, n_pred


def prf(tp: int, n_gold: int, n_pred: int) -> dict[str, float]:
    p, r = ratio(tp, n_pred), ratio(tp, n_gold)
    return {"precision": p, "recall": r, "f1": _f1(p, r)}


NON_PLOVER_ROOTS = frozenset({"01", "02"})
"""CAMEO roots PLOVER drops (statements, appeals): a PLOVER coder cannot find them, so
``loose_f1_plover_roots`` leaves them out on both sides."""


def loose_triple(t: Triple) -> Triple:
    """``(source country, CAMEO root, target country)`` of an exact triple."""
    src, code, tgt = t
    return (src[:3], code[:2], tgt[:3])


# -- gold items ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlvItem:
    """One zsp-plv row."""

    id: str
    text: str
    published: date
    root: str
    quad: int
    source_spans: tuple[tuple[int, int], ...]
    target_spans: tuple[tuple[int, int], ...]
    split: str = ""


@dataclass(frozen=True, slots=True)
class GsrItem:
    """One plover-gsr event record (type already in current PLOVER terms)."""

    id: str
    text: str
    published: date
    event: str
    gold_event: str
    """The type as written in the gold (0.5b1)."""
    actors: frozenset[str]
    recipients: frozenset[str]
    actor_texts: tuple[str, ...] = ()
    recipient_texts: tuple[str, ...] = ()
    reciprocal: bool = False


@dataclass(frozen=True, slots=True)
class PetrItem:
    """One petr2-gsr-validation sentence with its CAMEO triples."""

    id: str
    text: str
    published: date
    events: tuple[Triple, ...]
    noevents: bool
    category: str = ""


GoldItem = PlvItem | GsrItem | PetrItem


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each non-blank line; malformed lines raise
    :class:`EvalDataError` naming the file and line."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise EvalDataError(f"cannot read {path}: {exc}", file=str(path)) from exc
    with fh:
        try:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalDataError(f"{path}:{n}: not valid JSON ({exc.msg})",
                                        file=str(path), line=n) from exc
                if not isinstance(rec, dict):
                    raise EvalDataError(f"{path}:{n}: expected a JSON object",
                                        file=str(path), line=n)
                yield n, rec
        except UnicodeDecodeError as exc:
            raise EvalDataError(f"{path}: not UTF-8 ({exc})", file=str(path)) from exc


def _need(rec: Mapping[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in rec or rec[key] is None:
        raise EvalDataError(f"{where}: missing field '{key}'", field=key)
    value = rec[key]
    if isinstance(value, bool) and typ in (int, float):
        raise EvalDataError(f"{where}: field '{key}' must be a number", field=key)
    if not isinstance(value, typ):
        tname = getattr(typ, "__name__", str(typ))
        raise EvalDataError(f"{where}: field '{key}' must be {tname}, "
                            f"got {type(value).__name__}", field=key)
    if isinstance(value, str) and not value.strip():
        raise EvalDataError(f"{where}: field '{key}' is empty", field=key)
    return value


def _spans(value: Any, where: str, key: str) -> tuple[tuple[int, int], ...]:
    if value is None:
        return ()
    try:
        return tuple((int(a), int(b)) for a, b in value)
    except (TypeError, ValueError) as exc:
        raise EvalDataError(f"{where}: field '{key}' must be a list of [start, end] pairs",
                            field=key) from exc


def _find_all(text: str, needle: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    if not needle:
        return out
    i = text.find(needle)
    while i != -1:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    return out


def _records(directory: Path, filename: str = RECORDS_FILE
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    path = directory / filename
    if not path.is_file():
        raise EvalDataError(f"{path} not found", file=str(path),
                            hint=f"a gold set directory must contain {filename}")
    for n, rec in read_jsonl(path):
        yield f"{path}:{n}", rec


def load_plv(directory: Path) -> list[PlvItem]:
    """Load a zsp-plv-style directory."""
    items: list[PlvItem] = []
    for where, rec in _records(directory):
        text = _need(rec, "text", str, where)
        root = to_plv(_need(rec, "gold_root", str, where))
        quad = _need(rec, "gold_penta", int, where)
        if quad not in (1, 2, 3, 4):
            raise EvalDataError(f"{where}: gold_penta must be 1-4, got {quad}",
                                field="gold_penta")
        src = _spans(rec.get("source_spans"), where, "source_spans")
        tgt = _spans(rec.get("target_spans"), where, "target_spans")
        if not src and isinstance(rec.get("source"), str):
            src = tuple(_find_all(text, rec["source"]))
        if not tgt and isinstance(rec.get("target"), str):
            tgt = tuple(_find_all(text, rec["target"]))
        split = str(rec.get("src_split") or "")
        rid = str(rec.get("uid") or f"{split}-{rec.get('src_index', len(items))}")
        items.append(PlvItem(rid, text, DEFAULT_PUBLISHED, root, quad, src, tgt, split))
    return items


def _gsr_actors(value: Any, where: str, key: str) -> tuple[frozenset[str], tuple[str, ...]]:
    if value is None or isinstance(value, str):
        # "" means no actor; one gold record has a stray context word ("diplomatic") here
        return frozenset(), ()
    if not isinstance(value, list):
        raise EvalDataError(f"{where}: field '{key}' must be a list of actors or empty",
                            field=key)
    codes: set[str] = set()
    texts: list[str] = []
    for actor in value:
        if not isinstance(actor, dict):
            raise EvalDataError(f"{where}: each '{key}' actor must be an object", field=key)
        code = normalise_code(str(actor.get("code") or ""))
        if code:
            codes.add(code)
        if actor.get("actorText"):
            texts.append(str(actor["actorText"]))
    return frozenset(codes), tuple(texts)


def _parse_date(value: str, where: str) -> date:
    v = value.strip()
    try:
        if len(v) == 8 and v.isdigit():
            return date(int(v[:4]), int(v[4:6]), int(v[6:]))
        return date.fromisoformat(v)
    except ValueError as exc:
        raise EvalDataError(f"{where}: bad date {value!r} (YYYY-MM-DD or YYYYMMDD)",
                            field="date") from exc


def load_gsr(directory: Path) -> list[GsrItem]:
    """Load a plover-gsr-style directory."""
    items: list[GsrItem] = []
    for where, rec in _records(directory):
        text = _need(rec, "text", str, where)
        raw_event = _need(rec, "event", str, where)
        actors, a_texts = _gsr_actors(rec.get("source"), where, "source")
        recips, r_texts = _gsr_actors(rec.get("target"), where, "target")
        markup = ((rec.get("textInfo") or {}).get("markup") or "") \
            if isinstance(rec.get("textInfo"), dict) else ""
        published = _parse_date(str(rec["date"]), where) if rec.get("date") \
            else DEFAULT_PUBLISHED
        items.append(GsrItem(
            id=str(rec.get("id") or where), text=text, published=published,
            event=map_plover_05(raw_event), gold_event=raw_event.strip().upper(),
            actors=actors, recipients=recips, actor_texts=a_texts, recipient_texts=r_texts,
            reciprocal="SRC/TAR" in markup))
    return items


_NO_SPACE_BEFORE = frozenset({".", ",", ";", ":", "!", "?", ")", "]", "%", "'s", "n't", "'"})


def text_from_conllu(conllu: str) -> str:
    """Rebuild a sentence from the FORM column of a CoNLL-U parse (spaces between tokens,
    none before closing punctuation or clitics)."""
    out = ""
    for line in conllu.splitlines():
        cols = line.split("\t")
        if len(cols) < 2 or line.startswith("#") or not cols[0].isdigit():
            continue
        form = cols[1]
        if out and form not in _NO_SPACE_BEFORE and not out.endswith(("(", "[")):
            out += " "
        out += form
    return out


def load_petr(directory: Path) -> list[PetrItem]:
    """Load a petr2-gsr-validation-style directory (records with ``evaluate`` false are
    skipped)."""
    items: list[PetrItem] = []
    for where, rec in _records(directory):
        if str(rec.get("evaluate", "true")).lower() == "false":
            continue
        text = rec.get("text")
        if isinstance(text, str) and not text.strip() and isinstance(rec.get("parse_conllu"), str):
            text = text_from_conllu(rec["parse_conllu"])  # one record has only its parse
        text = _need({"text": text}, "text", str, where)
        events = rec.get("events") or []
        if not isinstance(events, list):
            raise EvalDataError(f"{where}: field 'events' must be a list", field="events")
        triples: list[Triple] = []
        for ev in events:
            if not isinstance(ev, dict):
                raise EvalDataError(f"{where}: each event must be an object", field="events")
            code = _need(ev, "code", str, where + " (event)")
            src = str(ev.get("source") or "---").strip().upper()
            tgt = str(ev.get("target") or "---").strip().upper()
            triples.append((src, code.strip(), tgt))
        noevents = rec.get("noevents")
        published = _parse_date(str(rec["date"]), where) if rec.get("date") \
            else DEFAULT_PUBLISHED
        items.append(PetrItem(
            id=str(rec.get("id") or where), text=text, published=published,
            events=tuple(triples),
            noevents=bool(noevents) if noevents is not None else not triples,
            category=str(rec.get("category") or "")))
    return items


# -- sentence-label sets ---------------------------------------------------------------

PHOENIX_PENTA: Mapping[str, int] = {
    "01": 0, "02": 0, "03": 1, "04": 1, "05": 1, "06": 2, "07": 2, "08": 2,
    "09": 3, "10": 3, "11": 3, "12": 3, "13": 3, "16": 3,
    "14": 4, "15": 4, "17": 4, "18": 4, "19": 4, "20": 4,
}
"""CAMEO root -> Phoenix PentaClass, as conflibert-cameo's README gives it."""


@dataclass(frozen=True, slots=True)
class LabelItem:
    """A sentence with one gold label (cameo-codebook-examples, conflibert-cameo, zsp-aw)."""

    id: str
    text: str
    published: date
    label: str
    code: str = ""
    """The full CAMEO code, where the set gives one."""
    split: str = ""
    source_spans: tuple[tuple[int, int], ...] = ()
    target_spans: tuple[tuple[int, int], ...] = ()


def load_cameo_examples(directory: Path) -> list[LabelItem]:
    """Load a cameo-codebook-examples-style directory (``examples.jsonl``: code, text)."""
    items: list[LabelItem] = []
    for where, rec in _records(directory, "examples.jsonl"):
        text = _need(rec, "text", str, where)
        code = _need(rec, "code", str, where).strip()
        if not code.isdigit() or not 2 <= len(code) <= 4:
            raise EvalDataError(f"{where}: 'code' must be a CAMEO code of 2-4 digits, got "
                                f"{code!r}", field="code")
        items.append(LabelItem(f"{code}-{len(items)}", text, DEFAULT_PUBLISHED, code[:2],
                               code=code))
    return items


def load_conflibert(directory: Path) -> list[LabelItem]:
    """Load a conflibert-cameo-style directory (``class.jsonl``: text, pentaclass 0-4)."""
    items: list[LabelItem] = []
    for where, rec in _records(directory, "class.jsonl"):
        text = _need(rec, "text", str, where)
        penta = _need(rec, "pentaclass", int, where)
        if penta not in (0, 1, 2, 3, 4):
            raise EvalDataError(f"{where}: pentaclass must be 0-4, got {penta}",
                                field="pentaclass")
        split = str(rec.get("src_split") or "")
        items.append(LabelItem(f"{split}-{rec.get('src_index', len(items))}", text,
                               DEFAULT_PUBLISHED, str(penta), split=split))
    return items


def load_aw(directory: Path) -> list[LabelItem]:
    """Load a zsp-aw-style directory (``records.jsonl``: text, spans, gold_binary)."""
    items: list[LabelItem] = []
    for where, rec in _records(directory):
        text = _need(rec, "text", str, where)
        binary = _need(rec, "gold_binary", int, where)
        if binary not in (0, 1):
            raise EvalDataError(f"{where}: gold_binary must be 0 or 1, got {binary}",
                                field="gold_binary")
        split = str(rec.get("src_split") or "")
        rid = str(rec.get("uid") or f"{split}-{rec.get('src_index', len(items))}")
        items.append(LabelItem(
            rid, text, DEFAULT_PUBLISHED, "conflict" if binary else "coop", split=split,
            source_spans=_spans(rec.get("source_spans"), where, "source_spans"),
            target_spans=_spans(rec.get("target_spans"), where, "target_spans")))
    return items


# -- choosing the predicted event ----------------------------------------------------


def _overlaps(entities: Iterable[Entity], spans: Sequence[tuple[int, int]]) -> bool:
    for e in entities:
        if e.start < 0 or e.end <= e.start:
            continue
        for a, b in spans:
            if e.start < b and a < e.end:
                return True
    return False


def pick_event(events: Sequence[Event], source_spans: Sequence[tuple[int, int]] = (),
               target_spans: Sequence[tuple[int, int]] = ()) -> Event | None:
    """The event that best fits a gold source/target: most of (actor overlaps source,
    recipient overlaps target), then highest confidence, then first. ``None`` if no
    events."""
    best: Event | None = None
    best_key: tuple[int, float] | None = None
    for ev in events:
        fit = int(_overlaps(ev.actor, source_spans)) + int(_overlaps(ev.recipient, target_spans))
        key = (fit, ev.confidence)
        if best_key is None or key > best_key:
            best, best_key = ev, key
    return best


# -- scoring ------------------------------------------------------------------------


@dataclass
class Scored:
    """What a scorer returns; :func:`run_eval` wraps it into an :class:`EvalReport`."""

    metrics: dict[str, float | int]
    per_class: dict[str, list[ClassRow]]
    confusion: dict[str, dict[str, int]] | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    calibration: list[tuple[float, bool]] = field(default_factory=list)
    """``(confidence, correct)`` of each item's chosen event (items with none are left
    out), for the reliability table."""


def _binary(q: int) -> str:
    return "coop" if q in (1, 2) else "conflict" if q in (3, 4) else NONE_LABEL


def score_plv(items: Sequence[PlvItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score zsp-plv: root, quad and binary macro-F1 (see the module docstring)."""
    _same_length(items, preds)
    gold_root = [it.root for it in items]
    pred_root: list[str] = []
    calib: list[tuple[float, bool]] = []
    for it, evs in zip(items, preds, strict=True):
        ev = pick_event(evs, it.source_spans, it.target_spans)
        pred_root.append(to_plv(ev.event_type) if ev is not None else NONE_LABEL)
        if ev is not None:
            calib.append((ev.confidence, pred_root[-1] == it.root))
    gold_quad = [str(it.quad) for it in items]
    pred_quad = [str(PLV_QUAD.get(p, 0)) if p != NONE_LABEL else NONE_LABEL for p in pred_root]
    gold_bin = [_binary(it.quad) for it in items]
    pred_bin = [_binary(int(q)) if q != NONE_LABEL else NONE_LABEL for q in pred_quad]

    root_rows = per_class(gold_root, pred_root)
    quad_rows = per_class(gold_quad, pred_quad)
    bin_rows = per_class(gold_bin, pred_bin)
    metrics: dict[str, float | int] = {
        "root_macro_f1": macro_f1(root_rows),
        "root_accuracy": accuracy(gold_root, pred_root),
        "quad_macro_f1": macro_f1(quad_rows),
        "quad_accuracy": accuracy(gold_quad, pred_quad),
        "binary_macro_f1": macro_f1(bin_rows),
        "coverage": ratio(sum(1 for evs in preds if evs), len(items)),
    }
    test_idx = [i for i, it in enumerate(items) if it.split == "test"]
    if test_idx and len(test_idx) < len(items):
        def sub(xs: Sequence[str]) -> list[str]:
            return [xs[i] for i in test_idx]

        metrics["test_n"] = len(test_idx)
        metrics["test_root_macro_f1"] = macro_f1(per_class(sub(gold_root), sub(pred_root)))
        metrics["test_quad_macro_f1"] = macro_f1(per_class(sub(gold_quad), sub(pred_quad)))
        metrics["test_binary_macro_f1"] = macro_f1(per_class(sub(gold_bin), sub(pred_bin)))
    examples = [{"id": it.id, "text": it.text, "gold": it.root, "pred": p,
                 "events": [_event_brief(e) for e in evs]}
                for it, p, evs in zip(items, pred_root, preds, strict=True) if p != it.root]
    return Scored(metrics, {"root": root_rows, "quad": quad_rows, "binary": bin_rows},
                  confusion(gold_root, pred_root), spread(examples, key="gold"), calib)


def _codes(entities: Iterable[Entity]) -> frozenset[str]:
    out = {normalise_code(e.code, cameo=e.cameo) for e in entities}
    out.discard("")
    return frozenset(out)


def score_gsr(items: Sequence[GsrItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score plover-gsr: event type, actor and recipient countries, exact match."""
    _same_length(items, preds)
    gold_t, pred_t = [], []
    actor_ok = recip_ok = either_ok = exact = 0
    examples: list[dict[str, Any]] = []
    calib: list[tuple[float, bool]] = []
    for it, evs in zip(items, preds, strict=True):
        ev = pick_event(evs, _spans_of(it.text, it.actor_texts),
                        _spans_of(it.text, it.recipient_texts))
        ptype = ev.event_type.strip().upper() if ev is not None else NONE_LABEL
        pa = _codes(ev.actor) if ev is not None else frozenset()
        pr = _codes(ev.recipient) if ev is not None else frozenset()
        if it.reciprocal:
            a_ok = r_ok = (pa | pr) == (it.actors | it.recipients)
        else:
            a_ok, r_ok = pa == it.actors, pr == it.recipients
        actor_ok += a_ok
        recip_ok += r_ok
        either_ok += (pa | pr) == (it.actors | it.recipients)
        t_ok = ptype == it.event
        exact += t_ok and a_ok and r_ok
        if ev is not None:
            calib.append((ev.confidence, t_ok))
        gold_t.append(it.event)
        pred_t.append(ptype)
        if not (t_ok and a_ok and r_ok):
            examples.append({"id": it.id, "text": it.text, "gold_type": it.event,
                             "gold": [it.event, sorted(it.actors), sorted(it.recipients)],
                             "pred": [ptype, sorted(pa), sorted(pr)],
                             "events": [_event_brief(e) for e in evs]})
    n = len(items)
    rows = per_class(gold_t, pred_t)
    metrics: dict[str, float | int] = {
        "type_accuracy": accuracy(gold_t, pred_t),
        "type_macro_f1": macro_f1(rows),
        "actor_country_accuracy": ratio(actor_ok, n),
        "recipient_country_accuracy": ratio(recip_ok, n),
        "countries_unordered_accuracy": ratio(either_ok, n),
        "exact_match": ratio(exact, n),
        "coverage": ratio(sum(1 for evs in preds if evs), n),
        "sentences": len({it.text for it in items}),
    }
    return Scored(metrics, {"type": rows}, confusion(gold_t, pred_t),
                  spread(examples, key="gold_type"), calib)


def _spans_of(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    return [s for n in needles for s in _find_all(text, n)]


def event_triples(ev: Event) -> list[Triple]:
    """The CAMEO triples of one event: one per (actor, recipient) pair, ``---`` for a
    missing side."""
    actors = [cameo_actor(e) for e in ev.actor] or ["---"]
    recips = [cameo_actor(e) for e in ev.recipient] or ["---"]
    code = ev.cameo.strip()
    return [(a, code, r) for a in actors for r in recips]


def score_petr(items: Sequence[PetrItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score petr2-gsr-validation: exact and loose CAMEO triples, no-event sentences."""
    _same_length(items, preds)
    gold = [list(it.events) for it in items]
    pred = [[t for ev in evs for t in event_triples(ev)] for evs in preds]
    gold_l = [[loose_triple(t) for t in g] for g in gold]
    pred_l = [[loose_triple(t) for t in p] for p in pred]
    exact = prf(*match_counts(gold, pred))
    loose = prf(*match_counts(gold_l, pred_l))
    tp, n_gold, n_pred = match_counts(gold, pred)
    dyad = prf(*match_counts([[(s, t) for s, _c, t in g] for g in gold_l],
                             [[(s, t) for s, _c, t in p] for p in pred_l]))
    plover = prf(*match_counts([[t for t in g if t[1] not in NON_PLOVER_ROOTS] for g in gold_l],
                               [[t for t in p if t[1] not in NON_PLOVER_ROOTS] for p in pred_l]))
    no_ev = [i for i, it in enumerate(items) if it.noevents]
    with_ev = [i for i, it in enumerate(items) if not it.noevents]
    sent_ok = sum(1 for i in no_ev if not pred[i]) + sum(1 for i in with_ev if pred[i])
    roots = sorted({t[1] for g in gold_l for t in g} | {t[1] for p in pred_l for t in p})
    rows = []
    for root in roots:
        g_r = [[t for t in g if t[1] == root] for g in gold_l]
        p_r = [[t for t in p if t[1] == root] for p in pred_l]
        r_tp, r_g, r_p = match_counts(g_r, p_r)
        rows.append(class_row(root, tp=r_tp, support=r_g, predicted=r_p))
    metrics: dict[str, float | int] = {
        "triple_precision": exact["precision"], "triple_recall": exact["recall"],
        "triple_f1": exact["f1"],
        "loose_precision": loose["precision"], "loose_recall": loose["recall"],
        "loose_f1": loose["f1"],
        "dyad_f1": dyad["f1"],
        "loose_f1_plover_roots": plover["f1"],
        "gold_events": n_gold, "predicted_events": n_pred, "exact_tp": tp,
        "noevents_sentences": len(no_ev),
        "noevents_accuracy": ratio(sum(1 for i in no_ev if not pred[i]), len(no_ev)),
        "event_sentence_recall": ratio(sum(1 for i in with_ev if pred[i]), len(with_ev)),
        "sentence_accuracy": ratio(sent_ok, len(items)),
    }
    examples = [{"id": it.id, "text": it.text, "gold": [list(t) for t in g],
                 "pred": [list(t) for t in p]}
                for it, g, p in zip(items, gold, pred, strict=True)
                if Counter(g) != Counter(p)]
    return Scored(metrics, {"cameo_root": rows}, None, examples[:MAX_EXAMPLES])


def spread(examples: Sequence[dict[str, Any]], *, key: str,
           limit: int = MAX_EXAMPLES) -> list[dict[str, Any]]:
    """Up to ``limit`` examples taken in turn from each value of ``key`` (so every gold
    class shows some mistakes), in their original order."""
    groups: dict[Any, list[int]] = {}
    for i, ex in enumerate(examples):
        groups.setdefault(ex.get(key), []).append(i)
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(limit, len(examples)):
        for idxs in groups.values():
            if depth < len(idxs) and len(chosen) < limit:
                chosen.append(idxs[depth])
        depth += 1
    return [examples[i] for i in sorted(chosen)]


def _cameo_root(ev: Event | None) -> str:
    code = ev.cameo.strip() if ev is not None else ""
    return code[:2] if len(code) >= 2 and code[:2].isdigit() else NONE_LABEL


def _label_scored(items: Sequence[LabelItem], pred: Sequence[str],
                  preds: Sequence[Sequence[Event]], *, prefix: str,
                  table: str, chosen: Sequence[Event | None] = ()) -> Scored:
    gold = [it.label for it in items]
    rows = per_class(gold, pred)
    metrics: dict[str, float | int] = {
        f"{prefix}_macro_f1": macro_f1(rows),
        f"{prefix}_accuracy": accuracy(gold, pred),
        "coverage": ratio(sum(1 for evs in preds if evs), len(items)),
    }
    examples = [{"id": it.id, "text": it.text, "gold": it.label, "pred": p,
                 "events": [_event_brief(e) for e in evs]}
                for it, p, evs in zip(items, pred, preds, strict=True) if p != it.label]
    calib = [(ev.confidence, p == g) for ev, p, g in zip(chosen, pred, gold, strict=False)
             if ev is not None]
    return Scored(metrics, {table: rows}, confusion(gold, pred), spread(examples, key="gold"),
                  calib)


def score_cameo_examples(items: Sequence[LabelItem],
                         preds: Sequence[Sequence[Event]]) -> Scored:
    """Score cameo-codebook-examples: CAMEO root, 3-digit code and full code of the most
    confident event per example sentence. ``code3`` compares the first three digits
    (a 4-digit gold code ``0211`` is right at 3 digits for a predicted ``021`` or
    ``0214``)."""
    _same_length(items, preds)
    best = [pick_event(evs) for evs in preds]
    pred = [_cameo_root(ev) for ev in best]
    scored = _label_scored(items, pred, preds, prefix="root", table="cameo_root", chosen=best)
    rows = scored.per_class["cameo_root"]
    codes = [ev.cameo.strip() if ev else NONE_LABEL for ev in best]
    scored.metrics["code3_accuracy"] = accuracy(
        [it.code[:3] for it in items], [c[:3] if len(c) >= 3 else NONE_LABEL for c in codes])
    scored.metrics["code_accuracy"] = accuracy([it.code for it in items], codes)
    scored.metrics["plover_roots_macro_f1"] = macro_f1(
        r for r in rows if r.label not in NON_PLOVER_ROOTS)
    plover_idx = [i for i, it in enumerate(items) if it.label not in NON_PLOVER_ROOTS]
    scored.metrics["plover_roots_accuracy"] = accuracy(
        [items[i].label for i in plover_idx], [pred[i] for i in plover_idx])
    return scored


def score_conflibert(items: Sequence[LabelItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score conflibert-cameo: Phoenix PentaClass of the most confident event's CAMEO
    root (``NONE`` without events, a miss even for class 0, statements)."""
    _same_length(items, preds)
    pred = []
    best = [pick_event(evs) for evs in preds]
    for ev in best:
        root = _cameo_root(ev)
        pred.append(str(PHOENIX_PENTA[root]) if root in PHOENIX_PENTA else NONE_LABEL)
    scored = _label_scored(items, pred, preds, prefix="penta", table="pentaclass", chosen=best)
    # cooperation (PentaClass 0-2) vs conflict (3-4), comparable with zsp-aw's binary
    gold_b = ["coop" if it.label in "012" else "conflict" for it in items]
    pred_b = [NONE_LABEL if p == NONE_LABEL else "coop" if p in "012" else "conflict"
              for p in pred]
    scored.metrics["binary_macro_f1"] = macro_f1(per_class(gold_b, pred_b))
    return scored


def score_aw(items: Sequence[LabelItem], preds: Sequence[Sequence[Event]]) -> Scored:
    """Score zsp-aw: cooperation (quad 1-2) vs conflict (quad 3-4) of the event that best
    fits the gold source/target spans."""
    _same_length(items, preds)
    pred = []
    best = []
    for it, evs in zip(items, preds, strict=True):
        ev = pick_event(evs, it.source_spans, it.target_spans)
        best.append(ev)
        pred.append(NONE_LABEL if ev is None else _binary(ev.quad_class))
    return _label_scored(items, pred, preds, prefix="binary", table="binary", chosen=best)


def _same_length(items: Sequence[Any], preds: Sequence[Any]) -> None:
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} gold items but {len(preds)} predictions")


def _event_brief(ev: Event) -> dict[str, Any]:
    return {"type": ev.event_type, "cameo": ev.cameo,
            "actor": [e.cameo or e.code for e in ev.actor],
            "recipient": [e.cameo or e.code for e in ev.recipient],
            "trigger": ev.evidence.trigger, "confidence": ev.confidence}
