"""Benchmark: the cost of each pipeline stage, per article and per sentence.

Usage::

    python bench/bench_stages.py [--articles 1000] [--repeat 3] [--data ../shared/data]

Data: the benchmark corpus (``bench/corpus.py``: real texts of india-police-events, muc34,
case2021-task2 and re3d, repeated with shifted dates past 3,115 articles), written once to
a JSONL file.

Each repeat runs the stages one after the other in this process, on the same articles,
exactly as ``detente ingest`` chains them (model and knowledge loaded before timing):

- ``ingest``: read the JSONL file into ``Article`` records (``detente.ingest.read``);
- ``nlp``: spaCy's parse plus conversion to records (``detente.nlp.parse``);
- ``actors``: actor, object and place mentions (``detente.actors.annotate``);
- ``events``: the rule coder (``detente.events.code_events``);
- ``dedup``: near-duplicate articles and event clusters (``detente.dedup.dedup_rows``),
  in batches of 64 against the store;
- ``store``: the batched DuckDB writes of articles, events and dedup rows
  (``Store.write``) into a fresh file;

and, for reference, ``spacy``: ``nlp.pipe`` alone over the same texts with the same
components (the parser's own limit). Printed per stage: wall seconds median [min-max],
CPU seconds (less sensitive to other load on the machine), ms per article, us per sentence
and the share of the summed stages; then the ratio of the stages after the parse to the
parse, computed within each repeat.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import footer, header, spread
from corpus import RECIPE, default_data, write_corpus

STAGES = ("ingest", "nlp", "actors", "events", "dedup", "store")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()

    from detente import api
    from detente.actors import annotate
    from detente.dedup import DedupConfig, EventClusterer, dedup_rows
    from detente.events import code_events
    from detente.ingest import read
    from detente.nlp import load_model, parse
    from detente.records import Article, CodedArticle, ParsedArticle
    from detente.store import DedupBatch, Store

    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    src = write_corpus(tmp / "corpus.jsonl", args.articles, data=args.data or default_data())
    header("stage costs", f"{args.articles} articles, {RECIPE}")
    t = time.perf_counter()
    kb = api.knowledge()
    kb_s = time.perf_counter() - t
    t = time.perf_counter()
    nlp = load_model()
    model_s = time.perf_counter() - t
    print(f"load: knowledge {kb_s:.2f} s, model {model_s:.2f} s; components {nlp.pipe_names}")

    wall: dict[str, list[float]] = {k: [] for k in ("spacy", *STAGES)}
    cpu: dict[str, list[float]] = {k: [] for k in wall}
    after_parse: list[float] = []
    n_art = n_sent = n_tok = n_ev = 0

    def measure(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall[name].append(time.perf_counter() - w)
        cpu[name].append(time.process_time() - c)
        return out

    def read_all(path: Path) -> list[Article]:
        return [a for a in read([str(path)]) if isinstance(a, Article)]

    def spacy_parse(texts: list[str]) -> int:
        return sum(len(d) for d in nlp.pipe(texts, batch_size=32))

    def nlp_stage(arts: list[Article]) -> list[ParsedArticle]:
        return [p for p in parse(arts, nlp=nlp) if isinstance(p, ParsedArticle)]

    def actors_stage(parsed: list[ParsedArticle]) -> list[Any]:
        return [annotate(p, kb=kb) for p in parsed]

    def events_stage(parsed: list[ParsedArticle], anns: list[Any]) -> list[list[Any]]:
        return [list(code_events(p, a, kb=kb)) for p, a in zip(parsed, anns, strict=True)]

    for rep in range(args.repeat):
        arts = measure("ingest", read_all, src)
        texts = [a.text for a in arts]
        if rep % 2:  # alternate which of the two parses runs first
            parsed = measure("nlp", nlp_stage, arts)
            measure("spacy", spacy_parse, texts)
        else:
            n_tok = measure("spacy", spacy_parse, texts)
            parsed = measure("nlp", nlp_stage, arts)
        anns = measure("actors", actors_stage, parsed)
        events = measure("events", events_stage, parsed, anns)
        coded = [CodedArticle(article=p.article, events=tuple(e), sentences=len(p.sentences))
                 for p, e in zip(parsed, events, strict=True)]
        n_art, n_sent = len(coded), sum(c.sentences for c in coded)
        n_ev = sum(len(c.events) for c in coded)
        config = DedupConfig()
        d_w = d_c = s_w = s_c = 0.0
        with Store(tmp / f"stages-{rep}.duckdb") as store:
            index = store.article_index(config)
            clusterer = EventClusterer(store, config)
            for i in range(0, len(coded), 64):
                batch = coded[i:i + 64]
                w, c = time.perf_counter(), time.process_time()
                rows, clusters = dedup_rows([(b.article, b.events) for b in batch],
                                            index=index, clusterer=clusterer)
                w2, c2 = time.perf_counter(), time.process_time()
                store.write(batch, kb_version=kb.version,
                            dedup=DedupBatch(articles=rows, clusters=clusters,
                                             terms=clusterer.take_terms()))
                w3, c3 = time.perf_counter(), time.process_time()
                d_w, d_c = d_w + w2 - w, d_c + c2 - c
                s_w, s_c = s_w + w3 - w2, s_c + c3 - c2
        (tmp / f"stages-{rep}.duckdb").unlink(missing_ok=True)
        wall["dedup"].append(d_w)
        cpu["dedup"].append(d_c)
        wall["store"].append(s_w)
        cpu["store"].append(s_c)
        after = sum(wall[k][-1] for k in STAGES if k != "nlp")
        after_parse.append(after / wall["spacy"][-1])

    print(f"\nper repeat: {n_art} articles, {n_sent} sentences, {n_tok} tokens, {n_ev} events; "
          f"{args.repeat} repeats; median [min-max]")
    total = sum(min(wall[k]) for k in STAGES)
    print(f"{'stage':<8} {'wall s':>22} {'cpu s':>8} {'ms/article':>11} {'us/sentence':>12} "
          f"{'share':>6}")
    for k in ("spacy", *STAGES):
        med_w = sorted(wall[k])[len(wall[k]) // 2]
        med_c = sorted(cpu[k])[len(cpu[k]) // 2]
        share = f"{100 * min(wall[k]) / total:5.1f}%" if k in STAGES else "  (ref)"
        print(f"{k:<8} {spread(wall[k]):>22} {med_c:>8.3f} {1000 * med_w / n_art:>11.3f} "
              f"{1e6 * med_w / max(n_sent, 1):>12.1f} {share:>6}")
    print("share: of the summed per-stage minima; spacy = nlp.pipe alone, for reference")
    print(f"ratio (ingest+actors+events+dedup+store) / spacy parse, wall, per repeat: "
          f"{spread(after_parse)}")
    footer()


if __name__ == "__main__":
    main()
