"""detente's own MinHash and LSH banding equal datasketch's, bit for bit.

Ingest computes the ``affine32`` MinHash values and the ``MinHashLSH`` band parameters
itself (importing datasketch pulls in scipy: start-up time on every run); stored
signatures must stay those datasketch made, so these tests compare both with datasketch.
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

from detente.dedup import DedupConfig, _permutations, lsh_bands, signature

datasketch = pytest.importorskip("datasketch")

WORDS = ("police army minister talks border village attack said the of and in to a "
         "government rebels killed wounded capital city report agency news").split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _reference(text: str, config: DedupConfig) -> np.ndarray | None:
    import re

    words = re.findall(r"\w+", text.lower())
    if len(words) < config.min_words:
        return None
    k = config.shingle
    shingles = {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}
    mh = datasketch.MinHash(num_perm=config.num_perm, seed=1, scheme="affine32")
    mh.update_batch(list(shingles))
    return np.asarray(mh.hashvalues, dtype=np.uint64)


@pytest.mark.parametrize("num_perm", [64, 16, 128])
def test_signature_equals_datasketch(num_perm: int) -> None:
    config = DedupConfig(num_perm=num_perm)
    rng = random.Random(num_perm)
    texts = [_text(rng, rng.randint(15, 400)) for _ in range(40)]
    texts += ["Ünïcode wörds — «quoted» text, numbers 1 2 3 and more words " * 5]
    for text in texts:
        ours, ref = signature(text, config=config), _reference(text, config)
        if ref is None:
            assert ours is None
            continue
        assert ours is not None and ours.dtype == np.uint64
        assert np.array_equal(ours, ref)


def test_permutations_equal_datasketch() -> None:
    a, b = _permutations(64)
    perms = datasketch.MinHash(num_perm=64, seed=1, scheme="affine32").permutations
    assert np.array_equal(a, perms[0]) and np.array_equal(b, perms[1])


@pytest.mark.parametrize("num_perm", [16, 32, 64, 100, 128])
def test_lsh_bands_equal_datasketch(num_perm: int) -> None:
    for step in range(5, 100, 5):
        threshold = step / 100
        try:
            ref = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError:
            with pytest.raises(ValueError):
                lsh_bands(threshold, num_perm)
            continue
        assert lsh_bands(threshold, num_perm) == (ref.b, ref.r), threshold


def test_ingest_dedup_does_not_import_datasketch() -> None:
    import subprocess

    code = ("import sys; from detente.dedup import ArticleIndex, signature; "
            "ArticleIndex(); signature('w ' * 50); "
            "print(any(m.split('.')[0] in ('datasketch', 'scipy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
