"""Build dated news corpora, and a dedup gold set, from ../shared/data.

Two sub-commands (run from the repository root; nothing is written inside the package):

``python scripts/shared_corpus.py corpus OUT.jsonl [--sets ipe,muc] [--limit N]``
    One JSONL article per line (``id, date, title, text, publisher, url``), ready for
    ``detente ingest OUT.jsonl``: the 838 Times of India articles of March 2002 in
    ``india-police-events/metadata.jsonl`` (``ipe``; date and URL as released) and the
    1,500 FBIS reports of 1989-90 in ``muc34/muc34.jsonl`` (``muc``; the date and the
    broadcaster or agency read from each report's dateline, e.g.
    ``SAN SALVADOR, 3 JAN 90 (AFP) --``).

``python scripts/shared_corpus.py dedup-gold DIR [--limit-incidents N]``
    The dedup gold set that ``detente eval dedup --path DIR`` scores (see ``docs/dedup.md``):
    ``articles.jsonl`` (the MUC reports that have at least one answer-key template, plus
    synthetic re-publications of 40 of them), ``events.jsonl`` (gold clusters: reports of
    one real-world incident), ``copies.jsonl`` (gold groups of copies of one article) and
    ``meta.json``.

Both corpora were released without letter case (MUC upper case, IndiaPoliceEvents lower
case, the latter also with UTF-8 read as Windows-1252, ``â€™``). Both are repaired the same
way, by rules written here, never by looking at the gold labels:

- mojibake is re-decoded (Windows-1252 bytes read back as UTF-8);
- *truecasing* (a unigram truecaser, Lita et al. 2003): each word takes the spelling it
  most often has, outside sentence starts, in the cased English text of ../shared/data
  (zsp-plv, zsp-aw, case2021-task2, conflibert-cameo, re3d, crossner-politics, plover-gsr)
  and in detente's knowledge names; a word never seen there is lower case if the English
  WordNet lemma lists of the spaCy model know it, else a name (capitalised; upper case
  when it has at most four letters, such as acronyms); such a WordNet lemma (not an
  inflected form) right after a name (a word cased as a name, from the cased text or
  because WordNet does not list it) is the name's next part and is capitalised ("Luis
  Carlos GALAN" -> "Luis Carlos Galan", though WordNet lists "galan"); sentence starts
  are capitalised.

Article ids are content hashes computed by ``detente ingest`` itself; the gold files name
articles by their JSONL ``id`` (``muc:DEV-MUC3-0001``), which ingest reads as the
article's external id; ``detente eval dedup`` maps one to the other.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

# -- text repair ------------------------------------------------------------------------

_MOJIBAKE = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178"
                       "\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122\ufffd]+")


def fix_mojibake(text: str) -> str:
    """Re-decode runs of UTF-8 that were read as Windows-1252 (``â€™`` -> ``’``)."""

    def repair(m: re.Match[str]) -> str:
        run = m.group(0)
        try:
            return run.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            # the released files replaced undefined bytes (0x9d: closing quote) with U+FFFD
            if run == "\u00e2\u20ac\ufffd":
                return "\u201d"
            return run

    return _MOJIBAKE.sub(repair, text)


_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_TAG = re.compile(r"</?[a-z]+>")


def _cased_texts(data: Path) -> Iterator[str]:
    """Cased English sentences from the gold sets (text fields only, never labels)."""
    for name in ("zsp-plv", "zsp-aw", "plover-gsr", "petr2-gsr-validation"):
        path = data / name / "records.jsonl"
        if path.exists():
            for line in path.open(encoding="utf-8"):
                rec = json.loads(line)
                for key in ("sentence", "marked_sentence", "text"):
                    if isinstance(rec.get(key), str):
                        yield _TAG.sub("", rec[key])
                        break
    for path in (data / "case2021-task2" / "snippets.jsonl",
                 data / "conflibert-cameo" / "class.jsonl"):
        if path.exists():
            for line in path.open(encoding="utf-8"):
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    yield text
    for path in sorted((data / "re3d").glob("*/documents.json")):
        for line in path.open(encoding="utf-8"):
            line = line.strip()
            if line.startswith("{"):
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    yield text
    for path in sorted((data / "crossner-politics").glob("*.txt")):
        words = [ln.split("\t")[0] for ln in path.open(encoding="utf-8") if "\t" in ln]
        for i in range(0, len(words), 200):
            yield " ".join(words[i:i + 200])


def _knowledge_names() -> Iterator[str]:
    try:
        from detente.api import knowledge
    except ImportError:  # pragma: no cover - run outside the venv
        return
    kb = knowledge()
    for f in kb.files:
        for entry in f.entries.values() if isinstance(f.entries, dict) else f.entries:
            values = entry.values() if isinstance(entry, dict) else vars(entry).values() \
                if hasattr(entry, "__dict__") else ()
            for v in values:
                if isinstance(v, str) and any(c.isupper() for c in v):
                    yield v
                elif isinstance(v, list | tuple):
                    yield from (x for x in v if isinstance(x, str) and any(
                        c.isupper() for c in x))


def _wordnet() -> set[str]:
    try:
        import spacy

        from detente.nlp import model_name

        nlp = spacy.load(model_name(), exclude=["parser", "ner", "tagger", "senter",
                                                "attribute_ruler", "tok2vec"])
        tables = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
        return {w for words in tables.values() for w in words if "_" not in w}
    except Exception:  # noqa: BLE001 - no model: fall back to the cased counts only
        return set()


@dataclass
class Truecaser:
    """Unigram truecaser: lower-case word -> its most frequent cased spelling."""

    best: dict[str, str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, data: Path = DATA) -> Truecaser:
        counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        for text in _cased_texts(data):
            for sent in re.split(r"(?<=[.!?])\s+", text):
                for i, m in enumerate(_WORD.finditer(sent)):
                    w = m.group(0)
                    if i == 0 or w.isupper() and len(w) > 6:
                        continue  # sentence starts and shouted words say nothing
                    counts[w.lower()][w] += 1
        for name in _knowledge_names():
            for m in _WORD.finditer(name):
                w = m.group(0)
                if w[0].isupper():
                    counts[w.lower()][w] += 3
        known = _wordnet()
        best = {}
        for low, c in counts.items():
            form, n = c.most_common(1)[0]
            # a dictionary word keeps lower case unless it is capitalised three times in
            # four ("Monday", "Salvadoran"); not "State", "Committee", "New"
            if low in known and form != low and n < 0.75 * sum(c.values()):
                form = low
            best[low] = form
        return cls(best=best, known=known)

    def word(self, w: str) -> str:
        low = w.lower()
        if low in self.best:
            return self.best[low]
        parts = low.split("-")
        if len(parts) > 1:
            return "-".join(self.word(p) if p else p for p in parts)
        stem = low.removesuffix("'s")
        if stem in self.known or stem.rstrip("s") in self.known or _inflected(stem, self.known):
            return low
        if w.isupper() and 2 <= len(stem) <= 5 and sum(c in "aeiouy" for c in stem) <= 1:
            return w  # acronyms (FMLN, ELN) in upper-case sources
        return low[:1].upper() + low[1:]

    def __call__(self, text: str) -> str:
        parts: list[str] = []
        pos, after_name = 0, False
        for m in _WORD.finditer(text):
            gap, w = text[pos:m.start()], self.word(m.group(0))
            low = w.lower()
            if (after_name and not gap.strip() and w == low and low not in self.best
                    and low in self.known):
                # a dictionary word never seen in the cased text right after a name is
                # the name's next part ("Luis Carlos GALAN"), not the dictionary word
                w = low[:1].upper() + low[1:]
            after_name = w[:1].isupper() and (low not in self.known
                                              or self.best.get(low, "")[:1].isupper())
            parts += (gap, w)
            pos = m.end()
        out = "".join(parts) + text[pos:]
        # capitalise sentence starts (after . ! ? or a blank line, and the text start)
        return re.sub(r"(^|[.!?][\"\u201d']?\s+|\n\s*)([a-z])",
                      lambda m: m.group(1) + m.group(2).upper(), out)


def _inflected(w: str, known: set[str]) -> bool:
    for suffix, repl in (("ies", "y"), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e"), ("ly", ""), ("ers", ""), ("er", ""), ("ied", "y")):
        if w.endswith(suffix) and w[: -len(suffix)] + repl in known:
            return True
    return bool(re.match(r".*(.)\1(ed|ing)$", w)) and w[:-3 if w.endswith("ing") else -2
                                                         ][:-1] in known


# -- readers ----------------------------------------------------------------------------

MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                      "SEP", "OCT", "NOV", "DEC"), start=1)}
_DATELINE = re.compile(r"^\s*(?P<place>[^,\n]+(?:,[^,\n(]+)?),\s*(?:(?P<d>\d{1,2})\s+"
                       r"(?P<m>[A-Z]{3})[A-Z]*|(?P<m2>[A-Z]{3})[A-Z]*\s+(?P<d2>\d{1,2}))\s+"
                       r"(?P<y>\d{2,4})\s*(?:\((?P<src>[^)]*)\))?[^-]*--", re.S)


def muc_dateline(text: str) -> tuple[date, str, str] | None:
    """``(date, place, agency)`` from a MUC report's first line, or None."""
    m = _DATELINE.match(text)
    month, dom = (m["m"] or m["m2"], m["d"] or m["d2"]) if m else ("", "")
    if not m or month not in MONTHS:
        return None
    year = int(m["y"])
    year += 1900 if year < 100 else 0
    try:
        day = date(year, MONTHS[month], int(dom))
    except ValueError:
        return None
    return day, " ".join(m["place"].split()), " ".join((m["src"] or "").split())


