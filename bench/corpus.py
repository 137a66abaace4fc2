"""The benchmark corpus: real news texts from ../shared/data, repeated to any volume.

Usage::

    python bench/corpus.py --articles 10000 -o /tmp/corpus-10k.jsonl [--data ../shared/data]

Recipe (stated by every benchmark that uses it, see :data:`RECIPE`):

1. One *round* is every document of four dev sets, 3,115 in all:
   india-police-events ``docs.jsonl`` (838 Times of India articles, dated from
   ``metadata.jsonl``), muc34 ``muc34.jsonl`` (1,500 FBIS reports, dated from the
   ``D MON YY`` dateline, else 1990-01-01), case2021-task2 ``snippets.jsonl`` (715 short
   event snippets, dated 2021-01-01) and the re3d ``documents.json`` files of the seven
   subsets (62 documents with titles, dated 2016-01-01).
2. The round is put in a fixed pseudo-random order (``random.Random(7)``), so that each
   prefix mixes the four sources.
3. Round ``r`` (r = 0, 1, ...) repeats the texts unchanged with the publication date moved
   ``7 * r`` days later: each copy is a distinct article (an article's id hashes its date)
   that the dedup stage links to the first as an exact-body copy, and the coder parses it in
   full again.
4. The first ``--articles`` of that endless sequence are taken.

Because later rounds repeat texts, spaCy's string store stops growing after the first
round; the nlp stage frees each batch's strings anyway (``memory_zone``), so novel text does
not grow it either.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

RECIPE = ("india-police-events + muc34 + case2021-task2 + re3d documents (3,115 real texts "
          "per round, fixed shuffle); round r repeats them dated +7r days; first N taken "
          "(bench/corpus.py)")

_MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DATELINE = re.compile(r"\b(\d{1,2}) (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) (\d\d)\b")


def default_data() -> Path:
    """``$DETENTE_DATA``, else ``../shared/data`` next to the repository."""
    env = os.environ.get("DETENTE_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def _jsonl(path: Path, encoding: str = "utf-8") -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding=encoding).splitlines()
            if line.strip()]


def _muc_date(text: str) -> str:
    m = _DATELINE.search(text[:200])
    if not m:
        return "1990-01-01"
    day, mon, yy = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    try:
        return date(1900 + yy, mon, day).isoformat()
    except ValueError:
        return "1990-01-01"


def base_round(data: Path) -> list[dict[str, str]]:
    """One round: every document of the four sets, in the fixed benchmark order."""
    docs: list[dict[str, str]] = []
    meta = {m["doc_id"]: m for m in _jsonl(data / "india-police-events" / "metadata.jsonl")}
    for d in _jsonl(data / "india-police-events" / "docs.jsonl"):
        m = meta.get(d["doc_id"], {})
        docs.append({"id": f"ipe-{d['doc_id']}", "date": str(m.get("date") or "2002-03-01"),
                     "title": "", "text": str(d["doc_text"]), "url": str(m.get("url") or "")})
    for d in _jsonl(data / "muc34" / "muc34.jsonl"):
        text = str(d["text"])
        docs.append({"id": f"muc-{d['id']}", "date": _muc_date(text), "title": "",
                     "text": text, "url": ""})
    for d in _jsonl(data / "case2021-task2" / "snippets.jsonl"):
        docs.append({"id": f"case-{d['id']}", "date": "2021-01-01", "title": "",
                     "text": str(d["text"]), "url": ""})
    for path in sorted((data / "re3d").glob("*/documents.json")):
        for d in _jsonl(path, encoding="utf-8-sig"):
            docs.append({"id": f"re3d-{d['_id']}", "date": "2016-01-01",
                         "title": str(d.get("title") or ""), "text": str(d["text"]),
                         "url": str(d.get("sourceUrl") or "")})
    random.Random(7).shuffle(docs)
    return docs


def iter_corpus(n: int, *, data: Path | None = None) -> Iterator[dict[str, str]]:
    """The first ``n`` articles of the benchmark sequence, as JSONL-ready dicts."""
    base = base_round(data or default_data())
    r = 0
    produced = 0
    while produced < n:
        shift = timedelta(days=7 * r)
        for d in base:
            if produced >= n:
                return
            day = date.fromisoformat(d["date"]) + shift
            yield {**d, "id": f"{d['id']}-r{r}", "date": day.isoformat()}
            produced += 1
        r += 1


def write_corpus(path: Path, n: int, *, data: Path | None = None) -> Path:
    """Write the first ``n`` articles to a JSONL file (kept when it already holds them)."""
    if path.exists() and path.stat().st_size > 0:
        with path.open(encoding="utf-8") as fh:
            if sum(1 for _ in fh) == n:
                return path
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for d in iter_corpus(n, data=data):
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description="Write the benchmark corpus as JSONL.")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    write_corpus(args.output, args.articles, data=args.data)
    print(f"{args.output}: {args.articles} articles; {RECIPE}")


if __name__ == "__main__":
    main()
