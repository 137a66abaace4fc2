"""Evaluation harness behind ``detente eval NAME [--path DIR] [--json]``.

Each gold set is one entry of :data:`EVALS` (an :class:`EvalSet`): it knows its default
directory name, loads gold items from ``records.jsonl``, and scores the coder's events
against them. :func:`run_eval` builds one :class:`~detente.records.Article` per distinct
gold sentence, codes them with :func:`detente.api.code_batch`, scores, and returns an
:class:`EvalReport`; :func:`render` turns a report into Rich tables for the CLI and
:meth:`EvalReport.to_dict` into one JSON object.

Data location: ``--path DIR`` (a directory laid out like the gold set, same file names
and fields), else ``$DETENTE_DATA/NAME``, else ``./../shared/data/NAME``, else
``./shared/data/NAME`` (relative to the current directory). The package never ships or
reads gold data by itself.

How each set is read and scored (label mappings, country-code normalisation, the choice
of the predicted event, fixed publication dates) is documented in :mod:`detente.goldsets`.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EvalDataError, UnknownName, UsageError
from .evalactors import (
    load_conflibert_actors,
    load_crossner,
    load_gsr_actors,
    load_petr_unittest,
    load_plv_actors,
    petr_unittest_kb,
    predicted_actors,
    score_crossner,
    score_gsr_actors,
    score_petr_records,
    score_span_resolution,
)
from .goldobjects import load_re3d, predicted_spans, score_re3d
from .goldsets import (
    DEFAULT_PUBLISHED,
    MAX_EXAMPLES,
    NONE_LABEL,
    OLD_COUNTRY_CODES,
    PLOVER_05_TO_CURRENT,
    PLOVER_TYPES,
    PLV_FROM_CURRENT,
    PLV_QUAD,
    RECORDS_FILE,
    ClassRow,
    GoldItem,
    GsrItem,
    PetrItem,
    PlvItem,
    ReliabilityBin,
    Scored,
    accuracy,
    cameo_actor,
    class_row,
    confusion,
    event_triples,
    expected_calibration_error,
    load_aw,
    load_cameo_examples,
    load_conflibert,
    load_gsr,
    load_petr,
    load_plv,
    loose_triple,
    macro_f1,
    map_plover_05,
    match_counts,
    normalise_code,
    per_class,
    pick_event,
    prf,
    ratio,
    read_jsonl,
    reliability,
    rounded,
    score_aw,
    score_cameo_examples,
    score_conflibert,
    score_gsr,
    score_petr,
    score_plv,
    text_from_conllu,
    to_plv,
)
from .goldviolence import load_case2021, load_india_police, score_case2021, score_india_police
from .records import Article, Event

if TYPE_CHECKING:
    from rich.console import RenderableType

    from .knowledge import Knowledge

__all__ = [
    "DEFAULT_PUBLISHED", "ENV_VAR", "EVALS", "MAX_EXAMPLES", "NONE_LABEL", "OLD_COUNTRY_CODES",
    "PLOVER_05_TO_CURRENT", "PLOVER_TYPES", "PLV_FROM_CURRENT", "PLV_QUAD", "RECORDS_FILE",
    "ClassRow", "EvalReport", "EvalSet", "GoldItem", "GsrItem", "PetrItem", "PlvItem",
    "ReliabilityBin", "Scored", "accuracy", "available", "cameo_actor", "class_row",
    "code_items", "confusion", "data_root", "event_triples", "expected_calibration_error",
    "get_set", "load_aw", "load_cameo_examples", "load_conflibert", "load_gsr", "load_petr",
    "load_plv", "loose_triple", "macro_f1", "map_plover_05", "match_counts",
    "normalise_code", "per_class", "pick_event", "prf", "ratio", "read_jsonl", "reliability",
    "rounded", "render", "render_comparison", "resolve_dir", "run_eval", "run_evals",
    "score_aw", "score_cameo_examples", "score_conflibert", "score_gsr", "score_petr",
    "score_plv", "text_from_conllu", "to_plv",
]

ENV_VAR = "DETENTE_DATA"
"""Environment variable naming the directory that holds the gold sets."""


# -- registry --------------------------------------------------------------------------


PredictFn = Callable[..., Any]
"""``predict(parsed, annotations, events, kb)`` -> what one item's scorer receives."""


