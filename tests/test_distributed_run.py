"""Scale-out for real: local worker processes and a Dask LocalCluster store exactly what
one process stores, a Parquet-only run resumes by partition, and a killed multi-process
ingest restarted with the same command ends with the same store, without duplicates."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from detente import api, distributed
from detente.errors import UsageError
from detente.ingest import read
from detente.store import Store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.model, pytest.mark.dask, pytest.mark.slow]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples plus two inputs that become rejects (no date, empty)."""
    d = tmp_path_factory.mktemp("corpus")
    for p in sorted((ROOT / "examples").glob("*.txt")):
        (d / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (d / "undated.txt").write_text("Russia and China signed a trade deal.\n", encoding="utf-8")
    (d / "2021-01-01-empty.txt").write_text("   \n", encoding="utf-8")
    return d


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(db, read_only=True) as store:
        q = store.con.execute
        return {
            "articles": q("SELECT id, published, sentences, events FROM articles "
                          "ORDER BY id").fetchall(),
            "events": q("SELECT id, article_id, event_type, cameo, actor_codes, "
                        "recipient_codes, date, date_precision, negated, trigger_start "
                        "FROM events ORDER BY id").fetchall(),
            "entities": q("SELECT * FROM event_entities ORDER BY ALL").fetchall(),
            "rejects": q("SELECT source, stage, code FROM rejects ORDER BY ALL").fetchall(),
            "dedup": q("SELECT article_id, body_hash, duplicate_of FROM article_dedup "
                       "ORDER BY ALL").fetchall(),
            "mentions": q("SELECT * FROM event_mentions ORDER BY ALL").fetchall(),
        }


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory,
              ) -> dict[str, list[tuple[Any, ...]]]:
    db = tmp_path_factory.mktemp("ref") / "one.duckdb"
    summary = api.ingest([corpus], db=db)
    assert summary.articles >= 7 and summary.events > 20 and summary.rejected == 2
    return snapshot(db)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks and partitions even for the small corpus."""
    monkeypatch.setattr(distributed, "CHUNK_ARTICLES", 2)
    monkeypatch.setattr(distributed, "PARTITION_ARTICLES", 3)
    monkeypatch.setattr(distributed, "DATASET_PARTITION_ARTICLES", 3)


@pytest.mark.usefixtures("small_parts")
def test_distributed_local_workers_store_the_same(corpus: Path, tmp_path: Path,
                                                  reference: dict[str, list[Any]]) -> None:
    db = tmp_path / "w2.duckdb"
    summary = api.ingest([corpus], db=db, workers=2)
    assert snapshot(db) == reference
    assert summary.rejected == 2


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_distributed_start_methods_code_the_same(corpus: Path, method: str) -> None:
    """Workers forked from a process that loaded the model, or spawned fresh, return what
    one process codes (small chunks: several per worker, a split tail)."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} on this platform")
    items = list(read([str(corpus)]))

    def key(it: Any) -> str:
        return it.article.id if hasattr(it, "article") else f"~{it.source}"

    one = sorted(api.code_articles(items), key=key)
    many = list(distributed.code_parallel(items, workers=2, chunk=4, method=method))
    assert sorted(many, key=key) == one
    assert [key(it) for it in many if hasattr(it, "article")] == \
        [it.id for it in items if hasattr(it, "text")]  # articles in input order


def test_distributed_start_method_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(distributed.START_METHOD_ENV, "spawn")
    assert distributed.start_method() == "spawn"
    assert distributed.start_method("spawn") == "spawn"
    monkeypatch.setenv(distributed.START_METHOD_ENV, "teleport")
    with pytest.raises(UsageError) as info:
        distributed.start_method()
    assert info.value.code == "E501" and "teleport" in info.value.message
    monkeypatch.delenv(distributed.START_METHOD_ENV)
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    if threading.active_count() == 1:
        assert distributed.start_method() == expected
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert distributed.start_method() == "spawn"  # never fork a threaded process
    finally:
        stop.set()
        other.join()


@pytest.mark.usefixtures("small_parts")
def test_distributed_dask_stores_the_same_and_keeps_parquet(
        corpus: Path, tmp_path: Path, cluster: Any,
        reference: dict[str, list[Any]]) -> None:
    import duckdb

    db = tmp_path / "dask.duckdb"
    parts = tmp_path / "parts"
    api.ingest([corpus], db=db, dask=cluster.scheduler_address, parquet=parts)
    assert snapshot(db) == reference
    # partitions of 3 articles, the last full one cut into single articles (a split tail)
    n = len(list(distributed._chunks(read([str(corpus)]), 3, tail=1)))
    assert n > 3 and len(list((parts / "events").glob("part-*.parquet"))) == n
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM '{parts}/events/*.parquet'").fetchone()
    assert n == (len(reference["events"]),)


@pytest.mark.usefixtures("small_parts")
def test_distributed_parquet_only_resumes_by_partition(corpus: Path, tmp_path: Path,
                                                        cluster: Any,
                                                        reference: dict[str, list[Any]]) -> None:
    from distributed import Client

    out = tmp_path / "dataset"
    with Client(cluster) as client:
        first = distributed.code_to_parquet(read([str(corpus)]), out, client=client)
        assert (first.partitions, first.skipped) == (3, 0)
        assert first.events == len(reference["events"]) and first.rejected == 2
        again = distributed.code_to_parquet(read([str(corpus)]), out, client=client)
        assert (again.partitions, again.skipped, again.events) == (0, 3, 0)
        (out / "events" / "part-000001.parquet").unlink()  # as if killed while writing
        third = distributed.code_to_parquet(read([str(corpus)]), out, client=client)
        assert (third.partitions, third.skipped) == (1, 2)
    ids = {e.id for k in range(3) for it in distributed.read_partition(out, k)
           if hasattr(it, "events") for e in it.events}  # type: ignore[union-attr]
    assert ids == {row[0] for row in reference["events"]}


KILLER = textwrap.dedent("""
    import os, signal, sys
    from detente import api

    def progress(done, events):
        if done >= int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)

    if __name__ == "__main__":
        api.ingest([sys.argv[1]], db=sys.argv[2], workers=2, commit_every=2,
                   progress=progress)
""")


def test_distributed_killed_ingest_resumes_without_duplicates(
        corpus: Path, tmp_path: Path, reference: dict[str, list[Any]]) -> None:
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    db = tmp_path / "killed.duckdb"
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), str(db), "5"],
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL
    # the orphaned worker processes notice and exit on their own
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("worker processes outlived their killed parent")
    partial = snapshot(db)
    assert 0 < len(partial["articles"]) < len(reference["articles"])

    cli = Path(sys.executable).parent / "detente"
    done = subprocess.run([str(cli), "ingest", str(corpus), "--db", str(db), "--workers", "2",
                           "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert '"duplicates": ' + str(len(partial["articles"])) in done.stdout
    assert snapshot(db) == reference
