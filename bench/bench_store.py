"""Benchmark: analytics latency over a large store, and the dedup rate.

Usage::

    python bench/bench_store.py [--events 10000000] [--repeat 5] [--db /tmp/bench.duckdb]
                                [--dedup-articles 100000] [--skip-queries]

Data. The store is filled with *synthetic* events made inside DuckDB (so building ten
million rows takes a minute, not an hour): dates uniform over 2000-2025; actor and
recipient drawn from 60 ISO-3166 codes with a skew (code i has weight 1/(i+1)), sectors
from GOV/MIL/CVL/REB; event types drawn from the 16 PLOVER types with their quad class;
Goldstein from the type's CAMEO root value; 5% negated, 3% hypothetical. Each event has
one actor and one recipient row in ``event_entities``. The database is kept at ``--db`` and
reused when it already holds the requested number of events.

The dedup measure codes nothing: it feeds ``--dedup-articles`` synthetic articles and
their synthetic events through the same ``dedup_rows`` + ``Store.write`` path as ``detente
ingest``, in batches of 64, against the store. An article is 14 news-like sentences (about
210 words) made from 12 sentence patterns filled with words of a 184-word vocabulary and
with invented names: 3,000 surnames and 400 given names (syllables put together, so most
are rare, as real names are) and 800 places, drawn with a skew (Zipf-like) so some names
recur across many articles. Three of its sentences carry its events and are their evidence
sentences, so the name-word matcher reads real-looking text: half the events have coded
actors (20 country codes), half an unknown actor ("gunmen") and a named victim or a
victims' role, with a place. 30% of the articles report again an incident of an earlier
one (same victim and place, date within two days, other wording), and 10% are
near-copies of an earlier article (a changed first line).

Prints the command, data, machine, versions, then per query the median and min-max over
``--repeat`` runs (the first, cold run reported apart).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

TYPES = [("AGREE", 1, 4.0, "030"), ("CONSULT", 1, 1.0, "040"), ("SUPPORT", 1, 3.5, "050"),
         ("CONCEDE", 1, 5.0, "080"), ("COOPERATE", 2, 6.0, "060"), ("AID", 2, 7.0, "070"),
         ("RETREAT", 2, 5.0, "087"), ("REQUEST", 3, -5.0, "100"), ("ACCUSE", 3, -2.0, "110"),
         ("REJECT", 3, -4.0, "120"), ("THREATEN", 3, -6.0, "130"), ("PROTEST", 4, -6.5, "140"),
         ("SANCTION", 4, -4.0, "160"), ("MOBILIZE", 4, -7.2, "150"), ("COERCE", 4, -7.0, "170"),
         ("ASSAULT", 4, -9.0, "180")]
CODES = ("USA RUS CHN TUR GBR FRA DEU UKR ISR IRN IND JPN PAK AFG IRQ SYR SAU EGY KOR PRK BRA "
         "MEX CAN AUS ITA ESP POL NLD BEL SWE NOR FIN GRC HUN ROU BGR SRB HRV AZE ARM GEO "
         "KAZ UZB IDN MYS PHL THA VNM MMR BGD LKA NPL NGA ETH KEN ZAF SDN LBY TUN DZA").split()


def build(con: object, n: int) -> None:
    import duckdb

    assert isinstance(con, duckdb.DuckDBPyConnection)
    con.execute("CREATE TEMP TABLE types AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, '{t}', {q}, {g}, '{c}')" for i, (t, q, g, c) in enumerate(TYPES))
        + ") v(i, event_type, quad, goldstein, cameo)")
    con.execute("CREATE TEMP TABLE codes AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, '{c}')" for i, c in enumerate(CODES)) + ") v(i, code)")
    k = len(CODES)
    # skewed code index: floor(k ** random()) - 1 gives weights ~ 1/(i+1)
    con.execute(f"""
        CREATE TEMP TABLE raw AS SELECT
          'e' || lpad(i::VARCHAR, 9, '0') AS id,
          'a' || lpad((i // 5)::VARCHAR, 9, '0') AS article_id,
          (DATE '2000-01-01' + (random() * 9490)::INT) AS d,
          (random() * 15.999)::INT AS t,
          least(floor(pow({k}, random()))::INT - 1, {k - 1}) AS a,
          least(floor(pow({k}, random()))::INT - 1, {k - 1}) AS r,
          (random() * 3.999)::INT AS s,
          random() < 0.05 AS neg, random() < 0.03 AS hyp
        FROM range({n}) t(i)""")
    con.execute("BEGIN")
    con.execute("""
        INSERT INTO events (id, article_id, event_type, mode, context, cameo, goldstein,
          quad_class, intensity, date, date_precision, date_basis, date_text, published,
          actor_codes, recipient_codes, negated, hypothetical, future, historical, confidence,
          content, sentence_index, sentence, sentence_start, sentence_end, trigger,
          trigger_start, trigger_end, url, coder, kb_version)
        SELECT raw.id, article_id, ty.event_type, [], [], ty.cameo, ty.goldstein, ty.quad,
          ty.goldstein, d, 'day', 'publication', '', d, [ca.code], [cr.code], neg, hyp, false,
          false, 0.7, '', 0, 'synthetic', 0, 9, 'x', 0, 1, '', 'synthetic', 'synthetic'
        FROM raw JOIN types ty ON ty.i = raw.t JOIN codes ca ON ca.i = raw.a
        JOIN codes cr ON cr.i = raw.r""")
    for role, col in (("actor", "a"), ("recipient", "r")):
        con.execute(f"""
            INSERT INTO event_entities SELECT raw.id, '{role}', 0, c.code,
              ['GOV','MIL','CVL','REB'][s + 1], c.code, c.code, '', '', c.code || 'GOV', '',
              -1, -1
            FROM raw JOIN codes c ON c.i = raw.{col}""")
    con.execute("COMMIT")
    con.execute("DROP TABLE raw")

SYLLABLES = ("ba be bi bo ca ce co da de di do fa fe ga go la le li lo lu ma me mi mo na ne "
             "ni no pa pe po ra re ri ro sa se si so ta te ti to va ve vi za zo al an ar "
             "el en er es in or os ul un ur").split()
WORDS = ("the a of in on to and said that was were by for with at from after before near "
         "during while police army officials government minister security forces sources "
         "reported local residents witnesses town village city province region district "
         "road bridge market office station building vehicle car truck bus house church "
         "school hospital farm border camp base checkpoint headquarters embassy court "
         "judge mayor councilman priest journalist student worker leader commander "
         "spokesman president party union movement group members people civilians "
         "soldiers guards patrol troops unit operation attack bomb explosion fire shots "
         "clash raid ambush kidnapping murder arrest protest strike march meeting talks "
         "agreement statement report investigation inquiry warning threat demand offer "
         "condemned denied confirmed announced claimed blamed accused called urged "
         "promised rejected asked told added noted stressed described identified "
         "found killed wounded injured arrested detained released freed seized burned "
         "destroyed damaged attacked fired exploded opened closed left arrived returned "
         "yesterday today morning evening night week month early late last next two three "
         "four five several many some other new old national regional central northern "
         "southern eastern western armed unidentified masked heavily about least "
         "more than".split())
PATTERNS = (
    "{Victim}, a {role} of {Place}, was {verbed} by {group} on {when}, {officials} said.",
    "{Group} {verbed} {victim_or_role} near the {building} in {Place} {when}.",
    "The attack on {victim_or_role} in {Place} was condemned by the {Org}.",
    "{Officials} in {Place} said {n} people were {verbed} and {m} others {verbed2}.",
    "According to {source}, the {group_noun} {verb} {n} {thing}s on the road to {Place}.",
    "{Person}, the {office} of {Place}, {said_verb} that the {Org} would {demand}.",
    "Witnesses told {source} that {n} {group_noun} {verb_past} {extra}.",
    "The {Org} {said_verb} the {thing} in {Place} was part of a {adj} campaign.",
    "{Person} of the {Org} {said_verb} the government had to {demand} before {when}.",
    "{Words}.",
    "{Words}, {Person} {said_verb}.",
    "In {Place}, {officials} {said_verb} {Words}.",
)


class SyntheticNews:
    """News-like synthetic articles (see the module docstring); deterministic per seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

        def name(parts: int) -> str:
            return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()

        self.surnames = list(dict.fromkeys(name(rng.choice((2, 3, 3, 4)))
                                           for _ in range(3600)))[:3000]
        self.given = list(dict.fromkeys(name(rng.choice((2, 3))) for _ in range(600)))[:400]
        self.places = list(dict.fromkeys(name(rng.choice((2, 3, 4)))
                                         for _ in range(1000)))[:800]
        self.orgs = [f"{name(2)} {rng.choice(('Front', 'Party', 'Union', 'Council'))}"
                     for _ in range(120)]
        self.incidents: list[tuple[date, str, str]] = []
        self.last_stories: dict[str, list[tuple[str, str, str, str]]] = {}

    def _skewed(self, items: list[str]) -> str:
        k = len(items)
        return items[min(int(k ** self.rng.random()) - 1, k - 1)]

    def person(self) -> str:
        return f"{self._skewed(self.given)} {self._skewed(self.surnames)}"

    def words(self, n: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=n))

    def sentence(self, pattern: str, victim: str, place: str) -> str:
        r = self.rng
        fill = {
            "Victim": victim or self.person(), "victim_or_role": victim or "three priests",
            "role": r.choice(("judge", "priest", "mayor", "student leader", "journalist")),
            "Place": place or self._skewed(self.places), "verbed": r.choice(
                ("killed", "kidnapped", "shot", "abducted", "wounded")),
            "verbed2": r.choice(("wounded", "missing", "detained")),
            "group": r.choice(("unidentified gunmen", "a commando", "armed men", "rebels")),
            "Group": r.choice(("Unidentified gunmen", "A commando", "Armed men", "Rebels")),
            "group_noun": r.choice(("gunmen", "rebels", "soldiers", "men")),
            "when": r.choice(("Monday", "Tuesday night", "early today", "yesterday",
                              "last week")),
            "officials": r.choice(("police sources", "officials", "military spokesmen")),
            "Officials": r.choice(("Police sources", "Officials", "Military spokesmen")),
            "building": r.choice(("church", "embassy", "police station", "market")),
            "Org": r.choice(self.orgs), "n": r.randint(2, 40), "m": r.randint(1, 9),
            "source": r.choice(("radio stations", "the agency", "local newspapers")),
            "verb": r.choice(("burned", "seized", "blocked", "destroyed")),
            "verb_past": r.choice(("fled", "opened fire", "surrendered", "left the area")),
            "thing": r.choice(("vehicle", "truck", "bus", "bridge")),
            "Person": self.person(), "office": r.choice(("mayor", "governor", "minister")),
            "said_verb": r.choice(("said", "stated", "announced", "denied", "warned")),
            "demand": r.choice(("resign", "negotiate", "withdraw its troops", "investigate")),
            "adj": r.choice(("terrorist", "military", "political", "new")),
            "extra": self.words(r.randint(3, 8)),
        }
        text = pattern.format(Words=self.words(r.randint(12, 22)).capitalize(), **fill)
        return text[0].upper() + text[1:]

    def article(self, day: date) -> tuple[str, list[tuple[str, str, str, str]]]:
        """A body of 14 sentences and its three event sentences ``(sentence, kind,
        victim, place)``: ``kind`` is ``coded`` (known actors) or ``unknown``."""
        r = self.rng
        recent = [x for x in self.incidents[-400:] if abs((x[0] - day).days) <= 2]
        if recent and r.random() < 0.3:
            _, victim, place = r.choice(recent)
        else:
            victim = self.person() if r.random() < 0.7 else ""
            place = self._skewed(self.places)
            self.incidents.append((day, victim, place))
        stories = []
        for j in range(3):
            if j == 0 or r.random() < 0.5:
                sent = self.sentence(r.choice(PATTERNS[:3]), victim, place)
                stories.append((sent, "unknown", victim, place))
            else:
                stories.append((self.sentence(r.choice(PATTERNS[3:9]), "", ""), "coded", "",
                                ""))
        body = [s for s, *_ in stories]
        body += [self.sentence(r.choice(PATTERNS), "", "") for _ in range(11)]
        r.shuffle(body)
        paragraphs = [" ".join(body[k:k + 3]) for k in range(0, len(body), 3)]
        return "\n\n".join(paragraphs), stories


def timed(fn: object, repeat: int) -> tuple[float, list[float]]:
    assert callable(fn)
    t = time.perf_counter()
    fn()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t)
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, default=Path("/tmp/detente-bench-store.duckdb"))
    ap.add_argument("--dedup-articles", type=int, default=100_000)
    args = ap.parse_args()

    import duckdb

    import detente

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"versions: detente {detente.__version__}, duckdb {duckdb.__version__}")
    if args.events:
        bench_queries(args)
    if args.dedup_articles:
        bench_dedup(args.dedup_articles)


