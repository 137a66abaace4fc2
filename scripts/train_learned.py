"""Train, cross-validate and write the models of detente's learned coders (dev tool).

Run (about ten minutes on two cores; parses are cached)::

    python scripts/train_learned.py [--data ../shared/data] [--out src/detente/data/models]
                                    [--cache /tmp/detente-train-parses.pkl] [--no-write]

It writes two artefacts, each ``NAME.npz`` (the model trained on every training row plus
one model per cross-validation fold), ``NAME.meta.json`` (labels, training data and their
licences, protocol, temperatures, cross-validated figures) and ``NAME.folds.json`` (the
fold of every dev-set text, keyed by a hash of the text; no text is stored):

``plover_combined`` (coder ``combined-1``)
    sentence features + candidate-event features including the rule coder's type and
    CAMEO code;
``plover_learned`` (coder ``learned-1``)
    the same without the rule coder's type and code.

What it does, reproducibly (no random state: folds come from sha256 of cluster texts,
the optimiser starts from zeros and is deterministic):

1. reads the DEV parts of the training sets in ``--data``: ``zsp-plv`` (PLOVER root of a
   marked pair), ``plover-gsr`` (PLOVER 0.5b1 types, mapped to current names),
   ``cameo-codebook-examples`` (CAMEO code -> PLOVER type by CAMEO2PLOVER; roots 01/02,
   which PLOVER drops, are left out), ``conflibert-cameo`` (PentaClass 1-4 -> the set of
   PLOVER types of that class, a partial label; class 0 is left out) and ``zsp-aw``
   (cooperation or conflict -> the set of cooperative or conflictual types, a partial
   label); ``petr2-gsr-validation`` texts only get a fold, for evaluation;
2. parses every text (:func:`detente.nlp.parse`), runs the actors stage and the relaxed
   rule coder (:func:`detente.hybrid.candidates`), and takes for each gold row the
   candidate that ``detente eval`` would choose (best overlap with the gold spans);
3. groups near-duplicate texts across *all* sets (token-set Jaccard >= 0.5, union-find;
   zsp-aw rows of one source document are one group) and assigns each group to fold
   ``sha256(smallest text) % 5``; a row is only ever scored by a model trained without
   its group, in every set;
4. fits class-balanced L2 softmax regression on hashed features (partial labels maximise
   the probability of their set), one model per fold and one on all rows; fits one
   temperature on the out-of-fold predictions (calibration);
5. prints out-of-fold figures per set and writes the artefacts.

``detente eval --coder combined-1`` then codes each dev text with the fold model that did
not see it (the fold table), so its figures are cross-validated too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from detente import goldsets as G
from detente.learned import (
    CODER_MODELS,
    EVENT_FEATURE_VERSION,
    HASH_BITS,
    event_features,
    sentence_base_features,
    text_key,
)
from detente.records import Article, ParsedArticle, content_hash

ROOT = Path(__file__).resolve().parents[1]
MODEL_VERSION = "2026.11.2"
K_FOLDS = 5
JACCARD = 0.5
LAMBDA = 3e-4
MIN_COUNT = 2
MAX_ITER = 200
LABELS = tuple(sorted(G.PLV_QUAD))
COOP = frozenset(k for k, q in G.PLV_QUAD.items() if q <= 2)
CONFLICT = frozenset(k for k, q in G.PLV_QUAD.items() if q >= 3)
PENTA_TYPES = {
    1: frozenset({"AGREE", "CONSULT", "SUPPORT", "COOPERATE"}),
    2: frozenset({"COOPERATE", "AID", "YIELD"}),
    3: frozenset({"ACCUSE", "REQUEST", "REJECT", "THREATEN", "SANCTION"}),
    4: frozenset({"PROTEST", "MOBILIZE", "COERCE", "ASSAULT"}),
}
"""PentaClass -> PLOVER root types whose CAMEO roots it covers (1: 03-05, 2: 06-08,
3: 09-13 and 16, 4: 14, 15, 17-20; CAMEO 05 "diplomatic cooperation" is partly
COOPERATE, so it is allowed in class 1)."""

SET_WEIGHT = {"zsp-plv": 1.0, "plover-gsr": 1.0, "cameo-codebook-examples": 1.0,
              "conflibert-cameo": 0.3, "zsp-aw": 0.2}
"""Weight of each training set's rows (partial labels count less). Measured out of fold
(root macro-F1 on zsp-plv / binary on zsp-aw): zsp-plv alone 0.813 / -, with zsp-aw at
0.3 0.804 / 0.814, all sets with partial labels at 0.5 0.792 / 0.819."""

LICENCES = {
    "zsp-plv": "none stated (snowood1/Zero-Shot-PLOVER has no LICENSE; news sentences and "
               "CAMEO-manual examples, CAMEO manual CC BY-NC-SA 3.0); internal evaluation "
               "only, do not redistribute",
    "zsp-aw": "none stated (snowood1/Zero-Shot-PLOVER); ACE 2005 sentences under the LDC "
              "licence, WikiEvents news sentences; internal evaluation only",
    "plover-gsr": "CC BY-SA 4.0, Open Event Data Alliance (openeventdata/PLOVER)",
    "cameo-codebook-examples": "MIT (andybega/icews); text from the CAMEO manual, "
                               "CC BY-NC-SA 3.0",
    "conflibert-cameo": "GPL-3.0 (eventdata/ConfliBERT); news sentences, copyright of "
                        "their publishers",
}
ORIGINS = {
    "zsp-plv": "snowood1/Zero-Shot-PLOVER datasets/PLV_{train,test}.tsv @ d2d0b0ad",
    "zsp-aw": "snowood1/Zero-Shot-PLOVER datasets/AW_{train,test}.tsv @ d2d0b0ad",
    "plover-gsr": "openeventdata/PLOVER gold_standard_records/PLOVER_GSR_CAMEO.txt @ 5e0c24fb",
    "cameo-codebook-examples": "andybega/icews data-raw/cameo-codes.csv @ 3746c729",
    "conflibert-cameo": "eventdata/ConfliBERT data/cameo_class @ 0b630014",
}


# -- data --------------------------------------------------------------------------------

@dataclass
class Row:
    """One training row: a gold item, its allowed labels and its chosen candidate."""

    set: str
    text: str
    published: date
    allowed: frozenset[str]
    source_spans: tuple[tuple[int, int], ...] = ()
    target_spans: tuple[tuple[int, int], ...] = ()
    features: dict[str, list[str]] = field(default_factory=dict)
    """Feature strings per model name (empty: the coder found no candidate)."""


def cameo_types(code: str, mapping: dict[str, str]) -> frozenset[str]:
    c = code
    while c:
        if c in mapping:
            return frozenset({G.to_plv(mapping[c])})
        c = c[:-1]
    return frozenset()


def load_rows(data: Path, kb: object) -> tuple[list[Row], list[str]]:
    """The training rows and every dev text (for the fold table)."""
    rows: list[Row] = []
    for it in G.load_plv(data / "zsp-plv"):
        rows.append(Row("zsp-plv", it.text, it.published, frozenset({it.root}),
                        it.source_spans, it.target_spans))
    for it in G.load_gsr(data / "plover-gsr"):
        rows.append(Row("plover-gsr", it.text, it.published, frozenset({G.to_plv(it.event)}),
                        tuple(G._spans_of(it.text, it.actor_texts)),
                        tuple(G._spans_of(it.text, it.recipient_texts))))
    mapping = {k: v.event for k, v in kb.ontology.cameo_to_plover.items()}  # type: ignore[attr-defined]
    for it in G.load_cameo_examples(data / "cameo-codebook-examples"):
        allowed = cameo_types(it.code, mapping)
        if allowed:
            rows.append(Row("cameo-codebook-examples", it.text, it.published, allowed))
    for it in G.load_conflibert(data / "conflibert-cameo"):
        if int(it.label) in PENTA_TYPES:
            rows.append(Row("conflibert-cameo", it.text, it.published,
                            PENTA_TYPES[int(it.label)]))
    for it in G.load_aw(data / "zsp-aw"):
        rows.append(Row("zsp-aw", it.text, it.published,
                        CONFLICT if it.label == "conflict" else COOP,
                        it.source_spans, it.target_spans))
    texts = sorted({r.text for r in rows} | {it.text for it in G.load_petr(
        data / "petr2-gsr-validation")})
    return rows, texts


def aw_documents(data: Path) -> dict[str, str]:
    """zsp-aw text -> its source document id (rows of one document share a fold)."""
    out = {}
    for _n, rec in G.read_jsonl(data / "zsp-aw" / "records.jsonl"):
        out[rec["text"]] = f"{rec.get('corpus')}|{rec.get('original_split')}|{rec.get('doc_id')}"
    return out


def parse_all(texts: Sequence[str], cache: Path | None) -> dict[str, ParsedArticle]:
    done: dict[str, ParsedArticle] = {}
    if cache and cache.exists():
        with cache.open("rb") as fh:
            done = pickle.load(fh)
    todo = sorted(set(texts) - set(done))
    if todo:
        from detente.nlp import parse

        t0 = time.perf_counter()
        arts = [Article(id=content_hash(t), published=date(2000, 1, 1), text=t) for t in todo]
        for art, pa in zip(arts, parse(arts, batch_size=64), strict=True):
            if isinstance(pa, ParsedArticle):
                done[art.text] = pa
        print(f"parsed {len(todo)} texts in {time.perf_counter() - t0:.0f} s", flush=True)
        if cache:
            with cache.open("wb") as fh:
                pickle.dump(done, fh)
    return done


def featurise(rows: Sequence[Row], parsed: dict[str, ParsedArticle], kb: object) -> None:
    """Fill each row's features for both models from the candidate ``eval`` would pick."""
    import dataclasses

    from detente.actors import annotate
    from detente.hybrid import candidates

    cands: dict[tuple[str, date], list] = {}
    t0 = time.perf_counter()
    for r in rows:
        key = (r.text, r.published)
        if key in cands or r.text not in parsed:
            continue
        pa = parsed[r.text]
        art = dataclasses.replace(pa.article, published=r.published, id=content_hash(r.text))
        doc = ParsedArticle(article=art, sentences=pa.sentences)
        ann = annotate(doc, kb=kb)
        cands[key] = list(candidates(doc, ann, kb=kb, coder="train"))
    print(f"candidates for {len(cands)} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    for r in rows:
        cs = cands.get((r.text, r.published), [])
        if not cs:
            continue
        ev = G.pick_event([c.event for c in cs], r.source_spans, r.target_spans)
        c = next(c for c in cs if c.event is ev)
        base = sentence_base_features(c.sentence)
        r.features = {
            "plover_combined": base + event_features(c.sentence, c.event,
                                                     fallback=c.fallback, rules=True),
            "plover_learned": base + event_features(c.sentence, c.event,
                                                    fallback=c.fallback, rules=False),
        }


# -- folds -------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def clusters(texts: Sequence[str], links: Sequence[tuple[int, int]] = ()) -> list[int]:
    """Cluster id per text: union of token-set Jaccard >= JACCARD pairs and ``links``."""
    n = len(texts)
    sets = [frozenset(_WORD.findall(t.lower())) for t in texts]
    post: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for w in s:
            post[w].append(i)
    posting = {w: np.array(v) for w, v in post.items()}
    sizes = np.array([len(s) for s in sets])
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for i, s in enumerate(sets):
        cnt = np.zeros(n, dtype=np.int32)
        for w in s:
            cnt[posting[w]] += 1
        cnt[: i + 1] = 0
        jac = cnt / np.maximum(sizes[i] + sizes - cnt, 1)
        for j in np.nonzero(jac >= JACCARD)[0]:
            union(i, int(j))
    for a, b in links:
        union(a, b)
    return [find(i) for i in range(n)]


def fold_table(texts: Sequence[str], docs: dict[str, str]) -> dict[str, int]:
    """Text -> fold, near-duplicates (and zsp-aw documents) together."""
    by_doc: dict[str, int] = {}
    links = []
    for i, t in enumerate(texts):
        d = docs.get(t)
        if d is not None:
            if d in by_doc:
                links.append((by_doc[d], i))
            else:
                by_doc[d] = i
    cl = clusters(texts, links)
    rep: dict[int, str] = {}
    for t, c in zip(texts, cl, strict=True):
        rep[c] = min(rep.get(c, t), t)
    return {t: int(hashlib.sha256(rep[c].encode("utf-8")).hexdigest(), 16) % K_FOLDS
            for t, c in zip(texts, cl, strict=True)}


# -- model -------------------------------------------------------------------------------

def hashed(feats: Sequence[str]) -> list[int]:
    import zlib

    mask = (1 << HASH_BITS) - 1
    return list(dict.fromkeys(zlib.crc32(f.encode("utf-8")) & mask for f in feats))


def design(rows: Sequence[list[int]], vocab: dict[int, int]) -> sp.csr_matrix:
    cols, ptr = [], [0]
    for r in rows:
        c = [vocab[h] for h in r if h in vocab]
        cols.extend(c)
        ptr.append(len(cols))
    return sp.csr_matrix((np.ones(len(cols)), np.array(cols, dtype=np.int64),
                          np.array(ptr)), shape=(len(rows), len(vocab)))


def make_vocab(rows: Sequence[list[int]], min_count: int) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for r in rows:
        for h in r:
            counts[h] += 1
    keys = sorted(h for h, n in counts.items() if n >= min_count)
    return {h: i for i, h in enumerate(keys)}


def fit(x: sp.csr_matrix, masks: np.ndarray, weights: np.ndarray, *, lam: float
        ) -> tuple[np.ndarray, np.ndarray]:
    """L2 softmax regression; row i maximises the probability of its allowed set."""
    n, d = x.shape
    c = masks.shape[1]
    xt = x.T.tocsr()

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * c].reshape(d, c)
        b = theta[d * c:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        pm = p * masks
        s = pm.sum(axis=1)
        loss = -(weights * np.log(s + 1e-300)).sum() + 0.5 * lam * (w * w).sum()
        g = (p - pm / (s[:, None] + 1e-300)) * weights[:, None]
        grad = np.concatenate([(xt @ g + lam * w).ravel(), g.sum(axis=0)])
        return float(loss), grad

    res = minimize(fg, np.zeros(d * c + c), jac=True, method="L-BFGS-B",
                   options={"maxiter": MAX_ITER, "ftol": 1e-9})
    return res.x[: d * c].reshape(d, c), res.x[d * c:]


def row_weights(rows: Sequence[Row]) -> np.ndarray:
    single = [r for r in rows if len(r.allowed) == 1]
    counts = defaultdict(int)
    for r in single:
        counts[next(iter(r.allowed))] += 1
    mean = len(single) / max(len(counts), 1)
    w = np.array([SET_WEIGHT[r.set] * (mean / counts[next(iter(r.allowed))]
                                       if len(r.allowed) == 1 else 1.0) for r in rows])
    return w / w.sum()


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    best_t, best = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 120)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -lp[np.arange(len(y)), y].mean()
        if nll < best:
            best_t, best = float(t), nll
    return best_t


