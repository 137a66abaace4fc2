"""A short load test on loopback (the CI variant of ``bench/bench_load.py``): a real
``detente serve`` over a synthetic store, concurrent readers while a writer ingests
through the API; no errors, no lost writes. Latencies are reported by the bench, not
asserted here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from conftest import has_model
from loadkit import build_synthetic_store, free_port, lost_writes, run_load, start_server, warm_up

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.model,
              pytest.mark.skipif(not has_model(), reason="needs the spaCy model")]

EVENTS = 20_000
CLIENTS = 20
SECONDS = 10.0


def test_load_readers_and_writer_no_errors_no_lost_writes(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    db = tmp_path / "load.duckdb"
    counts = build_synthetic_store(db, events=EVENTS)
    assert counts["events"] == EVENTS
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(db, port=port, token="ci-token")
    try:
        warm_up(base, "ci-token")
        result = asyncio.run(run_load(base, clients=CLIENTS, seconds=SECONDS,
                                      n_events=EVENTS, token="ci-token"))
        assert result.requests >= CLIENTS
        assert not result.errors, result.errors[:5]
        assert result.writes_confirmed, "no write got through"
        assert len(result.writes_confirmed) == result.writes_sent
        assert lost_writes(base, result.writes_confirmed) == []
    finally:
        server.terminate()
        server.wait(60)