def bench_queries(args: argparse.Namespace) -> None:
    from detente.store import Store

    store = Store(args.db)
    have = store.counts()["events"]
    if have != args.events:
        store.close()
        args.db.unlink(missing_ok=True)
        store = Store(args.db)
        t = time.perf_counter()
        build(store.con, args.events)
        store.rebuild_summaries()  # the rows above bypassed Store.write
        print(f"built {args.events:,} synthetic events in {time.perf_counter() - t:.1f} s")
    size = args.db.stat().st_size / 1e9
    print(f"data: {args.events:,} synthetic events (see the module docstring), "
          f"file {size:.2f} GB at {args.db}")

    queries = {
        "dyad USA->TUR by month": lambda: store.dyad_series("USA", "TUR", by="month"),
        "dyad USA<->RUS by week": lambda: store.dyad_series("USA", "RUS", by="week",
                                                            both_directions=True),
        "top actors": lambda: store.top_actors(limit=20),
        "network": lambda: store.network(min_events=10),
        "events actor=CHN 2020 page": lambda: store.events(actor="CHN",
                                                           since=date(2020, 1, 1), limit=50),
        "events type=ASSAULT page": lambda: store.events(event_type="ASSAULT", limit=50),
        "alerts by month, last 12 months": lambda: store.shifts(by="month",
                                                                since=date(2025, 1, 1)),
        "alerts by week, last 12 weeks": lambda: store.shifts(by="week",
                                                              since=date(2025, 10, 1)),
        "alerts by month, all 26 years": lambda: store.shifts(by="month"),
    }
    print(f"\n{'query':<34} {'cold s':>8} {'median s':>9} {'min-max s':>15}")
    for name, fn in queries.items():
        cold, warm = timed(fn, args.repeat)
        print(f"{name:<34} {cold:>8.3f} {statistics.median(warm):>9.3f} "
              f"{min(warm):>7.3f}-{max(warm):.3f}")
    store.close()


