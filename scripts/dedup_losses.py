"""Where dedup recall is lost: every gold pair of reports put in one class.

Run after ``detente eval dedup --path DIR --db DB`` (the store keeps the clusters of that
run)::

    python scripts/dedup_losses.py build/dedup-eval.duckdb build/dedup-gold [--json]

For each pair of reports in one gold event (docs/dedup.md; pairs counted per gold event,
so a pair in two events counts twice), looking only at the reports' factual ASSAULT and
COERCE mentions (the types the gold covers):

- ``no mention``: one report or both have none;
- ``joined``: a mention of each is in one cluster;
- ``types differ``: both have mentions, none of the same type;
- ``far``: the nearest mentions of one type lie more than ``--window`` days apart (with
  how each of the two was dated: by its text or by its publication);
- ``close``: they lie within the window but are in different clusters.

An analysis tool for the evaluation, not part of the package.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path, help="the store of a detente eval dedup run (--db)")
    ap.add_argument("gold", type=Path, help="the gold directory (--path)")
    ap.add_argument("--window", type=int, default=3, help="days (the run's --dedup-window)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    import duckdb

    from detente.ingest import read
    from detente.records import Article

    ext: dict[str, str] = {}
    for item in read([str(args.gold / "articles.jsonl")], fmt="jsonl"):
        if isinstance(item, Article) and item.external_id:
            ext.setdefault(item.id, item.external_id)
    con = duckdb.connect(str(args.db), read_only=True)
    rows = con.execute(
        "SELECT e.article_id, e.event_type, e.date, e.date_basis, m.cluster_id "
        "FROM events e LEFT JOIN event_mentions m ON m.event_id = e.id "
        "WHERE e.event_type IN ('ASSAULT', 'COERCE') AND NOT e.negated "
        "AND NOT e.hypothetical").fetchall()
    by_report: dict[str, list[tuple[str, object, str, str]]] = defaultdict(list)
    for aid, etype, day, basis, cluster in rows:
        if aid in ext:
            by_report[ext[aid]].append((etype, day, basis, cluster))
    counts: Counter[str] = Counter()
    dating: Counter[str] = Counter()
    with (args.gold / "events.jsonl").open(encoding="utf-8") as fh:
        golds = [json.loads(line) for line in fh if line.strip()]
    for g in golds:
        for a, b in itertools.combinations(sorted(set(g["articles"])), 2):
            ma, mb = by_report.get(a, []), by_report.get(b, [])
            if not ma or not mb:
                counts["no mention"] += 1
            elif {x[3] for x in ma} & {y[3] for y in mb}:
                counts["joined"] += 1
            elif not (same := [(x, y) for x in ma for y in mb if x[0] == y[0]]):
                counts["types differ"] += 1
            else:
                x, y = min(same, key=lambda p: abs((p[0][1] - p[1][1]).days))  # type: ignore
                if abs((x[1] - y[1]).days) > args.window:  # type: ignore[operator]
                    counts["far"] += 1
                    dating["/".join(sorted((x[2], y[2])))] += 1
                else:
                    counts["close"] += 1
    out = {"pairs": sum(counts.values()), **counts, "far_dated_by": dict(dating)}
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
