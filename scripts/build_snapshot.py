"""Build the packaged knowledge snapshot ``src/detente/data/compiled/knowledge.pickle``.

Usage::

    python scripts/build_snapshot.py               # writes it (skipped when up to date)
    python scripts/build_snapshot.py --check       # exits 1 if missing or out of date
    python scripts/build_snapshot.py --out FILE    # writes FILE instead (the wheel build)

The snapshot is the packaged knowledge (``src/detente/data``) read, validated and indexed
ahead of time, so that the first run of a fresh install loads it without compiling the
YAML/CSV files. It is a generated file: the YAML/CSV files stay the reviewed source, the
snapshot is never committed (``.gitignore``), and detente uses it only while the digest in
its header matches the packaged files, detente's modules and version
(:func:`detente.knowledge.snapshot_digest`); otherwise it compiles from the files as
before. ``make setup`` and ``make snapshot`` run this script; ``setup.py`` runs it into the
build directory when a wheel is built.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None,
                    help="where to write (default: the packaged location)")
    ap.add_argument("--check", action="store_true",
                    help="only check that the snapshot exists and is up to date")
    args = ap.parse_args(argv)

    from detente import knowledge as K
    from detente.errors import KnowledgeError

    path = args.out or K.SNAPSHOT
    if args.check:
        ok = K.read_snapshot(path) is not None
        print(f"{path}: {'up to date' if ok else 'missing or out of date'}")
        return 0 if ok else 1
    t = time.perf_counter()
    try:
        path, written = K.build_snapshot(path)
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = f"written in {time.perf_counter() - t:.2f} s" if written else "already up to date"
    print(f"{path}: {what} (digest {K.snapshot_digest()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