# -- scoring (out-of-fold, per row; ``detente eval`` gives the official figures) ----------

def macro_f1(gold: Sequence, pred: Sequence) -> float:
    rows = G.per_class([str(g) for g in gold], [str(p) for p in pred])
    return G.macro_f1(rows)


def report(rows: Sequence[Row], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in SET_WEIGHT:
        idx = [i for i, r in enumerate(rows) if r.set == name]
        if not idx:
            continue
        if name in ("zsp-plv", "plover-gsr", "cameo-codebook-examples"):
            gold = [next(iter(rows[i].allowed)) for i in idx]
            p = [pred[i] for i in idx]
            out[name] = {
                "rows": len(idx), "root_macro_f1": round(macro_f1(gold, p), 4),
                "root_accuracy": round(float(np.mean([a == b for a, b in zip(gold, p,
                                                                             strict=True)])), 4),
                "quad_macro_f1": round(macro_f1([G.PLV_QUAD[g] for g in gold],
                                                [G.PLV_QUAD.get(x, 0) for x in p]), 4)}
        else:
            ok = [pred[i] in rows[i].allowed for i in idx]
            out[name] = {"rows": len(idx), "allowed_accuracy": round(float(np.mean(ok)), 4)}
            if name == "zsp-aw":
                gold = ["c" if rows[i].allowed == CONFLICT else "o" for i in idx]
                p = ["c" if pred[i] in CONFLICT else "o" for i in idx]
                out[name]["binary_macro_f1"] = round(macro_f1(gold, p), 4)
    return out


# -- main --------------------------------------------------------------------------------

def train_one(name: str, rows: Sequence[Row], folds: np.ndarray, args: argparse.Namespace
              ) -> tuple[dict[str, np.ndarray], dict]:
    feats = [hashed(r.features[name]) for r in rows]
    masks = np.array([[lab in r.allowed for lab in LABELS] for r in rows], dtype=np.float64)
    weights = row_weights(rows)
    arrays: dict[str, np.ndarray] = {}
    oof = np.zeros((len(rows), len(LABELS)))
    for k in range(K_FOLDS):
        tr = np.nonzero(folds != k)[0]
        te = np.nonzero(folds == k)[0]
        vocab = make_vocab([feats[i] for i in tr], args.min_count)
        t0 = time.perf_counter()
        w, b = fit(design([feats[i] for i in tr], vocab), masks[tr],
                   weights[tr] / weights[tr].sum(), lam=args.lam)
        oof[te] = design([feats[i] for i in te], vocab) @ w + b
        arrays[f"fold{k}_keys"] = np.array(list(vocab), dtype=np.uint32)
        arrays[f"fold{k}_weights"] = w.astype(np.float16)
        arrays[f"fold{k}_bias"] = b.astype(np.float32)
        print(f"  {name} fold {k}: {len(tr)} rows, {len(vocab)} features, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    single = np.array([len(r.allowed) == 1 for r in rows])
    y = np.array([LABELS.index(next(iter(r.allowed))) if len(r.allowed) == 1 else 0
                  for r in rows])
    temperature = fit_temperature(oof[single], y[single])
    pred = [LABELS[i] for i in oof.argmax(axis=1)]
    figures = report(rows, pred)
    print(f"{name}: out-of-fold {json.dumps(figures)}; temperature {temperature:.3f}",
          flush=True)
    vocab = make_vocab(feats, args.min_count)
    w, b = fit(design(feats, vocab), masks, weights, lam=args.lam)
    arrays["keys"] = np.array(list(vocab), dtype=np.uint32)
    arrays["weights"] = w.astype(np.float16)
    arrays["bias"] = b.astype(np.float32)
    meta = {"temperature": temperature, "cv": figures, "n_features": len(vocab)}
    return arrays, meta


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "detente" / "data" / "models")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of parsed texts")
    ap.add_argument("--lam", type=float, default=LAMBDA)
    ap.add_argument("--min-count", type=int, default=MIN_COUNT)
    ap.add_argument("--model", choices=sorted(CODER_MODELS.values()), action="append",
                    help="train only this artefact (repeatable; default both)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from detente.knowledge import load_knowledge

    kb = load_knowledge()
    rows, texts = load_rows(args.data, kb)
    parsed = parse_all(texts, args.cache)
    featurise(rows, parsed, kb)
    table = fold_table(texts, aw_documents(args.data))
    used = [r for r in rows if r.features]
    folds = np.array([table[r.text] for r in used])
    by_set = defaultdict(int)
    for r in used:
        by_set[r.set] += 1
    print(f"{len(used)} of {len(rows)} rows have a candidate: {dict(by_set)}; "
          f"{len(texts)} texts in the fold table; fold sizes {np.bincount(folds).tolist()}",
          flush=True)
    names = args.model or sorted(CODER_MODELS.values())
    for name in names:
        arrays, extra = train_one(name, used, folds, args)
        if args.no_write:
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out / f"{name}.npz", **arrays)
        coder = next(c for c, m in CODER_MODELS.items() if m == name)
        meta = {
            "name": name, "coder": coder, "version": MODEL_VERSION,
            "feature_version": EVENT_FEATURE_VERSION, "hash_bits": HASH_BITS,
            "labels": list(LABELS),
            "label_scheme": "PLOVER root types, pre-2021 (YIELD = CONCEDE + RETREAT)",
            "model": f"multinomial logistic regression, L2 lambda={args.lam}, features seen "
                     f"in >= {args.min_count} training rows, class-balanced, partial labels "
                     "maximise the probability of their set; scipy L-BFGS",
            "features": "detente.learned.sentence_base_features + event_features("
                        f"rules={name == 'plover_combined'})",
            "n_features": extra["n_features"],
            "folds": K_FOLDS,
            "temperatures": {"full": extra["temperature"],
                             **{f"fold{k}_": extra["temperature"] for k in range(K_FOLDS)}},
            "training_data": [{"set": s, "part": "DEV", "rows": by_set[s],
                               "weight": SET_WEIGHT[s], "origin": ORIGINS[s],
                               "licence": LICENCES[s]} for s in SET_WEIGHT],
            "protocol": (
                f"grouped {K_FOLDS}-fold cross-validation over all dev sets together: "
                f"near-duplicate texts (token-set Jaccard >= {JACCARD}, union-find; zsp-aw "
                "rows of one document) form one group; group -> fold sha256(smallest text) "
                f"% {K_FOLDS}; detente eval codes every dev text with the fold model trained "
                "without its group (texts outside the table: the full model)"),
            "cv_out_of_fold_rows": extra["cv"],
            "trained_by": "scripts/train_learned.py",
        }
        (args.out / f"{name}.meta.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (args.out / f"{name}.folds.json").write_text(json.dumps(
            {"key": "detente.learned.text_key (sha256 of the whitespace-normalised text)",
             "folds": {text_key(t): k for t, k in sorted(table.items())}},
            sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {args.out / (name + '.npz')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
