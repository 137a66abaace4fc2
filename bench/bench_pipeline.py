"""Benchmark: stage costs and end-to-end throughput, next to spaCy's own parse.

Usage::

    python bench/bench_pipeline.py [--articles 200] [--repeat 3] [--data ../shared/data]

Data: the dated news documents of india-police-events (Times of India, 838 articles;
``docs.jsonl`` text + ``metadata.jsonl`` date), taken in file order and repeated when more
articles are asked for than exist (repeats get a suffix so they are new articles).

Each repeat measures, on the same articles and in the same process:

- ``spacy``: ``nlp.pipe`` over the texts with the components detente loads (the practical
  limit);
- ``nlp``: detente's nlp stage (the same parse plus conversion to records);
- ``actors``, ``events``: the stages after NLP, on the parsed records;
- ``store``: batched writes of the coded articles into a fresh DuckDB file;
- ``end-to-end``: ``detente.ingest`` from a JSONL file into a fresh store (read, parse,
  code, write).

It prints the command, data, machine, versions and, per measure, the median and the
min–max spread over the repeats, then the ratios taken within each repeat. Nothing here
is asserted; the figures go into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def load_corpus(data: Path, n: int) -> list[dict[str, str]]:
    docs = [json.loads(line) for line in (data / "india-police-events" / "docs.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()]
    meta = {m["doc_id"]: m for m in (json.loads(line) for line in
            (data / "india-police-events" / "metadata.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip())}
    out: list[dict[str, str]] = []
    rep = 0
    while len(out) < n:
        for d in docs:
            if len(out) >= n:
                break
            m = meta.get(d["doc_id"], {})
            suffix = f"\n\n(copy {rep})" if rep else ""
            out.append({"id": f"{d['doc_id']}-{rep}", "date": m.get("date", "2002-01-01"),
                        "text": d["doc_text"] + suffix, "url": m.get("url", "")})
        rep += 1
    return out


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()} {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("DETENTE_DATA",
                                                                     "../shared/data")))
    args = ap.parse_args()

    import spacy

    import detente
    from detente import api
    from detente.actors import annotate
    from detente.api import knowledge
    from detente.events import code_events
    from detente.nlp import load_model, model_name, parse
    from detente.records import Article, CodedArticle, ParsedArticle, content_hash
    from detente.store import Store

    corpus = load_corpus(args.data, args.articles)
    articles = [Article(id=content_hash(c["text"]), published=date.fromisoformat(c["date"]),
                        text=c["text"], url=c["url"], source="bench") for c in corpus]
    chars = sum(len(a.text) for a in articles)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"data: india-police-events docs.jsonl, {len(articles)} articles, {chars:,} chars "
          "(file order, repeated with a suffix when more are asked for)")
    print(f"machine: {machine()}")
    print(f"versions: detente {detente.__version__}, spaCy {spacy.__version__}, "
          f"model {model_name()}")

    t = time.perf_counter()
    kb = knowledge()
    kb_s = time.perf_counter() - t
    t = time.perf_counter()
    nlp = load_model()
    model_s = time.perf_counter() - t
    print(f"load: knowledge {kb_s:.2f} s, model {model_s:.2f} s; pipes {nlp.pipe_names}")

    rows: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    n_sent = n_events = 0
    for _ in range(args.repeat):
        times: dict[str, float] = {}
        t = time.perf_counter()
        for _doc in nlp.pipe((a.text for a in articles), batch_size=32):
            pass
        times["spacy"] = time.perf_counter() - t

        t = time.perf_counter()
        parsed = [p for p in parse(articles, nlp=nlp) if isinstance(p, ParsedArticle)]
        times["nlp"] = time.perf_counter() - t
        n_sent = sum(len(p.sentences) for p in parsed)

        t = time.perf_counter()
        anns = [annotate(p, kb=kb) for p in parsed]
        times["actors"] = time.perf_counter() - t

        t = time.perf_counter()
        coded = [CodedArticle(article=p.article, events=tuple(code_events(p, a, kb=kb)),
                              sentences=len(p.sentences)) for p, a in zip(parsed, anns,
                                                                           strict=True)]
        times["events"] = time.perf_counter() - t
        n_events = sum(len(c.events) for c in coded)

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            with Store(Path(tmp) / "b.duckdb") as store:
                for i in range(0, len(coded), 64):
                    store.write(coded[i:i + 64], kb_version=kb.version)
            times["store"] = time.perf_counter() - t

            src = Path(tmp) / "in.jsonl"
            src.write_text("\n".join(json.dumps(c) for c in corpus), encoding="utf-8")
            t = time.perf_counter()
            api.ingest([str(src)], db=Path(tmp) / "e2e.duckdb")
            times["end-to-end"] = time.perf_counter() - t
        for k, v in times.items():
            rows.setdefault(k, []).append(v)
        ratios.setdefault("end-to-end / spacy time", []).append(times["end-to-end"]
                                                                / times["spacy"])
        ratios.setdefault("actors+events / spacy time", []).append(
            (times["actors"] + times["events"]) / times["spacy"])

    print(f"\nper repeat: {len(articles)} articles, {n_sent} sentences, {n_events} events; "
          f"{args.repeat} repeats; median [min–max]")
    print(f"{'stage':<12} {'seconds':>22} {'articles/s':>12} {'sentences/s':>12}")
    for k, v in rows.items():
        med = statistics.median(v)
        print(f"{k:<12} {med:>9.3f} [{min(v):.3f}–{max(v):.3f}] {len(articles) / med:>12.1f} "
              f"{n_sent / med:>12.0f}")
    ev_med = statistics.median(rows["end-to-end"])
    print(f"end-to-end events/s: {n_events / ev_med:.0f}")
    for k, v in ratios.items():
        print(f"ratio {k}: median {statistics.median(v):.3f} [{min(v):.3f}–{max(v):.3f}]")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
