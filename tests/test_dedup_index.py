"""The compact article index finds the same copies as datasketch's MinHashLSH did.

The reference below is the index as first written (datasketch's ``MinHashLSH`` and dicts
of signatures); the compact one must link every article of a stream exactly as it does.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from detente.dedup import ArticleIndex, ArticleLink, DedupConfig, body_hash, signature
from detente.records import Article


class ReferenceIndex:
    def __init__(self, config: DedupConfig) -> None:
        from datasketch import MinHashLSH

        self.config = config
        self._lsh = MinHashLSH(threshold=config.near_threshold, num_perm=config.num_perm)
        self._sigs: dict[str, np.ndarray] = {}
        self._bodies: dict[str, str] = {}
        self._canonical: dict[str, str] = {}

    def add(self, article_id: str, bhash: str, sig: np.ndarray | None,
            canonical: str | None = None) -> None:
        from datasketch import MinHash

        self._bodies.setdefault(bhash, article_id)
        self._canonical[article_id] = canonical or article_id
        if sig is not None and article_id not in self._sigs:
            self._sigs[article_id] = sig
            self._lsh.insert(article_id, MinHash(num_perm=self.config.num_perm,
                                                 hashvalues=sig, scheme="affine32"))

    def link(self, article: Article) -> ArticleLink | None:
        from datasketch import MinHash

        bhash = body_hash(article.text)
        sig = signature(article.text, config=self.config)
        link = None
        first = self._bodies.get(bhash)
        if first is not None and first != article.id:
            link = ArticleLink(article.id, self._canonical.get(first, first), "exact-body", 1.0)
        elif sig is not None:
            mh = MinHash(num_perm=self.config.num_perm, hashvalues=sig, scheme="affine32")
            best, best_sim = None, 0.0
            for cand in self._lsh.query(mh):
                if cand == article.id:
                    continue
                sim = float((self._sigs[cand] == sig).mean())
                if sim >= self.config.near_threshold and (sim, cand) > (best_sim, best or ""):
                    best, best_sim = cand, sim
            if best is not None:
                link = ArticleLink(article.id, self._canonical.get(best, best), "near", best_sim)
        self.add(article.id, bhash, sig, link.duplicate_of if link else None)
        return link


def _stream(n: int, seed: int, *, hashed_ids: bool = False) -> list[Article]:
    """Articles with copies and near copies; with ``hashed_ids``, ids in no particular
    order (as the store's content hashes), so a copy's id may sort before its original's."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(800)]
    bodies: list[list[str]] = []
    out = []
    for i in range(n):
        r = rng.random()
        if bodies and r < 0.15:  # a near copy: a few words changed, one line added
            words = list(rng.choice(bodies))
            for _ in range(rng.randrange(1, 6)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            words = ["Updated:", *words]
        elif bodies and r < 0.25:  # an exact copy, re-wrapped
            words = list(rng.choice(bodies))
        elif r < 0.3:  # too short for a signature
            words = rng.choices(vocab, k=rng.randrange(3, 15))
        else:
            words = rng.choices(vocab, k=rng.randrange(40, 200))
            bodies.append(words)
        aid = f"{rng.getrandbits(40):010x}" if hashed_ids else f"a{i:05d}"
        out.append(Article(id=aid, published=date(2021, 1, 1), text=" ".join(words)))
    return out


@pytest.mark.parametrize(("seed", "threshold", "hashed"),
                         [(1, 0.8, False), (2, 0.8, False), (3, 0.5, False), (4, 0.5, True),
                          (5, 0.8, True)])
def test_dedup_index_links_like_datasketch(seed: int, threshold: float, hashed: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ArticleIndex, "_MIN_MERGE", 50)  # exercise the band merges
    config = DedupConfig(near_threshold=threshold)
    ref, new = ReferenceIndex(config), ArticleIndex(config)
    links = 0
    for art in _stream(700, seed, hashed_ids=hashed):
        expected = ref.link(art)
        got, _, _ = new.link(art)
        assert got == expected, art.id
        links += expected is not None
    assert links > 100
    assert len(new) == len(ref._bodies)


def test_dedup_index_filled_from_rows_then_linked() -> None:
    """Adding stored rows (as Store.article_index does) then linking gives the same links."""
    config = DedupConfig()
    arts = _stream(300, 9)
    ref, new = ReferenceIndex(config), ArticleIndex(config)
    for art in arts[:200]:
        link = ref.link(art)
        new.add(art.id, body_hash(art.text), signature(art.text, config=config),
                link.duplicate_of if link else None)
    for art in arts[200:]:
        assert new.link(art)[0] == ref.link(art)


@pytest.mark.parametrize("seed", [9, 10])
def test_dedup_index_filled_in_id_order_then_linked(seed: int) -> None:
    """Filled from stored rows in id order (Store.article_index's order, in which a copy can
    come before its original) and then linked, the index links as the reference does; exact
    copies take no row of their own."""
    config = DedupConfig(near_threshold=0.5)
    arts = _stream(400, seed, hashed_ids=True)
    ref = ReferenceIndex(config)
    rows = []
    for art in arts[:300]:
        link = ref.link(art)
        rows.append((art.id, body_hash(art.text), signature(art.text, config=config),
                     link.duplicate_of if link else None))
    ref2, new = ReferenceIndex(config), ArticleIndex(config)
    for row in sorted(rows, key=lambda r: r[0]):
        ref2.add(*row)
        new.add(*row)
    linked = 0
    for art in arts[300:]:
        expected = ref2.link(art)
        assert new.link(art)[0] == expected, art.id
        linked += expected is not None
    assert linked > 20
    signed = {body_hash(a.text) for a in arts if signature(a.text, config=config) is not None}
    assert len(new._ids) == len(signed)  # one row per distinct body
