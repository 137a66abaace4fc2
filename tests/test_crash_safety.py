"""Crash safety: SIGKILL ingest at many points of a 1,000-article run, restart it with
the same command, and find every article stored exactly once with its events, every bad
record in rejects, and a store that opens cleanly. Readers in other processes see whole
batches while the ingest writes.

The corpus is generated (seeded) with two- or three-sentence articles so a full run takes
seconds; kill points are a fixed list inside the write path (mid-transaction, after a
commit, right after opening the file; see ``crashkit.INJECTED``) plus external SIGKILLs
at seeded random moments. ``bench/bench_crash.py`` runs the same with more rounds.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from conftest import has_model
from crashkit import (
    Corpus,
    Reads,
    ingest_cmd,
    integrity_problems,
    make_corpus,
    read_while_running,
    run_with_kills,
    table_diff,
)
from detente.store import Store

pytestmark = [pytest.mark.model, pytest.mark.slow,
              pytest.mark.skipif(not has_model(), reason="needs the spaCy model")]

SEED = 20261127


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return make_corpus(tmp_path_factory.mktemp("crash") / "in", n=1000, seed=SEED)


@pytest.fixture(scope="module")
def reference(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory,
              ) -> tuple[Path, float, Reads]:
    """One uninterrupted run, read from this process all along."""
    db = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    t0 = time.perf_counter()
    proc = subprocess.Popen(ingest_cmd("none", corpus.root, db), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    reads = read_while_running(proc, db)
    _, errs = proc.communicate()
    assert proc.returncode == 0, errs.decode()
    return db, time.perf_counter() - t0, reads


def test_crash_reference_run_accounts_for_every_input(
    corpus: Corpus, reference: tuple[Path, float, Reads]
) -> None:
    db, _, _ = reference
    with Store(db, read_only=True) as store:
        counts = store.counts()
    assert counts["articles"] == corpus.articles
    assert counts["rejects"] == corpus.bad
    assert not any(integrity_problems(db).values()), integrity_problems(db)


def test_crash_readers_see_whole_batches_during_ingest(
    reference: tuple[Path, float, Reads]
) -> None:
    _, _, reads = reference
    assert reads.ok >= 3, "no reader got in while the ingest ran"
    assert reads.torn == 0, "a reader saw half a batch"
    assert reads.counts == sorted(reads.counts), "a reader saw the store go backwards"
    assert len(set(reads.counts)) >= 2, "readers never saw the ingest progress"


def test_crash_sigkill_and_restart_loses_and_doubles_nothing(
    corpus: Corpus, reference: tuple[Path, float, Reads], tmp_path: Path
) -> None:
    ref_db, ref_seconds, _ = reference
    db = tmp_path / "crashed.duckdb"
    run = run_with_kills(corpus.root, db, seed=SEED, random_kills=6,
                         max_delay=ref_seconds * 0.5)
    assert len(run.killed) >= 8, run.killed

    with Store(db) as store:  # opens cleanly read-write (replays the WAL) ...
        counts = store.counts()
    with Store(db, read_only=True):  # ... and read-only
        pass
    assert counts["articles"] == corpus.articles
    assert counts["rejects"] == corpus.bad
    diff = table_diff(db, ref_db)
    for table, (rows, ref_rows, extra, missing) in diff.items():
        assert (rows, extra, missing) == (ref_rows, 0, 0), (table, diff[table], run.killed)
    assert not any(integrity_problems(db).values()), integrity_problems(db)
