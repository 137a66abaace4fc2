"""``detente eval dedup``: how well reports of one real-world event are clustered.

A dedup gold set is a directory (built from ../shared/data by
``python scripts/shared_corpus.py dedup-gold DIR``; docs/dedup.md says how) holding

- ``articles.jsonl``: the reports, as ``detente ingest`` reads JSONL (``id, date, title,
  text, publisher, url``); the ``id`` names the report in the other files;
- ``events.jsonl``: gold clusters, one per line: ``{"id", "articles": [ids, ...]}`` (the
  reports of one real-world event; more fields are kept as notes);
- ``copies.jsonl`` (optional): gold groups of copies of one article, same shape;
- ``meta.json``: ``{"name", "event_types": [...], ...}``: the PLOVER types the gold
  covers (only detente clusters of those types are scored).

The reports are ingested into a store (a temporary one, or ``--db``) through the same
path as ``detente ingest`` (coding, article dedup, incremental event clustering); then

- **event clustering**, scored on pairs of reports: a pair is *gold* when both report one
  gold event, *predicted* when one detente cluster of a covered type has mentions in both.
  Pairwise precision, recall and F1 over all report pairs.
- **copies**, scored the same way on the article links (``exact-body`` and ``near``).

Scoring is on report pairs rather than on event mentions because the gold names reports,
not sentences: it asks exactly "does detente say these two articles report the same
event?", which is what its article and source counts rest on.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DedupGoldError, EvalDataError, UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from .dedup import DedupConfig
    from .evaluate import EvalReport

NAME = "dedup"
DEFAULT_DIR = Path("build") / "dedup-gold"
"""Where ``detente eval dedup`` looks when no ``--path`` is given (relative to the current
directory): what ``python scripts/shared_corpus.py dedup-gold build/dedup-gold`` writes."""
BUILD_HINT = ("build it with `python scripts/shared_corpus.py dedup-gold build/dedup-gold` "
              "from the repository (it reads ../shared/data/muc34), or pass --path DIR")
MAX_EXAMPLES = 50

Pair = tuple[str, str]


@dataclass(frozen=True)
class DedupGold:
    """A dedup gold set as read from its directory."""

    directory: Path
    articles: Path
    events: list[dict[str, Any]]
    copies: list[dict[str, Any]]
    meta: dict[str, Any]

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.meta.get("event_types") or ())


def _jsonl(path: Path, *, required: bool = True) -> list[dict[str, Any]]:
    if not path.exists():
        if required:
            raise EvalDataError(f"{path} is missing", path=str(path), hint=BUILD_HINT)
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DedupGoldError(f"{path}:{n}: not JSON ({exc.msg})", file=str(path),
                                     line=n) from None
            arts = rec.get("articles") if isinstance(rec, dict) else None
            if not isinstance(arts, list) or not all(isinstance(a, str) for a in arts):
                raise DedupGoldError(f"{path}:{n}: 'articles' must be a list of report ids",
                                     file=str(path), line=n)
            out.append(rec)
    return out


def load_gold(directory: Path) -> DedupGold:
    """Read a dedup gold directory (see the module docstring)."""
    if not directory.is_dir():
        raise EvalDataError(f"{directory} is not a directory", path=str(directory),
                            hint=BUILD_HINT)
    articles = directory / "articles.jsonl"
    if not articles.exists():
        raise EvalDataError(f"{articles} is missing", path=str(articles), hint=BUILD_HINT)
    meta_path = directory / "meta.json"
    meta: dict[str, Any] = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DedupGoldError(f"{meta_path}: not JSON ({exc.msg})",
                                 file=str(meta_path)) from None
        if not isinstance(meta, dict):
            raise DedupGoldError(f"{meta_path}: must hold a JSON object", file=str(meta_path))
    return DedupGold(directory=directory, articles=articles,
                     events=_jsonl(directory / "events.jsonl"),
                     copies=_jsonl(directory / "copies.jsonl", required=False), meta=meta)


# -- scoring (pure) ----------------------------------------------------------------------


def group_pairs(groups: Iterable[Iterable[str]]) -> set[Pair]:
    """All unordered pairs of different members within each group."""
    out: set[Pair] = set()
    for g in groups:
        members = sorted(set(g))
        out.update(combinations(members, 2))
    return out


def pairwise(gold: set[Pair], pred: set[Pair]) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 (1.0 where there is nothing to find or claim)."""
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "gold_pairs": len(gold),
            "predicted_pairs": len(pred), "true_pairs": tp}


