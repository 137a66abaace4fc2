"""An article met again later in the same ingest run is counted as a duplicate and
stored once, whether its first copy is still being coded or already committed (the run
forgets the ids it has stored, so its memory does not grow with the corpus)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from detente import api
from detente.records import Article, CodedArticle, Reject
from detente.store import Store


def _corpus(tmp_path: Path, n: int) -> Path:
    rows = [{"id": f"r{i}", "date": f"2021-03-{1 + i % 9:02d}",
             "text": f"Police in Lagos arrested {i + 2} protesters on Monday, officials said."}
            for i in range(n)]
    corpus = tmp_path / "repeats.jsonl"
    # the same records twice, within one read group of the ingest
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows + rows), encoding="utf-8")
    return corpus


def test_ingest_repeats_in_one_run_are_stored_once(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    summary = api.ingest([_corpus(tmp_path, 40)], db=db, batch_size=4, commit_every=5)
    assert (summary.articles, summary.duplicates) == (40, 40)
    with Store(db, read_only=True) as store:
        assert store.counts()["articles"] == 40
        ids = [e.id for e in store.iter_events()]
    assert len(ids) == len(set(ids)) == summary.events > 0


def test_ingest_repeat_read_after_its_first_copy_was_committed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A coder that takes one article at a time (as a worker pool's window can): the first
    copies are committed after the read group was checked against the store and before
    their repeats are read, so only the run's record of what it stored catches them."""

    def one_at_a_time(stack: Any, **_: Any) -> Any:
        def code(items: Iterable[Article | Reject]) -> Iterator[CodedArticle | Reject]:
            for it in items:
                yield it if isinstance(it, Reject) else CodedArticle(it, (), 1)
        return code

    monkeypatch.setattr(api, "_coder", one_at_a_time)
    db = tmp_path / "s.duckdb"
    summary = api.ingest([_corpus(tmp_path, 30)], db=db, commit_every=5)
    assert (summary.articles, summary.duplicates) == (30, 30)
    with Store(db, read_only=True) as store:
        assert store.counts()["articles"] == 30