@dataclass(frozen=True)
class EvalSet:
    """One gold set: where it lives, how to read it, how to score it."""

    name: str
    description: str
    dir_name: str
    load: Callable[[Path], Sequence[Any]]
    score: Callable[[Sequence[Any], Sequence[Sequence[Event]]], Scored]
    headline: tuple[str, ...]
    """The metrics shown first (and in the summary line)."""
    records_file: str = RECORDS_FILE
    """The file a directory of this set must hold."""
    coder: str = ""
    """The coder this set is scored with unless ``--coder`` says otherwise."""
    kb_from: Callable[[Path, Path], list[Path]] | None = None
    """Builds extra knowledge from the set's directory into a scratch directory and
    returns the knowledge directories to add (petr-unittest imports its dictionaries)."""
    predict: PredictFn | None = None
    """What is scored for each item: by default the coded events; a set that scores
    something else (re3d: object spans) gives ``predict(parsed, annotations, events, kb)``."""


EVALS: dict[str, EvalSet] = {
    "zsp-plv": EvalSet(
        "zsp-plv", "PLOVER root type and quad class per sentence (PLV, Hu et al. 2024)",
        "zsp-plv", load_plv, score_plv,  # type: ignore[arg-type]
        ("root_macro_f1", "quad_macro_f1", "binary_macro_f1", "coverage")),
    "plover-gsr": EvalSet(
        "plover-gsr", "PLOVER gold-standard records: event type, actor/recipient countries",
        "plover-gsr", load_gsr, score_gsr,  # type: ignore[arg-type]
        ("type_accuracy", "actor_country_accuracy", "recipient_country_accuracy",
         "exact_match")),
    "petr2-gsr-validation": EvalSet(
        "petr2-gsr-validation", "PETRARCH-2 validation: CAMEO dyads (source, code, target)",
        "petr2-gsr-validation", load_petr, score_petr,  # type: ignore[arg-type]
        ("triple_f1", "loose_f1", "noevents_accuracy", "sentence_accuracy")),
    "zsp-aw": EvalSet(
        "zsp-aw", "Cooperation vs conflict of an argument pair in ACE 2005 / WikiEvents "
        "sentences (AW, Hu et al. 2024)",
        "zsp-aw", load_aw, score_aw,  # type: ignore[arg-type]
        ("binary_macro_f1", "binary_accuracy", "coverage")),
    "cameo-codebook-examples": EvalSet(
        "cameo-codebook-examples", "CAMEO 1.1b3 codebook example sentences: CAMEO root, "
        "3-digit and full code", "cameo-codebook-examples",
        load_cameo_examples, score_cameo_examples,  # type: ignore[arg-type]
        ("root_accuracy", "code3_accuracy", "code_accuracy", "plover_roots_accuracy",
         "coverage"),
        records_file="examples.jsonl"),
    "conflibert-cameo": EvalSet(
        "conflibert-cameo", "ConfliBERT CAMEO sentences: Phoenix PentaClass (0-4) of the "
        "CAMEO root", "conflibert-cameo",
        load_conflibert, score_conflibert,  # type: ignore[arg-type]
        ("penta_accuracy", "penta_macro_f1", "binary_macro_f1", "coverage"),
        records_file="class.jsonl"),
    "petr-unittest": EvalSet(
        "petr-unittest", "PETRARCH unit tests coded with their own imported dictionaries: "
        "records whose (source, code, target) triples are exactly right",
        "petr-unittest", load_petr_unittest, score_petr_records,  # type: ignore[arg-type]
        ("record_accuracy", "triple_f1", "noevents_accuracy"),
        coder="petrarch-1", kb_from=petr_unittest_kb),
    "re3d": EvalSet(
        "re3d", "Weapon and MilitaryPlatform extraction on re3d (object spans, P/R/F1)",
        "re3d", load_re3d, score_re3d,  # type: ignore[arg-type]
        ("lenient_f1", "lenient_precision", "lenient_recall", "strict_f1", "untyped_f1"),
        records_file="*/documents.json", predict=predicted_spans),
    "plover-gsr-actors": EvalSet(
        "plover-gsr-actors", "Actor resolution on plover-gsr's gold actor spans: country and "
        "sector of actor and recipient", "plover-gsr",
        load_gsr_actors, score_gsr_actors,  # type: ignore[arg-type]
        ("actor_country_accuracy", "recipient_country_accuracy", "actor_sector_accuracy",
         "recipient_sector_accuracy"), predict=predicted_actors),
    "zsp-plv-actors": EvalSet(
        "zsp-plv-actors", "Actor resolution on zsp-plv's gold source/target spans (no gold "
        "codes: share resolved)", "zsp-plv",
        load_plv_actors, score_span_resolution,  # type: ignore[arg-type]
        ("actor_resolved", "recipient_resolved", "actor_with_sector",
         "recipient_with_sector"), predict=predicted_actors),
    "conflibert-ner-actors": EvalSet(
        "conflibert-ner-actors", "Actor resolution on conflibert-cameo's gold Source/Target "
        "spans (ner.jsonl; no gold codes: share resolved)", "conflibert-cameo",
        load_conflibert_actors, score_span_resolution,  # type: ignore[arg-type]
        ("actor_resolved", "recipient_resolved", "actor_with_sector",
         "recipient_with_sector"), records_file="ner.jsonl", predict=predicted_actors),
    "crossner-politics": EvalSet(
        "crossner-politics", "Entity typing on crossner-politics: country, political party, "
        "organisation, politician (P/R/F1)", "crossner-politics",
        load_crossner, score_crossner,  # type: ignore[arg-type]
        ("macro_f1", "micro_f1", "typed_span_recall"), records_file="dev.txt",
        predict=predicted_actors),
    "case2021-task2": EvalSet(
        "case2021-task2", "CASE 2021 Task 2 news snippets (ACLED and unseen event types) "
        "mapped onto PLOVER types and modes", "case2021-task2",
        load_case2021, score_case2021,  # type: ignore[arg-type]
        ("type_accuracy", "type_macro_f1", "any_type_recall", "mode_accuracy",
         "no_event_accuracy"),
        records_file="snippets.jsonl"),
    "india-police-events": EvalSet(
        "india-police-events", "IndiaPoliceEvents sentences: police arrests, killings, use of "
        "force and any action, as PLOVER events of a police actor", "india-police-events",
        load_india_police, score_india_police,  # type: ignore[arg-type]
        ("macro_f1", "arrest_f1", "kill_f1", "force_f1", "any_action_f1"),
        records_file="sents.jsonl"),
}
"""Every gold set ``detente eval`` knows, by name."""