SPLITS = ("tune", "test")


def split_reports(gold_events: Sequence[dict[str, Any]], reports: Iterable[str],
                  split: str) -> set[str]:
    """The reports of one half of a gold set, for tuning on one half and reporting on the
    other: ``tune`` holds the reports of the gold events whose number (the digits ending
    their id, else their position) is even, ``test`` those of the odd ones; a report in
    both goes to ``tune``, and a report in none to the half the first byte of its id's
    MD5 says (even: ``tune``)."""
    import hashlib
    import re

    if split not in SPLITS:
        raise UsageError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    halves: dict[str, set[str]] = {"tune": set(), "test": set()}
    for n, g in enumerate(gold_events, start=1):
        m = re.search(r"(\d+)$", str(g.get("id", "")))
        number = int(m.group(1)) if m else n
        halves["tune" if number % 2 == 0 else "test"].update(g["articles"])
    halves["test"] -= halves["tune"]
    for r in set(reports) - halves["tune"] - halves["test"]:
        even = hashlib.md5(r.encode("utf-8")).digest()[0] % 2 == 0  # noqa: S324 - a split
        halves["tune" if even else "test"].add(r)
    return halves[split]


def link_groups(links: Iterable[dict[str, Any]]) -> list[list[str]]:
    """Article-link rows (``article_id``, ``duplicate_of``) as groups of copies."""
    groups: dict[str, set[str]] = {}
    for link in links:
        root = link["duplicate_of"]
        groups.setdefault(root, {root}).add(link["article_id"])
    return [sorted(g) for g in groups.values()]


# -- running -----------------------------------------------------------------------------


ProgressFn = Callable[[int, int], None]


def _command(path: Path | None, db: Path | None, config: DedupConfig,
             limit: int | None, split: str | None = None) -> str:
    from .dedup import DedupConfig

    parts = ["detente", "eval", NAME]
    if path is not None:
        parts += ["--path", str(path)]
    if db is not None:
        parts += ["--db", str(db)]
    default = DedupConfig()
    if config.window_days != default.window_days:
        parts += ["--dedup-window", str(config.window_days)]
    if config.near_threshold != default.near_threshold:
        parts += ["--near-threshold", str(config.near_threshold)]
    if config.match_threshold != default.match_threshold:
        parts += ["--match-threshold", str(config.match_threshold)]
    if config.lookback_days != default.lookback_days:
        parts += ["--lookback-days", str(config.lookback_days)]
    if config.lookback_threshold != default.lookback_threshold:
        parts += ["--lookback-threshold", str(config.lookback_threshold)]
    if limit is not None:
        parts += ["--limit", str(limit)]
    if split is not None:
        parts += ["--split", split]
    return shlex.join(parts)