def muc_body(text: str) -> str:
    """The report after its dateline and leading ``[REPORT] [TEXT]`` style tags."""
    body = text.split("--", 1)[1] if "--" in text else text
    body = re.sub(r"^\s*(\[[^\]]*\]\s*)+", "", body)
    return re.sub(r"[ \t]*\n[ \t]*(?!\s*\n)", " ", body).strip()  # unwrap lines, keep paras


def read_muc(data: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (data / "muc34" / "muc34.jsonl").open(
        encoding="utf-8")]


def muc_articles(docs: Iterable[dict[str, Any]], truecase: Truecaser) -> Iterator[dict[str, Any]]:
    for d in docs:
        head = muc_dateline(d["text"])
        if head is None:
            continue
        day, place, agency = head
        body = truecase(muc_body(d["text"]))
        yield {"id": f"muc:{d['id']}", "date": day.isoformat(),
               "title": f"{truecase(place)}, {day.isoformat()}",
               "text": body, "publisher": truecase(agency) if agency else "FBIS"}


def ipe_articles(data: Path, truecase: Truecaser) -> Iterator[dict[str, Any]]:
    for line in (data / "india-police-events" / "metadata.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        text = fix_mojibake(rec["full_text"])
        text = re.sub(r"^This story is from [A-Za-z]+ \d+, \d{4}\s*", "", text)
        # "lucknow: the ..." -> dateline city, then the story
        m = re.match(r"^([a-z .]+):\s*", text)
        place = m.group(1).strip() if m else ""
        yield {"id": f"ipe:{rec['doc_id']}", "date": rec["date"],
               "title": truecase(place).strip() if place else "",
               "text": truecase(text[m.end():] if m else text),
               "publisher": "Times of India", "url": rec.get("url", "")}


# -- the dedup gold set -------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]+)"')
_MUC_DATE = re.compile(r"(\d{1,2})\s+([A-Z]{3})\s+(\d{2})")


@dataclass
class Template:
    doc: str
    n: int
    type: str
    lo: date | None
    hi: date | None
    country: str
    names: tuple[str, ...]


def _slot(slots: dict[str, list[str]], key: str) -> list[str]:
    return [v for v in slots.get(key, []) if v.strip() not in {"-", "*"}]


def _dates(value: str) -> tuple[date | None, date | None] | None:
    found = []
    for d, m, y in _MUC_DATE.findall(value):
        if m in MONTHS:
            with contextlib.suppress(ValueError):
                found.append(date(1900 + int(y), MONTHS[m], int(d)))
    if not found:
        return None
    if value.strip().startswith("-") and len(found) == 1:
        return None, found[0]  # "- 05 OCT 89": some time before that day
    return min(found), max(found)


def templates(docs: Iterable[dict[str, Any]]) -> list[Template]:
    out = []
    for d in docs:
        for i, t in enumerate(d["templates"]):
            s = t["slots"]
            types = _slot(s, "INCIDENT: TYPE")
            kind = types[0].split("/")[0].strip(" ?") if types else ""
            dates = next((x for x in map(_dates, _slot(s, "INCIDENT: DATE")) if x), None)
            loc = _slot(s, "INCIDENT: LOCATION")
            country = loc[0].split(":")[0].split("/")[0].strip(" ?") if loc else ""
            names = tuple(sorted({n.strip() for v in _slot(s, "HUM TGT: NAME")
                                  for n in _QUOTED.findall(v)}))
            out.append(Template(doc=d["id"], n=i, type=kind,
                                lo=dates[0] if dates else None,
                                hi=dates[1] if dates else None, country=country,
                                names=names))
    return out


def _same_person(a: str, b: str) -> bool:
    ta, tb = a.split(), b.split()
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if not set(short) <= set(long_):
        return False
    return len(short) >= 2 or len(short[0]) >= 6


SLACK = timedelta(days=2)


@dataclass
class Incident:
    """One real-world incident: its dated templates, and every report that mentions it."""

    templates: list[Template]
    docs: set[str]

    @property
    def lo(self) -> date:
        return min(t.lo for t in self.templates if t.lo)

    def core_names(self) -> set[str]:
        """Targets named by two templates or more when it has three or more (a name a
        single key lists, such as a victim of an earlier attack, is not its identity)."""
        counts = collections.Counter(n for t in self.templates for n in set(t.names))
        need = 2 if len(self.templates) >= 3 else 1
        return {n for n, c in counts.items() if c >= need}


def gold_incidents(tpls: list[Template]) -> list[Incident]:
    """Group templates (of any reports) that describe one real-world incident.

    1. Two *dated* templates are one incident when they have the same incident type and
       country, a named human target in common (one name's words within the other's:
       "ELLACURIA" and "IGNACIO ELLACURIA"; a single word needs six letters) and dates
       that overlap or lie at most two days apart (reports of a night-time killing give
       either day); incidents are the connected groups.
    2. A template dated only "before day X" ("- 05 OCT 89": a report recalling an
       incident) makes its report a member, for each of its named targets, of the latest
       incident of that target (same type and country, a core name in common) that began
       on or before X. It joins incidents; it never merges them.
    3. Templates without a named target are not matched at all, so the gold is
       conservative (docs/dedup.md discusses what that means for the figures).

    Only incidents reported by two reports or more are returned.
    """
    parent = list(range(len(tpls)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def same_target(a: Iterable[str], b: Iterable[str]) -> bool:
        return any(_same_person(x, y) for x in a for y in b)

    named = [i for i, t in enumerate(tpls) if t.names and t.type and t.hi is not None]
    dated = [i for i in named if tpls[i].lo is not None]
    for x, i in enumerate(dated):
        for j in dated[x + 1:]:
            a, b = tpls[i], tpls[j]
            assert a.lo and a.hi and b.lo and b.hi
            if (a.type == b.type and a.country == b.country
                    and a.lo <= b.hi + SLACK and b.lo <= a.hi + SLACK
                    and same_target(a.names, b.names)):
                parent[find(i)] = find(j)
    groups: dict[int, list[Template]] = collections.defaultdict(list)
    for i in dated:
        groups[find(i)].append(tpls[i])
    incidents = [Incident(templates=g, docs={t.doc for t in g}) for g in groups.values()]
    for t in (tpls[i] for i in named if tpls[i].lo is None):
        assert t.hi is not None
        for name in t.names:
            cands = [inc for inc in incidents
                     if inc.templates[0].type == t.type and inc.templates[0].country == t.country
                     and inc.lo <= t.hi and same_target([name], inc.core_names())]
            if cands:
                max(cands, key=lambda inc: inc.lo).docs.add(t.doc)
    return [inc for inc in incidents if len(inc.docs) > 1]


def shingle_jaccard(a: str, b: str, k: int = 5) -> float:
    wa, wb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    sa = {tuple(wa[i:i + k]) for i in range(len(wa) - k + 1)}
    sb = {tuple(wb[i:i + k]) for i in range(len(wb) - k + 1)}
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def copy_groups(articles: list[dict[str, Any]], threshold: float = 0.8) -> list[list[str]]:
    """Groups of articles whose bodies share at least ``threshold`` of their word
    5-shingles (exact Jaccard over all pairs that share a rare word, not MinHash)."""
    index: dict[str, set[int]] = collections.defaultdict(set)
    words = [set(re.findall(r"\w+", a["text"].lower())) for a in articles]
    df = collections.Counter(w for ws in words for w in ws)
    for i, ws in enumerate(words):
        for w in sorted(ws, key=lambda w: (df[w], w))[:8]:
            index[w].add(i)
    parent = list(range(len(articles)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    seen: set[tuple[int, int]] = set()
    for members in index.values():
        ms = sorted(members)
        for x, i in enumerate(ms):
            for j in ms[x + 1:]:
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                if shingle_jaccard(articles[i]["text"], articles[j]["text"]) >= threshold:
                    parent[find(i)] = find(j)
    groups: dict[int, list[str]] = collections.defaultdict(list)
    for i, a in enumerate(articles):
        groups[find(i)].append(a["id"])
    return [sorted(g) for g in groups.values() if len(g) > 1]


AGENCIES = ("Wire Service A", "Wire Service B", "Regional Daily", "Evening Bulletin")
COPY_KINDS = ("dateline and credit line", "last paragraph cut", "paragraphs reordered",
              "first paragraph cut")


def republish(article: dict[str, Any], n: int) -> tuple[dict[str, Any], str]:
    """A synthetic re-publication of ``article`` (the ``n``-th): another outlet's copy with
    one of the edits outlets make (:data:`COPY_KINDS`, in turn)."""
    paras = [p.strip() for p in article["text"].split("\n") if p.strip()]
    kind = COPY_KINDS[n % len(COPY_KINDS)]
    agency = AGENCIES[n % len(AGENCIES)]
    if kind == "last paragraph cut" and len(paras) > 2:
        paras = paras[:-1]
    elif kind == "paragraphs reordered" and len(paras) > 2:
        paras = [paras[0], *paras[2:], paras[1]]
    elif kind == "first paragraph cut" and len(paras) > 2:
        paras = paras[1:]
    else:
        kind = COPY_KINDS[0]
        place = article["title"].split(",")[0]
        paras = [f"{place} ({agency}) - {paras[0]}", *paras[1:],
                 f"(Distributed by {agency}.)"]
    copy = {**article, "id": article["id"] + "~copy", "title": f"{article['title']} ({agency})",
            "text": "\n".join(paras), "publisher": agency}
    return copy, kind


def build_dedup_gold(out: Path, *, data: Path = DATA, limit_incidents: int | None = None,
                     distractors: int | None = None, copies: int = 40) -> dict[str, Any]:
    docs = [d for d in read_muc(data) if d["templates"]]
    tpls = templates(docs)
    incidents = sorted(gold_incidents(tpls), key=lambda g: (-len(g.docs), min(g.docs)))
    keep_docs = {d["id"] for d in docs}
    if limit_incidents is not None:
        incidents = incidents[:limit_incidents]
        keep_docs = {doc for g in incidents for doc in g.docs}
        others = [d["id"] for d in docs if d["id"] not in keep_docs]
        keep_docs |= set(others[: distractors or 0])
    truecase = Truecaser.build(data)
    articles = list(muc_articles((d for d in docs if d["id"] in keep_docs), truecase))
    # synthetic re-publications of every k-th report in an incident (and of others)
    in_incident = sorted({f"muc:{doc}" for g in incidents for doc in g.docs})
    step = max(1, len(in_incident) // copies) if copies else 0
    originals = set(in_incident[::step][:copies]) if copies else set()
    made: list[tuple[str, str, str]] = []
    for a in list(articles):
        if a["id"] in originals:
            copy, kind = republish(a, len(made))
            articles.append(copy)
            made.append((a["id"], copy["id"], kind))
    kept = {a["id"] for a in articles}
    copy_of = {c: o for o, c, _ in made}
    groups = copy_groups([a for a in articles if a["id"] not in copy_of])
    out.mkdir(parents=True, exist_ok=True)
    with (out / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    with (out / "events.jsonl").open("w", encoding="utf-8") as fh:
        for n, g in enumerate(incidents, start=1):
            members = {f"muc:{doc}" for doc in g.docs} & kept
            members = sorted(members | {c for c, o in copy_of.items() if o in members})
            if len(members) < 2:
                continue
            first = g.templates[0]
            fh.write(json.dumps({
                "id": f"muc-incident-{n:03d}", "articles": members, "type": first.type,
                "country": first.country, "targets": sorted(g.core_names()),
                "date": g.lo.isoformat(),
                "templates": sorted(f"{t.doc}#{t.n + 1}" for t in g.templates)}) + "\n")
        # two copies of one report report the same incidents, named targets or not
        for n, g in enumerate(groups, start=1):
            fh.write(json.dumps({"id": f"muc-copies-{n:03d}", "articles": g,
                                 "note": "copies of one report"}) + "\n")
    with (out / "copies.jsonl").open("w", encoding="utf-8") as fh:
        for n, g in enumerate(groups, start=1):
            fh.write(json.dumps({"id": f"muc-copies-{n:03d}", "articles": g,
                                 "kind": "found: 5-shingle Jaccard >= 0.8"}) + "\n")
        for n, (orig, copy, kind) in enumerate(made, start=1):
            fh.write(json.dumps({"id": f"synthetic-copy-{n:03d}", "articles": [orig, copy],
                                 "kind": f"synthetic: {kind}"}) + "\n")
    meta = {
        "name": "muc34-incidents",
        "built_by": "python scripts/shared_corpus.py dedup-gold " + str(out)
        + (f" --limit-incidents {limit_incidents}" if limit_incidents is not None else "")
        + (f" --distractors {distractors}" if distractors else "")
        + (f" --copies {copies}" if copies != 40 else ""),
        "source": "../shared/data/muc34 (MUC-3/4 DEV, TST1, TST2 answer keys)",
        "event_types": ["ASSAULT", "COERCE"],
        "articles": len(articles),
        "incidents": sum(1 for _ in (out / "events.jsonl").open()) - len(groups),
        "copy_groups": len(groups) + len(made), "synthetic_copies": len(made),
        "method": "docs/dedup.md",
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def write_corpus(out: Path, *, sets: list[str], limit: int | None = None,
                 data: Path = DATA) -> int:
    truecase = Truecaser.build(data)
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for name in sets:
            items: Iterable[dict[str, Any]]
            if name == "ipe":
                items = ipe_articles(data, truecase)
            elif name == "muc":
                items = muc_articles(read_muc(data), truecase)
            else:
                raise SystemExit(f"unknown set {name!r}: use ipe, muc")
            for i, art in enumerate(items):
                if limit is not None and i >= limit:
                    break
                fh.write(json.dumps(art, ensure_ascii=False) + "\n")
                n += 1
    return n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus", help="dated articles as JSONL for detente ingest")
    c.add_argument("out", type=Path)
    c.add_argument("--sets", default="ipe,muc", help="comma-separated: ipe, muc")
    c.add_argument("--limit", type=int, default=None, help="at most N articles per set")
    g = sub.add_parser("dedup-gold", help="the dedup gold set for detente eval dedup")
    g.add_argument("out", type=Path)
    g.add_argument("--limit-incidents", type=int, default=None,
                   help="only the N most reported incidents (and their reports)")
    g.add_argument("--distractors", type=int, default=None,
                   help="with --limit-incidents: also N other reports")
    g.add_argument("--copies", type=int, default=40,
                   help="synthetic re-publications of N reports (0: none)")
    for p in (c, g):
        p.add_argument("--data", type=Path, default=DATA, help="the shared data directory")
    args = ap.parse_args(argv)
    if args.cmd == "corpus":
        n = write_corpus(args.out, sets=args.sets.split(","), limit=args.limit,
                         data=args.data)
        print(f"wrote {n} articles to {args.out}", file=sys.stderr)
    else:
        meta = build_dedup_gold(args.out, data=args.data,
                                limit_incidents=args.limit_incidents,
                                distractors=args.distractors, copies=args.copies)
        print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
