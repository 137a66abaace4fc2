"""Shared helpers of the benchmark scripts: the header every script prints (command,
machine, load, versions), robust summaries (median and spread), and memory sampling.

Nothing here is part of the detente package; the scripts run from a checkout with the
``dev`` extra installed (``make setup``).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PETRARCH2_STORIES_PER_S = 0.7
"""The PETRARCH2 + Stanford CoreNLP pipeline's throughput that the speed issue cites
(stories per second); quoted, not measured here."""


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        import psutil

        mem = f", {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        pass
    return f"{platform.machine()} {cpu}, {os.cpu_count()} cores{mem}, {platform.system()}"


def load() -> str:
    try:
        a, b, c = os.getloadavg()
    except OSError:
        return "?"
    return f"{a:.2f} {b:.2f} {c:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def versions() -> str:
    import duckdb
    import spacy

    import detente
    from detente.nlp import model_name

    parts = [f"Python {platform.python_version()}", f"detente {detente.__version__}",
             f"spaCy {spacy.__version__}", f"model {model_name()}",
             f"duckdb {duckdb.__version__}"]
    try:
        import dask
        import distributed

        parts.append(f"dask {dask.__version__}, distributed {distributed.__version__}")
    except ImportError:
        pass
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        parts.append(f"commit {rev}{'+dirty' if dirty else ''}")
    except (OSError, subprocess.SubprocessError):
        pass
    return ", ".join(parts)


def web_versions() -> str:
    """Versions of the HTTP stack (for the API benchmarks)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("fastapi", "starlette", "uvicorn", "pydantic", "httpx", "uvloop",
                 "httptools", "orjson"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} -")
    return ", ".join(parts)


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds a process (this one by default) has used so far."""
    import psutil

    t = psutil.Process(pid or os.getpid()).cpu_times()
    return float(t.user + t.system)


def header(title: str, data: str) -> None:
    """Print what every benchmark prints first."""
    print(f"# {title}")
    print(f"command: {shlex.join(['python', *sys.argv])}")
    print(f"data: {data}")
    print(f"machine: {machine()}")
    print(f"load at start: {load()}")
    print(f"versions: {versions()}")
    sys.stdout.flush()


def footer() -> None:
    print(f"load at end: {load()}")
    if os.getloadavg()[0] > (os.cpu_count() or 1) * 0.75:
        print("note: the machine was busy with other work; absolute figures and scaling "
              "ratios are unreliable (rerun on a quiet machine)")


def spread(values: Sequence[float], fmt: str = "{:.3f}") -> str:
    """``median [min-max]`` of a list of measurements."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class RssSampler:
    """Samples the resident memory of a process and all its children (``psutil``) every
    ``interval`` seconds in a background thread; ``peak`` is the largest sum seen."""

    def __init__(self, pid: int | None = None, *, interval: float = 0.2) -> None:
        import psutil

        self.proc = psutil.Process(pid or os.getpid())
        self.interval = interval
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def _rss(self) -> int:
        import psutil

        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._rss()
            self.peak = max(self.peak, rss)
            self.samples.append((time.perf_counter() - self._t0, rss))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        rss = self._rss()
        self.peak = max(self.peak, rss)


def run_child(script: Path, args: Sequence[str], *, timeout: float | None = None,
              sample: bool = False, python: str | None = None) -> dict[str, Any]:
    """Run ``python script args...`` in a fresh process (``python``: this interpreter
    unless given); it prints one JSON object as its last stdout line, which is returned
    (with ``peak_rss_mb`` of the whole process tree added when ``sample``)."""
    cmd = [python or sys.executable, str(script), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid) if sample else None
    if sampler is not None:
        sampler.__enter__()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if sampler is not None:
            sampler.__exit__()
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    result: dict[str, Any] = json.loads(lines[-1])
    if sampler is not None:
        result["peak_rss_mb"] = sampler.peak / 2**20
        result["rss_samples"] = sampler.samples
    return result


def alternate(names: Sequence[str], rep: int) -> list[str]:
    """The measures of one repeat, in an order that alternates between repeats so that a
    drift in machine load does not always favour the same measure."""
    order = list(names)
    return order if rep % 2 == 0 else order[::-1]


def rotate(names: Sequence[str], rep: int) -> list[str]:
    """The measures of one repeat, rotated by one place per repeat: with two measures the
    same as :func:`alternate`, with three each runs first, second and last in turn."""
    k = rep % len(names) if names else 0
    return list(names[k:]) + list(names[:k])


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of ``fn()`` and its result."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out