def run_dedup_eval(
    *,
    path: Path | None = None,
    db: Path | None = None,
    config: DedupConfig | None = None,
    kb_dirs: Sequence[Path] = (),
    limit: int | None = None,
    split: str | None = None,
    progress: ProgressFn | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Ingest the gold set's reports and score the clusters (see the module docstring).

    ``db`` keeps the store (a second run with the same ``db`` skips the coding and only
    recomputes the clusters with ``config``); ``limit`` keeps the N largest gold events
    and their reports only; ``split`` (``tune`` or ``test``) scores only the pairs within
    one half of the reports (:func:`split_reports`; all reports are still clustered).
    """
    from . import api
    from .dedup import DedupConfig
    from .evaluate import EvalReport
    from .ingest import read
    from .records import Article

    config = config or DedupConfig()
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    directory = Path(path) if path is not None else DEFAULT_DIR
    gold = load_gold(directory)
    gold_events = sorted(gold.events, key=lambda g: -len(set(g["articles"])))
    if limit is not None:
        gold_events = gold_events[:limit]

    # report ids (the JSONL "id") -> detente article ids (content hashes), as ingest reads
    ext_to_id: dict[str, str] = {}
    for item in read([str(gold.articles)], fmt="jsonl"):
        if isinstance(item, Article) and item.external_id:
            ext_to_id.setdefault(item.external_id, item.id)
    wanted = set(ext_to_id)
    if limit is not None:
        wanted = {a for g in gold_events for a in g["articles"]} & wanted
    unknown = sorted({a for g in gold_events for a in g["articles"]} - set(ext_to_id))
    if unknown and limit is None:
        raise DedupGoldError(f"{directory / 'events.jsonl'} names reports that "
                             f"articles.jsonl lacks or cannot be read: {unknown[:5]}",
                             file=str(directory / "events.jsonl"), missing=unknown[:20])

    with tempfile.TemporaryDirectory(prefix="detente-dedup-eval-") as tmp:
        source = gold.articles
        if limit is not None:
            source = Path(tmp) / "articles.jsonl"
            with gold.articles.open(encoding="utf-8") as fh, source.open(
                    "w", encoding="utf-8") as out:
                for line in fh:
                    if line.strip() and json.loads(line).get("id") in wanted:
                        out.write(line)
        store_path = db if db is not None else Path(tmp) / "dedup-eval.duckdb"
        had = False
        if store_path.exists():
            with api.open(store_path, read_only=True) as store:
                had = store.counts()["articles"] > 0
        t0 = clock()
        total = len(wanted)

        def tick(done: int, _events: int) -> None:
            if progress is not None:
                progress(done, total)

        summary = api.ingest([str(source)], db=store_path, fmt="jsonl", kb_dirs=kb_dirs,
                             dedup=config, progress=tick)
        if had:
            api.rebuild_dedup(db=store_path, config=config)
        seconds = clock() - t0
        with api.open(store_path, read_only=True) as store:
            clusters = store.cluster_articles(min_articles=2)
            links = store.article_links(limit=None)
            counts = store.counts()
            dcounts = store.dedup_counts()
            kb_version = str(api.knowledge(kb_dirs).version)
            titles = {a: store.article(a)["title"] for a in
                      {ext_to_id[x] for x in wanted if x in ext_to_id}}

    if split is not None:
        wanted &= split_reports(gold_events, ext_to_id, split)
    id_to_ext = {v: k for k, v in ext_to_id.items() if k in wanted}
    universe = set(id_to_ext)
    types = gold.event_types
    scored = [c for c in clusters if not types or c["event_type"] in types]
    pred_groups = [[id_to_ext[a] for a in c["articles"] if a in universe] for c in scored]
    gold_pairs = group_pairs([a for a in g["articles"] if a in wanted] for g in gold_events)
    pred_pairs = group_pairs(pred_groups)
    ev = pairwise(gold_pairs, pred_pairs)
    copy_gold = group_pairs([a for a in g["articles"] if a in wanted] for g in gold.copies)
    copy_pred = group_pairs([[id_to_ext[a] for a in g if a in universe]
                             for g in link_groups(links)])
    cp = pairwise(copy_gold, copy_pred)
    metrics: dict[str, float | int] = {
        "event_pair_precision": ev["precision"], "event_pair_recall": ev["recall"],
        "event_pair_f1": ev["f1"], "event_gold_pairs": ev["gold_pairs"],
        "event_predicted_pairs": ev["predicted_pairs"], "event_true_pairs": ev["true_pairs"],
        "copy_pair_precision": cp["precision"], "copy_pair_recall": cp["recall"],
        "copy_pair_f1": cp["f1"], "copy_gold_pairs": cp["gold_pairs"],
        "copy_predicted_pairs": cp["predicted_pairs"],
        "gold_events": len(gold_events),
        "clusters": dcounts["clusters"], "mentions": dcounts["mentions"],
        "multi_article_clusters_scored": sum(1 for g in pred_groups if len(set(g)) > 1),
        "reports_rejected": summary.rejected,
        "window_days": config.window_days, "near_threshold": config.near_threshold,
        "match_threshold": config.match_threshold,
        "lookback_days": config.lookback_days,
        "lookback_threshold": config.lookback_threshold,
    }
    examples = _examples(gold_events, gold_pairs, pred_pairs, scored, id_to_ext, universe,
                         titles, ext_to_id)
    return EvalReport(
        name=NAME, data_path=str(directory), n=len(gold_events), metrics=metrics,
        per_class={}, confusion=None, coder=api.DEFAULT_CODER, kb_version=kb_version,
        command=_command(path, db, config, limit, split), articles=counts["articles"],
        events=counts["events"], seconds=seconds,
        headline=("event_pair_precision", "event_pair_recall", "event_pair_f1",
                  "copy_pair_precision", "copy_pair_recall", "copy_pair_f1"),
        examples=examples)


def _examples(gold_events: Sequence[dict[str, Any]], gold_pairs: set[Pair],
              pred_pairs: set[Pair], clusters: Sequence[dict[str, Any]],
              id_to_ext: dict[str, str], universe: set[str], titles: dict[str, str],
              ext_to_id: dict[str, str]) -> list[dict[str, Any]]:
    """Missed gold pairs (by gold event) and wrongly joined pairs (by cluster)."""
    out: list[dict[str, Any]] = []
    for g in gold_events:
        members = sorted(set(g["articles"]) & set(id_to_ext.values()))
        missed = [p for p in combinations(members, 2) if p in gold_pairs - pred_pairs]
        if missed:
            out.append({"kind": "missed", "gold_event": g.get("id", ""),
                        "note": {k: v for k, v in g.items() if k not in ("articles", "id")},
                        "pairs": [list(p) for p in missed[:5]], "missed_pairs": len(missed),
                        "titles": {a: titles.get(ext_to_id[a], "") for a in members[:8]}})
        if len(out) >= MAX_EXAMPLES // 2:
            break
    for c in clusters:
        members = sorted({id_to_ext[a] for a in c["articles"] if a in universe})
        wrong = [p for p in combinations(members, 2) if p in pred_pairs - gold_pairs]
        if wrong:
            out.append({"kind": "joined", "cluster": c["id"], "event_type": c["event_type"],
                        "key": c.get("key", ""), "pairs": [list(p) for p in wrong[:5]],
                        "wrong_pairs": len(wrong),
                        "titles": {a: titles.get(ext_to_id[a], "") for a in members[:8]}})
        if len(out) >= MAX_EXAMPLES:
            break
    return out


def render(report: EvalReport) -> list[RenderableType]:
    """Rich tables for the CLI."""
    from rich.table import Table

    m = report.metrics
    head = Table(title=f"detente eval {report.name}", show_header=False, title_justify="left")
    head.add_column("", style="bold")
    head.add_column("", justify="right")
    for label, key in (("event pairs: precision", "event_pair_precision"),
                       ("event pairs: recall", "event_pair_recall"),
                       ("event pairs: F1", "event_pair_f1"),
                       ("copies: precision", "copy_pair_precision"),
                       ("copies: recall", "copy_pair_recall"),
                       ("copies: F1", "copy_pair_f1")):
        head.add_row(label, f"{float(m[key]):.3f}")
    head.add_row("event pairs gold / predicted / right",
                 f"{m['event_gold_pairs']} / {m['event_predicted_pairs']} / "
                 f"{m['event_true_pairs']}")
    head.add_row("copy pairs gold / predicted",
                 f"{m['copy_gold_pairs']} / {m['copy_predicted_pairs']}")
    head.add_row("gold events", str(report.n))
    head.add_row("reports stored / rejected", f"{report.articles} / {m['reports_rejected']}")
    head.add_row("events / clusters", f"{report.events} / {m['clusters']}")
    head.add_row("window days / near / match threshold",
                 f"{m['window_days']} / {m['near_threshold']} / {m.get('match_threshold', '')}")
    head.add_row("seconds", f"{report.seconds:.1f}")
    head.add_row("coder / kb", f"{report.coder} / {report.kb_version}")
    head.add_row("data", report.data_path)
    head.add_row("command", report.command)
    return [head]