def available() -> list[str]:
    """Names of the gold sets ``detente eval`` can score."""
    return sorted(EVALS)


def get_set(name: str) -> EvalSet:
    """The registry entry for ``name``; :class:`UnknownName` listing the others."""
    try:
        return EVALS[name]
    except KeyError:
        raise UnknownName(f"unknown eval set {name!r}", name=name, available=available(),
                          hint="available: " + ", ".join(available())) from None


def data_root(*, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The directory holding the gold sets: ``$DETENTE_DATA``, else ``../shared/data``,
    else ``shared/data`` (relative to ``cwd``). Raises :class:`EvalDataError` if none
    exists."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    if env.get(ENV_VAR):
        root = Path(env[ENV_VAR]).expanduser()
        if not root.is_absolute():
            root = cwd / root
        if not root.is_dir():
            raise EvalDataError(f"${ENV_VAR} is {env[ENV_VAR]!r}, which is not a directory",
                                path=str(root),
                                hint=f"set ${ENV_VAR} to the gold data directory or pass --path")
        return root
    tried = [Path(os.path.normpath(cwd / ".." / "shared" / "data")), cwd / "shared" / "data"]
    for cand in tried:
        if cand.is_dir():
            return cand.resolve()
    raise EvalDataError(
        "no gold data directory found (tried $" + ENV_VAR + ", "
        + ", ".join(str(t) for t in tried) + ")",
        tried=[str(t) for t in tried],
        hint=f"pass --path DIR (a directory laid out like shared/data/NAME) or set ${ENV_VAR}")


def resolve_dir(name: str, path: Path | None = None, *, env: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> Path:
    """The directory to read set ``name`` from (``path`` wins when given)."""
    spec = get_set(name)
    d = Path(path) if path is not None else data_root(env=env, cwd=cwd) / spec.dir_name
    if not d.is_dir():
        raise EvalDataError(f"{d} is not a directory", path=str(d),
                            hint=f"pass --path DIR, a directory holding {spec.records_file} "
                            f"laid out like shared/data/{spec.dir_name}")
    return d


# -- running ---------------------------------------------------------------------------


@dataclass
class EvalReport:
    """The result of one ``detente eval`` run (one coder on one gold set)."""

    name: str
    data_path: str
    n: int
    """Gold items scored."""
    metrics: dict[str, float | int]
    per_class: dict[str, list[ClassRow]]
    confusion: dict[str, dict[str, int]] | None
    coder: str
    kb_version: str
    command: str
    articles: int = 0
    """Distinct sentences coded (several gold items may share one)."""
    events: int = 0
    """Events the coder produced."""
    seconds: float = 0.0
    """Wall time spent coding (parse + actors + events), shared by the coders of one run."""
    coding_seconds: float = 0.0
    """Wall time of this coder's events stage alone (after parsing and actors)."""
    sentences: int = 0
    """Parsed sentences in the coded texts."""
    headline: tuple[str, ...] = ()
    examples: list[dict[str, Any]] = field(default_factory=list)
    """Up to :data:`MAX_EXAMPLES` mispredicted items, to look at."""
    reliability: list[ReliabilityBin] = field(default_factory=list)
    """Confidence bins of the chosen events: mean confidence vs accuracy."""
    protocol: str = ""
    """How learned parts were kept off the rows they were trained on (empty for rules)."""

    @property
    def sentences_per_s(self) -> float:
        return ratio(self.articles, self.seconds)

    @property
    def coding_sentences_per_s(self) -> float:
        return ratio(self.sentences, self.coding_seconds)

    def to_dict(self) -> dict[str, Any]:
        """Everything as one JSON-serialisable dict (``detente eval --json``)."""
        return {
            "name": self.name, "data_path": self.data_path, "n": self.n,
            "articles": self.articles, "events": self.events,
            "coder": self.coder, "kb_version": self.kb_version, "command": self.command,
            "protocol": self.protocol,
            "seconds": round(self.seconds, 3),
            "sentences_per_s": round(self.sentences_per_s, 2),
            "coding_seconds": round(self.coding_seconds, 4),
            "coding_sentences_per_s": round(self.coding_sentences_per_s, 1),
            "metrics": {k: (rounded(v) if isinstance(v, float) else v)
                        for k, v in self.metrics.items()},
            "per_class": {k: [row.to_dict() for row in rows]
                          for k, rows in self.per_class.items()},
            "confusion": self.confusion,
            "reliability": [b.to_dict() for b in self.reliability],
            "examples": self.examples,
        }


ProgressFn = Callable[[int, int], None]
"""Called as ``progress(articles_done, articles_total)``."""


def _command(name: str, path: Path | None, coders: Sequence[str], kb_dirs: Sequence[Path],
             limit: int | None) -> str:
    from .events import DEFAULT_CODER

    parts = ["detente", "eval", name]
    if path is not None:
        parts += ["--path", str(path)]
    if list(coders) != [get_set(name).coder or DEFAULT_CODER]:
        for c in coders:
            parts += ["--coder", c]
    for d in kb_dirs:
        parts += ["--kb", str(d)]
    if limit is not None:
        parts += ["--limit", str(limit)]
    return shlex.join(parts)


@dataclass
class Coded:
    """What :func:`code_items` returns: events per gold item for each coder."""

    events: dict[str, list[list[Event]]]
    articles: int
    sentences: int
    coding_seconds: dict[str, float]
    protocols: dict[str, str]


def code_items(items: Sequence[GoldItem], *, name: str, coders: Sequence[str],
               kb: Knowledge, n_process: int = 1, progress: ProgressFn | None = None,
               clock: Callable[[], float] = time.perf_counter,
               predict: PredictFn | None = None) -> Coded:
    """Parse each distinct (text, date) once, run the actors stage once, and code it with
    every coder in ``coders``.

    A learned coder is scored only on rows its model was not trained on
    (:func:`detente.learned.eval_models`: cross-validated fold models chosen per text).
    ``predict(parsed, annotations, events, kb)``, when given, replaces each article's
    events by what the set scores (re3d: object spans).
    """
    from . import api
    from .learned import eval_models

    keys: dict[tuple[str, date], int] = {}
    articles: list[Article] = []
    for it in items:
        key = (it.text, it.published)
        if key not in keys:
            keys[key] = len(articles)
            articles.append(Article(id=f"{name}:{it.id}", published=it.published,
                                    text=it.text, source=f"{name}:{it.id}"))
    models = {c: eval_models(c) for c in coders}
    coded: dict[str, list[list[Event]]] = {c: [] for c in coders}
    seconds = dict.fromkeys(coders, 0.0)
    total, done, n_sents = len(articles), 0, 0
    first = coders[0]
    for parsed, ann, events in api.code_batch(articles, kb=kb, coder=first,
                                              n_process=n_process):
        text = articles[done].text
        if parsed is None or not getattr(parsed, "sentences", ()):
            coded[first].append(list(events) if predict is None else [])
            for c in coders[1:]:
                coded[c].append([])
        else:
            n_sents += len(parsed.sentences)
            for c in coders:
                sel = models[c]
                t0 = clock()
                evs = api.recode(parsed, ann, kb=kb, coder=c,
                                 model=sel.model_for(text) if sel is not None else None)
                seconds[c] += clock() - t0
                coded[c].append(evs if predict is None else predict(parsed, ann, evs, kb))
        done += 1
        if progress is not None:
            progress(done, total)
    if done != total:
        raise RuntimeError(f"the coder returned {done} results for {total} articles")
    per_item = {c: [evs[keys[(it.text, it.published)]] for it in items]
                for c, evs in coded.items()}
    protocols = {c: (m.protocol if m is not None else "") for c, m in models.items()}
    return Coded(per_item, total, n_sents, seconds, protocols)


def run_evals(
    name: str,
    *,
    coders: Sequence[str] | None = None,
    path: Path | None = None,
    kb_dirs: Sequence[Path] = (),
    limit: int | None = None,
    kb: Knowledge | None = None,
    n_process: int = 1,
    progress: ProgressFn | None = None,
    command: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[EvalReport]:
    """Score each coder in ``coders`` on gold set ``name`` (read from ``path`` or the
    default data root); the texts are parsed once. One report per coder, in order.

    ``limit`` scores only the first N gold items. ``kb`` is an already loaded knowledge
    base (then ``kb_dirs`` is ignored); ``progress(done, total)`` is called after each
    coded sentence. Raises :class:`UnknownName` for an unknown set or coder and
    :class:`EvalDataError` for missing or malformed data.
    """
    from .events import DEFAULT_CODER, check_coder

    spec = get_set(name)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    if coders is None:
        coders = [spec.coder or DEFAULT_CODER]
    if not coders:
        raise UsageError("name at least one coder")
    coders = list(dict.fromkeys(coders))
    for c in coders:
        check_coder(c)
    directory = resolve_dir(name, path)
    items = list(spec.load(directory))
    if limit is not None:
        items = items[:limit]
    if not items:
        raise EvalDataError(f"{directory / spec.records_file} has no records to score",
                            file=str(directory / spec.records_file))
    with tempfile.TemporaryDirectory(prefix="detente-kb-") as scratch:
        if kb is None:
            from .knowledge import load_knowledge

            extra = spec.kb_from(directory, Path(scratch)) if spec.kb_from else []
            kb = load_knowledge([*kb_dirs, *extra])
        t0 = clock()
        coded = code_items(items, name=name, coders=coders, kb=kb, n_process=n_process,
                           progress=progress, clock=clock, predict=spec.predict)
        seconds = clock() - t0
    cmd = command or _command(name, path, coders, kb_dirs, limit)
    reports = []
    for c in coders:
        preds = coded.events[c]
        scored = spec.score(items, preds)
        table = reliability(scored.calibration)
        metrics = dict(scored.metrics)
        if table:
            metrics["ece"] = expected_calibration_error(table)
        reports.append(EvalReport(
            name=name, data_path=str(directory), n=len(items), metrics=metrics,
            per_class=scored.per_class, confusion=scored.confusion, coder=c,
            kb_version=str(kb.version), command=cmd, articles=coded.articles,
            events=sum(len(p) for p in preds), seconds=seconds,
            coding_seconds=coded.coding_seconds[c], sentences=coded.sentences,
            headline=spec.headline, examples=scored.examples, reliability=table,
            protocol=coded.protocols[c]))
    return reports


def run_eval(
    name: str,
    *,
    path: Path | None = None,
    coder: str | None = None,
    kb_dirs: Sequence[Path] = (),
    limit: int | None = None,
    kb: Knowledge | None = None,
    n_process: int = 1,
    progress: ProgressFn | None = None,
    command: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Score one coder (default: the set's own) on gold set ``name``; see
    :func:`run_evals`."""
    (report,) = run_evals(name, coders=[coder] if coder else None, path=path,
                          kb_dirs=kb_dirs, limit=limit, kb=kb, n_process=n_process,
                          progress=progress, command=command, clock=clock)
    return report


# -- rendering -------------------------------------------------------------------------


def _fmt(v: float | int) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def render(report: EvalReport, *, top_confusions: int = 10) -> list[RenderableType]:
    """Rich renderables for the CLI: headline figures, per-class tables, top confusions,
    the reliability table."""
    from rich.table import Table

    out: list[RenderableType] = []
    head = Table(title=f"detente eval {report.name}", show_header=False, title_justify="left")
    head.add_column("", style="bold")
    head.add_column("", justify="right")
    shown = [k for k in report.headline if k in report.metrics]
    for key in [*shown, *(k for k in report.metrics if k not in shown)]:
        head.add_row(key, _fmt(report.metrics[key]))
    head.add_row("items", str(report.n))
    head.add_row("sentences coded", str(report.articles))
    head.add_row("events", str(report.events))
    head.add_row("seconds", f"{report.seconds:.1f}")
    head.add_row("sentences/s", f"{report.sentences_per_s:.1f}")
    if report.coding_seconds:
        head.add_row("events stage sentences/s", f"{report.coding_sentences_per_s:.0f}")
    head.add_row("coder", report.coder)
    if report.protocol:
        head.add_row("protocol", report.protocol)
    head.add_row("kb", report.kb_version)
    head.add_row("data", report.data_path)
    head.add_row("command", report.command)
    out.append(head)
    for table_name, rows in report.per_class.items():
        t = Table(title=f"per-class: {table_name}", title_justify="left")
        for col in ("class", "P", "R", "F1", "gold", "pred"):
            t.add_column(col, justify="left" if col == "class" else "right")
        for row in rows:
            t.add_row(row.label, f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.f1:.3f}",
                      str(row.support), str(row.predicted))
        mf = macro_f1(rows)
        t.add_row("macro", "", "", f"{mf:.3f}", str(sum(r.support for r in rows)), "",
                  style="bold")
        out.append(t)
    if report.confusion:
        cells = [(n, g, p) for g, row in report.confusion.items() for p, n in row.items()
                 if g != p]
        cells.sort(key=lambda c: (-c[0], c[1], c[2]))
        if cells:
            t = Table(title="most frequent confusions", title_justify="left")
            t.add_column("gold")
            t.add_column("predicted")
            t.add_column("n", justify="right")
            for n, g, p in cells[:top_confusions]:
                t.add_row(g, p, str(n))
            out.append(t)
    if report.reliability:
        ece = expected_calibration_error(report.reliability)
        t = Table(title=f"reliability of the chosen event's confidence (ECE {ece:.3f})",
                  title_justify="left")
        for col in ("confidence", "n", "mean confidence", "accuracy", "gap"):
            t.add_column(col, justify="left" if col == "confidence" else "right")
        for b in report.reliability:
            t.add_row(f"{b.low:.1f}-{b.high:.1f}", str(b.n), f"{b.confidence:.3f}",
                      f"{b.accuracy:.3f}", f"{b.accuracy - b.confidence:+.3f}")
        out.append(t)
    return out


def render_comparison(reports: Sequence[EvalReport]) -> RenderableType:
    """One table, coders side by side: every metric, events and events-stage speed."""
    from rich.table import Table

    first = reports[0]
    t = Table(title=f"detente eval {first.name}: coders side by side", title_justify="left")
    t.add_column("metric", style="bold")
    for r in reports:
        t.add_column(r.coder, justify="right")
    keys = [k for k in first.headline if k in first.metrics]
    keys += [k for r in reports for k in r.metrics if k not in keys]
    keys = list(dict.fromkeys(keys))
    for key in keys:
        t.add_row(key, *(_fmt(r.metrics[key]) if key in r.metrics else "-" for r in reports))
    t.add_row("events", *(str(r.events) for r in reports))
    t.add_row("events stage sentences/s",
              *(f"{r.coding_sentences_per_s:.0f}" if r.coding_seconds else "-"
                for r in reports))
    t.add_row("protocol", *((r.protocol and "cross-validated") or "no training"
                            for r in reports))
    t.caption = f"{first.n} items, {first.articles} texts; {first.command}"
    return t
