"""Crash-safety kit: a seeded corpus, a harness that SIGKILLs ingest at chosen points,
and checks that a store holds every input exactly once.

Used by ``tests/test_crash_safety.py`` and ``bench/crash.py``. Run as a script it is the
harness: ``python tests/crashkit.py KILLPOINT -- ingest ARGS...`` runs ``detente ingest
ARGS`` in this process and kills itself with SIGKILL when the kill point is reached:

``insert:TABLE:N``
    inside a batch's transaction, just before the N-th bulk insert into TABLE
    (N counts from 1 across the run): the batch is half written, not committed;
``commit:N``
    just after the N-th batch commit returned, before the next one starts;
``open:N``
    just after the N-th time ingest opened the DuckDB file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

COUNTRIES = ("Russia", "China", "Turkey", "Iran", "France", "Germany", "Japan", "India",
             "Brazil", "Egypt", "Kenya", "Mexico", "Poland", "Canada", "Israel")
VERBS = ("urged {b} to halt the missile tests", "met officials from {b} in the capital",
         "accused {b} of spying on its diplomats", "signed a trade agreement with {b}",
         "threatened sanctions against {b}", "praised {b} for its help",
         "expelled two diplomats from {b}", "agreed to resume talks with {b}")
FILLER = ("Officials gave no further details.", "The talks lasted three hours.",
          "Markets were calm after the announcement.", "The weather was mild.",
          "A spokesman declined to comment.")

# Corpus shape (per 1,000 articles): what each kind of line tests.
BAD_RECORDS = (
    '{"date": "2021-02-30", "text": "Impossible date."}',   # E105
    '{"text": "No date at all in this record."}',            # E104
    '{"date": "2021-03-01", "text": "   "}',                 # E103
    '{"date": "2021-03-01", "text": ',                       # E106 truncated JSON
    '["not", "an", "object"]',                               # E106
)


@dataclass(frozen=True)
class Corpus:
    """A generated input directory and what it holds."""

    root: Path
    lines: int
    """Lines written, good and bad."""
    articles: int
    """Distinct valid articles (exact repeats counted once)."""
    bad: int
    """Records that must end in rejects."""
    repeats: int
    """Exact repeats of an earlier line (skipped as already stored)."""


def make_corpus(root: Path, *, n: int = 1000, seed: int = 20261127, files: int = 4) -> Corpus:
    """``n`` short valid articles (two or three sentences, so a full run takes seconds)
    spread over ``files`` JSONL files, plus about 3 % bad records, 2 % exact repeats and
    5 % near-copies (another headline, the same body) for the dedup stage."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    good: list[str] = []
    bodies: list[tuple[str, str]] = []
    bad = repeats = 0
    day0 = date(2021, 1, 1)
    for i in range(n):
        if bodies and rng.random() < 0.05:  # near-copy: same body, another headline
            d, body = rng.choice(bodies)
            rec = {"id": f"n{i}", "date": d, "title": f"Wire copy {i}", "text": body}
        else:
            a, b = rng.sample(COUNTRIES, 2)
            d = (day0 + timedelta(days=rng.randrange(365))).isoformat()
            sents = [f"{a} {rng.choice(VERBS).format(b=b)} on Monday.",
                     f"Report {i} came from the {rng.choice(('north', 'south', 'east'))}."]
            if rng.random() < 0.5:
                sents.append(rng.choice(FILLER))
            if rng.random() < 0.1:  # an article with no event at all
                sents = [rng.choice(FILLER), f"Item {i} was noted."]
            body = " ".join(sents)
            bodies.append((d, body))
            rec = {"id": f"a{i}", "date": d, "title": "", "text": body}
        lines.append(json.dumps(rec))
        good.append(lines[-1])
        if rng.random() < 0.02:
            lines.append(rng.choice(good))
            repeats += 1
        if rng.random() < 0.03:
            lines.append(rng.choice(BAD_RECORDS))
            bad += 1
    per = -(-len(lines) // files)
    for k in range(files):
        chunk = lines[k * per:(k + 1) * per]
        (root / f"part-{k:02d}.jsonl").write_text("\n".join(chunk) + "\n", encoding="utf-8")
    return Corpus(root=root, lines=len(lines), articles=n, bad=bad, repeats=repeats)


# -- checks -----------------------------------------------------------------------------

EXACT_TABLES: dict[str, str] = {
    "articles": "* EXCLUDE (ingested_at)",
    "events": "*",
    "event_entities": "*",
    "event_objects": "*",
    "rejects": "* EXCLUDE (rejected_at)",
    "article_dedup": "*",
}
"""Tables that must be identical to an uninterrupted run's (less the wall-clock times).
Event clusters are checked by invariants instead: which report founds a cluster may
depend on where batches were cut."""


def table_diff(db: Path, reference: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per table: (rows, reference rows, rows only in db, rows only in reference)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"ATTACH '{reference}' AS ref (READ_ONLY)")
        out = {}
        for table, cols in EXACT_TABLES.items():
            q = lambda sql: int(con.execute(sql).fetchone()[0])  # noqa: E731
            mine = f"SELECT {cols} FROM main.{table}"
            theirs = f"SELECT {cols} FROM ref.{table}"
            out[table] = (q(f"SELECT count(*) FROM main.{table}"),
                          q(f"SELECT count(*) FROM ref.{table}"),
                          q(f"SELECT count(*) FROM ({mine} EXCEPT ALL {theirs})"),
                          q(f"SELECT count(*) FROM ({theirs} EXCEPT ALL {mine})"))
        return out
    finally:
        con.close()


def integrity_problems(db: Path) -> dict[str, int]:
    """Counts that must all be zero in a sound store (``Store.integrity``, as ``detente
    doctor`` reports them)."""
    from detente.store import Store

    with Store(db, read_only=True) as store:
        return store.integrity()


# -- runs -------------------------------------------------------------------------------

KIT = Path(__file__)
INJECTED = ("open:1", "insert:events:2", "insert:event_entities:1", "commit:1",
            "insert:article_dedup:2", "insert:event_mentions:1", "insert:articles:3",
            "insert:rejects:1")
"""Kill points inside the write path, in the order they are tried."""


def ingest_cmd(point: str, corpus: Path, db: Path) -> list[str]:
    """The command of one ingest run (``point`` ``none``: no injected kill)."""
    return [sys.executable, str(KIT), point, "--", "ingest", str(corpus), "--db", str(db),
            "--quiet", "--json"]


@dataclass
class Reads:
    """What a reader in another process saw while an ingest ran."""

    ok: int = 0
    seconds: list[float] = field(default_factory=list)
    """Time to open the store (waiting for the writer) and read, per read."""
    counts: list[tuple[int, int]] = field(default_factory=list)
    """(articles, events) seen by each read."""
    torn: int = 0
    """Reads whose event count disagreed with the articles' declared counts."""


def read_while_running(proc: subprocess.Popen[bytes], db: Path, *,
                       pause: float = 0.2) -> Reads:
    """Open the store read-only again and again while ``proc`` ingests into it. A read
    sees whole batches when the events stored equal the sum of the articles' counts."""
    from detente.errors import SchemaMismatch
    from detente.store import Store

    reads = Reads()
    while proc.poll() is None:
        if not db.exists():
            time.sleep(0.05)
            continue
        t0 = time.perf_counter()
        try:
            with Store(db, read_only=True, lock_timeout=60) as store:
                row = store.con.execute(
                    "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM events), "
                    "(SELECT coalesce(sum(events), 0) FROM articles)").fetchone()
        except SchemaMismatch:  # created, schema not committed yet
            time.sleep(0.05)
            continue
        assert row is not None
        articles, events, declared = (int(x) for x in row)
        reads.torn += events != declared
        reads.ok += 1
        reads.seconds.append(time.perf_counter() - t0)
        reads.counts.append((articles, events))
        time.sleep(pause)
    return reads


@dataclass
class CrashRun:
    """Outcome of :func:`run_with_kills`."""

    killed: list[str] = field(default_factory=list)
    """Kill points that fired (injected names, or ``after N.Ns`` for external kills)."""
    runs: int = 0
    """Ingest processes started, the final one included."""
    seconds: float = 0.0


def run_with_kills(corpus: Path, db: Path, *, seed: int, random_kills: int,
                   max_delay: float, injected: tuple[str, ...] = INJECTED) -> CrashRun:
    """Ingest ``corpus`` into ``db``, killing the process at each ``injected`` point and
    then ``random_kills`` times from outside (SIGKILL after a seeded random delay in
    ``[0.5, max_delay]`` seconds), restarting with the same command each time; then one
    last run that must finish."""
    rng = random.Random(seed)
    out = CrashRun()
    t0 = time.perf_counter()
    for point in injected:
        proc = subprocess.run(ingest_cmd(point, corpus, db), capture_output=True,
                              timeout=900)
        out.runs += 1
        if proc.returncode == -signal.SIGKILL:
            out.killed.append(point)
        elif proc.returncode != 0:
            raise RuntimeError(f"ingest failed at {point}: {proc.stderr.decode()}")
    for _ in range(random_kills):
        delay = rng.uniform(0.5, max(1.0, max_delay))
        proc2 = subprocess.Popen(ingest_cmd("none", corpus, db), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        out.runs += 1
        try:
            proc2.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc2.send_signal(signal.SIGKILL)
            proc2.wait()
            out.killed.append(f"after {delay:.1f}s")
        else:
            if proc2.returncode != 0:
                raise RuntimeError(f"ingest failed: {proc2.stderr.read().decode()}"
                                   )  # type: ignore[union-attr]
    final = subprocess.run(ingest_cmd("none", corpus, db), capture_output=True, timeout=900)
    out.runs += 1
    if final.returncode != 0:
        raise RuntimeError(f"the final ingest failed: {final.stderr.decode()}")
    out.seconds = time.perf_counter() - t0
    return out


# -- the harness ------------------------------------------------------------------------


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _install(point: str) -> None:
    from detente import store as store_mod

    kind, *rest = point.split(":")
    counts: dict[str, int] = {}

    def hit(name: str, n: int) -> bool:
        counts[name] = counts.get(name, 0) + 1
        return counts[name] == n

    if kind == "insert":
        table, n = rest[0], int(rest[1])
        orig_insert = store_mod.Store._insert

        def insert(self: Any, name: str, rows: Any, **kw: Any) -> None:
            if name == table and rows and hit(name, n):
                _die()
            orig_insert(self, name, rows, **kw)

        store_mod.Store._insert = insert  # type: ignore[method-assign]
    elif kind == "commit":
        n = int(rest[0])
        orig_write = store_mod.Store.write

        def write(self: Any, *a: Any, **kw: Any) -> None:
            orig_write(self, *a, **kw)
            if hit("commit", n):
                _die()

        store_mod.Store.write = write  # type: ignore[method-assign]
    elif kind == "open":
        n = int(rest[0])
        orig_connect: Callable[..., Any] = store_mod._connect

        def connect(*a: Any, **kw: Any) -> Any:
            con = orig_connect(*a, **kw)
            if hit("open", n):
                _die()
            return con

        store_mod._connect = connect  # type: ignore[assignment]
    elif kind != "none":
        raise SystemExit(f"unknown kill point {point!r}")


def main(argv: list[str]) -> None:
    point, sep, *args = argv
    if sep != "--":
        raise SystemExit("usage: crashkit.py KILLPOINT -- ingest ARGS...")
    _install(point)
    from detente.cli import app

    app(args=args, prog_name="detente")


if __name__ == "__main__":
    main(sys.argv[1:])
