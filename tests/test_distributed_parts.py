"""Scale-out plumbing without the model: partitions, Parquet part files and their
round trip, chunking, and the errors of the scale-out path."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import coded, make_article, make_event
from detente import api, distributed
from detente.errors import DaskMissing, PartMissing, ScaleError, UsageError, WorkerFailed
from detente.records import Article, CodedArticle, Entity, Reject


def _items() -> list[CodedArticle | Reject]:
    a1 = make_article("The US urged Turkey to stop.", aid="a1")
    a2 = make_article("Nothing happened.", aid="a2", day=date(2020, 2, 29))
    ev1 = make_event("e1", article_id="a1")
    ev2 = make_event("e2", article_id="a1", actor=(Entity(code="USA"), Entity(code="GBR")),
                     mode=("military",), recipient=None)
    rej = Reject(source="in.jsonl:2", stage="ingest", code="E104", message="no date",
                 excerpt="x")
    return [coded(a1, ev1, ev2), rej, coded(a2)]


def test_distributed_parts_roundtrip_in_input_order(tmp_path: Path) -> None:
    items = _items()
    rows = distributed._part_rows(items)
    for table in distributed.PART_TABLES:
        distributed._write_table(rows[table], distributed._part_path(tmp_path, table, 3),
                                 distributed.part_schemas()[table])
    back = distributed.read_partition(tmp_path, 3)
    assert back == items


def test_distributed_parts_are_one_queryable_dataset(tmp_path: Path) -> None:
    """Part files share one schema, empty ones too, so DuckDB reads the directory."""
    parts: list[list[CodedArticle | Reject]] = [_items(), [], [_items()[1]]]
    for k, part in enumerate(parts):
        rows = distributed._part_rows(part)
        for table in distributed.PART_TABLES:
            distributed._write_table(rows[table], distributed._part_path(tmp_path, table, k),
                                     distributed.part_schemas()[table])
    con = duckdb.connect()
    n_events = con.execute(f"SELECT count(*) FROM '{tmp_path}/events/*.parquet'").fetchone()
    n_arts = con.execute(f"SELECT count(*), min(published) FROM '{tmp_path}/articles/*.parquet'"
                         ).fetchone()
    n_rej = con.execute(f"SELECT count(*) FROM '{tmp_path}/rejects/*.parquet'").fetchone()
    assert n_events == (2,)
    assert n_arts == (2, date(2020, 2, 29))
    assert n_rej == (2,)


def test_distributed_read_partition_missing_part(tmp_path: Path) -> None:
    with pytest.raises(PartMissing) as info:
        distributed.read_partition(tmp_path, 7)
    assert info.value.code == "E803" and info.value.fields["part"] == 7


def test_distributed_chunks_count_articles_and_carry_rejects() -> None:
    arts: list[Article | Reject] = [make_article(f"t{i}", aid=f"a{i}") for i in range(5)]
    arts.insert(2, Reject(source="s", stage="ingest", code="E103", message="empty"))
    groups = list(distributed._chunks(arts, 2))
    assert [len(g) for g in groups] == [2, 3, 1]
    assert [x for g in groups for x in g] == arts


def test_distributed_failed_task_is_worker_failed() -> None:
    class Broken:
        def result(self) -> None:
            raise RuntimeError("worker lost")

    with pytest.raises(WorkerFailed) as info:
        distributed._result(Broken())
    assert info.value.code == "E802" and "worker lost" in info.value.message


def test_distributed_dask_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(DaskMissing) as info, distributed.dask_client("local"):
        pass
    assert "pip install 'detente[dask]'" in info.value.hint


@pytest.mark.dask
def test_distributed_unreachable_scheduler() -> None:
    with pytest.raises(ScaleError) as info, \
            distributed.dask_client("tcp://127.0.0.1:9", connect_timeout=2):
        pass
    assert info.value.code == "E800" and info.value.fields["address"] == "tcp://127.0.0.1:9"


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"parquet": "out"}])
def test_distributed_ingest_bad_options(tmp_path: Path, kwargs: dict[str, object]) -> None:
    src = tmp_path / "a.txt"
    src.write_text("date 2021-10-01 Talks\n\nRussia and China signed a deal.\n",
                   encoding="utf-8")
    with pytest.raises(UsageError):
        api.ingest([src], db=tmp_path / "x.duckdb", **kwargs)  # type: ignore[arg-type]


def test_distributed_chunks_split_the_tail() -> None:
    arts: list[Article | Reject] = [make_article(f"t{i}", aid=f"a{i}") for i in range(11)]
    arts.insert(9, Reject(source="s", stage="ingest", code="E103", message="empty"))
    groups = list(distributed._chunks(arts, 4, tail=2))
    # 4, then the last full group and the rest (4 + 3 articles) in pieces of 2
    assert [sum(isinstance(x, Article) for x in g) for g in groups] == [4, 2, 2, 2, 1]
    assert [x for g in groups for x in g] == arts
    small = list(distributed._chunks(arts[:3], 4, tail=2))  # less than one group
    assert [len(g) for g in small] == [2, 1]