def bench_dedup(n: int) -> None:
    import tempfile

    from detente.dedup import DedupConfig, EventClusterer, dedup_rows
    from detente.records import (
        Article,
        CodedArticle,
        Entity,
        Event,
        Evidence,
        Place,
    )
    from detente.store import DedupBatch, Store

    rng = random.Random(7)
    make = SyntheticNews(rng)
    texts: list[str] = []

    def article(i: int) -> tuple[Article, list[Event]]:
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(365))
        if texts and rng.random() < 0.1:
            body = "Updated: " + rng.choice(texts)
            stories = make.last_stories.get(body[len("Updated: "):], [])
        else:
            body, stories = make.article(day)
            texts.append(body)
            make.last_stories[body] = stories
        art = Article(id=f"a{i:08d}", published=day, text=body, url=f"https://s{i % 50}.org/")
        evs = []
        for j, (sentence, kind, victim, place) in enumerate(stories):
            t, q, g, c = rng.choice(TYPES) if kind == "coded" else rng.choice(TYPES[-2:])
            if kind == "coded":
                actor = (Entity(code=rng.choice(CODES[:20])),)
                recipient = (Entity(code=rng.choice(CODES[:20])),)
            else:
                actor = (Entity(code="", text="gunmen"),)
                recipient = ((Entity(code="", name=victim, text=victim),) if victim
                             else (Entity(code="", text="three priests"),))
            evs.append(Event(id=f"e{i:08d}{j}", article_id=art.id, event_type=t, cameo=c,
                             goldstein=g, quad_class=q, intensity=g, date=day,
                             date_precision="day", date_basis="publication", date_text="",
                             published=day, actor=actor, recipient=recipient,
                             location=Place(text=place, name=place) if place else None,
                             evidence=Evidence(sentence=sentence, sentence_index=j, start=0,
                                               end=len(sentence))))
        return art, evs

    config = DedupConfig()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "d.duckdb") as store:
        index = store.article_index(config)
        clusterer = EventClusterer(store, config)
        t = time.perf_counter()
        links = 0
        last_tenth = 0.0
        batch: list[CodedArticle] = []
        for i in range(n):
            art, evs = article(i)
            batch.append(CodedArticle(article=art, events=tuple(evs), sentences=1))
            if len(batch) == 64 or i == n - 1:
                t_batch = time.perf_counter()
                rows, clusters = dedup_rows([(b.article, b.events) for b in batch],
                                            index=index, clusterer=clusterer)
                links += sum(1 for r in rows if r[3] is not None)
                store.write(batch, dedup=DedupBatch(articles=rows, clusters=clusters,
                                                    terms=clusterer.take_terms()))
                if i >= n - n // 10:
                    last_tenth += time.perf_counter() - t_batch
                batch = []
        secs = time.perf_counter() - t
        counts = store.dedup_counts()
        t = time.perf_counter()
        reloaded = store.article_index(config)
        load = time.perf_counter() - t
    tenth = n // 10
    print(f"\ndedup: {n:,} synthetic news-like articles (3 events each, 30% re-reports, "
          f"10% near-copies; see the module docstring) deduplicated "
          f"and written in {secs:.1f} s ({n / secs:.0f} articles/s, synthetic generation "
          f"included); the last {tenth:,} (checked against {n - tenth:,} stored) took "
          f"{last_tenth:.1f} s ({tenth / max(last_tenth, 1e-9):.0f} articles/s, dedup and "
          f"write only); {links:,} linked as copies, {counts['clusters']:,} clusters from "
          f"{counts['mentions']:,} mentions; reloading the LSH index of "
          f"{len(reloaded):,} articles (what the next ingest does first) took {load:.1f} s")


if __name__ == "__main__":
    main()
