"""Development check of the rule coder on zsp-plv (PLOVER root type per sentence).

Not the official evaluation (that is ``detente eval``). For every sentence it codes the
events and takes the top one (highest confidence, then nearest the root); the macro-F1
over gold ``gold_root`` types is printed (YIELD gold = CONCEDE or RETREAT).

    python scripts/dev_zsp.py [--oracle] [--limit N] [--confusion]

``--oracle`` builds actor mentions from the gold source/target spans (isolates the event
coder from the actors stage); otherwise ``detente.actors.annotate`` is used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from detente.events import code_events
from detente.knowledge import DATA_DIR, Knowledge
from detente.lexicon import load_lexicon
from detente.nlp import load_model, parse
from detente.ontology import load_ontology
from detente.records import Annotations, Article, Entity, Mention, ParsedArticle

DATA = Path("/work/shared/data/zsp-plv/records.jsonl")
MAP = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}


def _kb() -> Knowledge:
    try:
        from detente.knowledge import load_knowledge

        return load_knowledge()
    except Exception:  # noqa: BLE001 - actor KB may be missing during development
        onto, f1 = load_ontology([DATA_DIR])
        lex, f2 = load_lexicon([DATA_DIR], ontology=onto)
        return Knowledge(version="dev", actors=None, ontology=onto, lexicon=lex)


def _oracle(doc: ParsedArticle, spans: list[tuple[int, int, str]]) -> Annotations:
    ms = []
    for s in doc.sentences:
        for a, b, code in spans:
            toks = [t for t in s.tokens if t.start < b and t.end > a]
            if not toks:
                continue
            lo, hi = toks[0].i, toks[-1].i + 1
            head = next((t.i for t in toks if not lo <= t.head < hi or t.head == t.i), lo)
            ms.append(Mention(sentence=s.index, token_start=lo, token_end=hi, start=a, end=b,
                              text=doc.article.text[a:b],
                              entities=(Entity(code=code, text=doc.article.text[a:b]),),
                              rule="oracle", head=head))
    return Annotations(mentions=tuple(ms))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--confusion", action="store_true")
    ap.add_argument("--errors", type=int, default=0)
    args = ap.parse_args()
    kb = _kb()
    annotate = None
    if not args.oracle:
        from detente.actors import annotate  # type: ignore[no-redef]
    recs = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    if args.limit:
        recs = recs[: args.limit]
    arts = [Article(id=f"z{i}", published=date(2020, 1, 1), text=r["text"])
            for i, r in enumerate(recs)]
    nlp = load_model()
    t0 = time.time()
    parsed = [p for p in parse(arts, nlp=nlp) if isinstance(p, ParsedArticle)]
    t1 = time.time()
    gold, pred = [], []
    t_code = 0.0
    n_sents = 0
    for r, doc in zip(recs, parsed, strict=True):
        if args.oracle:
            spans = [(a, b, "SRC") for a, b in r.get("source_spans") or []]
            spans += [(a, b, "TGT") for a, b in r.get("target_spans") or []]
            ann = _oracle(doc, spans)
        else:
            assert annotate is not None
            ann = annotate(doc, kb=kb)
        c0 = time.perf_counter()
        evs = list(code_events(doc, ann, kb=kb))
        t_code += time.perf_counter() - c0
        n_sents += len(doc.sentences)
        if evs:
            top = max(evs, key=lambda e: e.confidence)
            p = MAP.get(top.event_type, top.event_type)
        else:
            p = "NONE"
        gold.append(r["gold_root"])
        pred.append(p)
    labels = sorted(set(gold))
    f1s = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s[lab] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    print(f"n={len(gold)} macro-F1={sum(f1s.values()) / len(f1s):.3f} acc={acc:.3f} "
          f"none={pred.count('NONE') / len(pred):.3f}")
    for lab in labels:
        print(f"  {lab:10s} F1={f1s[lab]:.3f}")
    print(f"parse {t1 - t0:.1f}s; coding {t_code:.2f}s for {n_sents} sentences "
          f"({n_sents / max(t_code, 1e-9):.0f} sentences/s)")
    if args.confusion:
        c = Counter(zip(gold, pred, strict=True))
        for (g, p), n in c.most_common(40):
            if g != p:
                print(f"  {g:10s} -> {p:10s} {n}")
    if args.errors:
        k = 0
        for r, g, p in zip(recs, gold, pred, strict=True):
            if g != p:
                print(f"[{g} -> {p}] {r['marked_sentence']}")
                k += 1
                if k >= args.errors:
                    break


if __name__ == "__main__":
    sys.exit(main())
