"""Hostile and broken inputs: each is rejected with a clear code and reason, or handled;
nothing crashes or hangs, and the rest of the batch is stored.

Hand-made files live in ``tests/data/hostile/`` (listed with the expected outcome in its
README); enormous and dangerous ones (50 MB articles and lines, decompression bombs, deep
JSON, symlink loops, a FIFO) are generated into a temporary directory at test time.
"""

from __future__ import annotations

import gzip
import os
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest

from conftest import has_model
from detente import api
from detente.errors import CodingTimeout
from detente.guard import check_article, language_problem, time_limit
from detente.ingest import MAX_RATIO, read
from detente.records import Article, Reject
from detente.store import Store

HOSTILE = Path(__file__).parent / "data" / "hostile"
MB = 1024 * 1024

READER_EXPECTED: dict[str, list[str]] = {
    "2021-02-29-bad-name-date.txt": ["E105"],
    "billion-laughs.rss": ["ok"],  # entities are not expanded
    "binary.txt": ["E107"],
    "bom-only.txt": ["E103"],
    "empty.txt": ["E103"],
    "whitespace.txt": ["E103"],
    "invalid-utf8.txt": ["E102"],
    "latin1.txt": ["E102"],
    "utf16-bom.txt": ["ok"],
    "utf16-no-bom.txt": ["E107"],
    "truncated.jsonl": ["E106"],
    "truncated-array.json": ["E106"],
    "not-objects.jsonl": ["E106"] * 4,
    "wrong-columns.csv": ["E106"],
    "ragged-columns.csv": ["E106", "E106"],
    "impossible-dates.jsonl": ["E105"] * 5,
    "missing-date.txt": ["E104"],
    "french.txt": ["ok"],  # read; the language guard rejects it before coding
    "chinese.txt": ["ok"],
    "declared-german.jsonl": ["ok"],
    "script.html": ["ok"],
    "only-script.html": ["E103"],
    "not-gzip.jsonl.gz": ["E434"],
    "not-a-zip.zip": ["E434"],
    "truncated.jsonl.gz": ["E434"],
    "good.txt": ["ok"],
    "good.jsonl": ["ok"],
}
GUARD_EXPECTED = {"french.txt": "E431", "chinese.txt": "E431",
                  "declared-german.jsonl:1": "E431"}


def _codes(items: list[Article | Reject]) -> list[str]:
    return [x.code if isinstance(x, Reject) else "ok" for x in items]


def test_hostile_corpus_is_complete() -> None:
    names = {p.name for p in HOSTILE.iterdir() if p.name != "README.md"}
    assert names == set(READER_EXPECTED)
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert all(f"`{n}`" in readme for n in names)


@pytest.mark.parametrize("name", sorted(READER_EXPECTED))
def test_hostile_file_is_read_or_rejected_with_its_code(name: str) -> None:
    items = list(read([HOSTILE / name]))
    assert _codes(items) == READER_EXPECTED[name]
    for it in items:
        if isinstance(it, Reject):
            assert it.message and it.source.startswith(str(HOSTILE / name))
            assert len(it.excerpt) <= 300 and "\x00" not in it.excerpt


def test_hostile_html_scripts_never_reach_the_text() -> None:
    (art,) = list(read([HOSTILE / "script.html"]))
    assert isinstance(art, Article)
    assert "Russia urged Turkey" in art.text
    for bad in ("alert", "<script", "document.write", "onerror", "javascript:", "<img"):
        assert bad not in art.text


def test_hostile_entities_are_not_expanded() -> None:
    (art,) = list(read([HOSTILE / "billion-laughs.rss"]))
    assert isinstance(art, Article) and len(art.text) < 1000


# -- generated: enormous, compressed, nested, linked ---------------------------------------


def _bad_dir(root: Path) -> Path:
    """The generated hostile inputs, with a good article in the middle."""
    d = root / "gen"
    d.mkdir()
    big = b"Russia urged Turkey to stop. " * (50 * MB // 29 + 1)
    (d / "a-50mb-article.txt").write_bytes(b"date 2021-10-01 Enormous\n\n" + big)
    (d / "b-50mb-line.jsonl").write_bytes(
        b'{"date": "2021-10-01", "text": "' + b"x" * (50 * MB) + b'"}\n'
        b'{"date": "2021-10-01", "text": "China met Brazil after the enormous line."}\n')
    (d / "c-long-no-newline.txt").write_bytes(
        b"date 2021-10-01 Long line\n\n" + b"word " * (600_000))  # 3 MB, one line
    (d / "d-deep.jsonl").write_text(
        '{"date": "2021-10-01", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
        '{"date": "2021-10-01", "text": "Iran met Iraq after the deep line."}\n',
        encoding="utf-8")
    (d / "e-deep-array.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with gzip.open(d / "f-bomb.jsonl.gz", "wb") as gz:
        for _ in range(100):
            gz.write(b"a" * MB)  # 100 MB of one letter: ~100 KB compressed
    with zipfile.ZipFile(d / "g-bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.jsonl", b" " * (100 * MB))
        zf.writestr("2021-10-01-fine.txt", b"Egypt hosted talks with Israel on Friday.")
        zf.writestr("nested.zip", b"PK\x03\x04")
    (d / "h-good.txt").write_text("date 2021-10-01 Talks\n\nJapan signed a trade agreement "
                                  "with India on Monday.\n", encoding="utf-8")
    loops = d / "i-loops"
    loops.mkdir()
    (loops / "self").symlink_to(".")
    (loops / "up").symlink_to("..")
    (loops / "loop.txt").symlink_to("loop.txt")
    (loops / "dangling.txt").symlink_to("nowhere.txt")
    os.mkfifo(loops / "fifo.txt")  # would block forever if opened
    return d


GEN_EXPECTED = {
    "a-50mb-article.txt": "E108",
    "b-50mb-line.jsonl:1": "E108",
    "b-50mb-line.jsonl:2": "ok",
    "c-long-no-newline.txt": "ok",  # read; the size guard rejects it before coding
    "d-deep.jsonl:1": "E106",
    "d-deep.jsonl:2": "ok",
    "e-deep-array.json": "E106",
    "f-bomb.jsonl.gz": "E433",
    "g-bomb.zip!2021-10-01-fine.txt": "ok",
    "g-bomb.zip!huge.jsonl": "E433",
    "g-bomb.zip!nested.zip": "E107",
    "h-good.txt": "ok",
    "i-loops/dangling.txt": "E101",
    "i-loops/loop.txt": "E101",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bad_dir(tmp_path_factory.mktemp("hostile"))


def test_hostile_generated_inputs_are_bounded(generated: Path) -> None:
    got = {}
    for it in read([generated]):
        rel = os.path.relpath(it.source, generated)
        got[rel] = it.code if isinstance(it, Reject) else "ok"
        if isinstance(it, Reject):
            assert it.message and len(it.excerpt) <= 300
    assert got == GEN_EXPECTED


def test_hostile_gzip_bomb_stops_early(generated: Path) -> None:
    (rej,) = list(read([generated / "f-bomb.jsonl.gz"]))
    assert isinstance(rej, Reject) and rej.code == "E433"
    assert f"{MAX_RATIO} times" in rej.message


def test_hostile_gzip_and_zip_are_read(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "rows.csv.gz", "wb") as gz:
        gz.write(b"date,text\n2021-10-01,One.\n2021-10-02,Two.\n")
    with zipfile.ZipFile(tmp_path / "batch.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b/rows.jsonl", b'{"date": "2021-10-03", "text": "Three."}\n')
        zf.writestr("a/2021-10-04-story.txt", b"Four.")
        zf.writestr("README.md", b"not an article")
    items = list(read([tmp_path]))
    assert [(os.path.relpath(i.source, tmp_path), i.text) for i in items] == [
        ("batch.zip!a/2021-10-04-story.txt", "Four."),
        ("batch.zip!b/rows.jsonl:1", "Three."),
        ("rows.csv.gz:2", "One."), ("rows.csv.gz:3", "Two.")]
    assert items[0].published == date(2021, 10, 4)


# -- guards -------------------------------------------------------------------------------


def _article(text: str, **kw: str) -> Article:
    return Article(id="a", published=date(2021, 10, 1), text=text, source="s", **kw)


@pytest.mark.parametrize(("text", "language", "bad"), [
    ("Russia urged Turkey to stop.", "en", False),
    ("Kurz.", "de", True),
    ("Russia urged Turkey to stop.", "en-GB", False),
    ("Разговоры продолжаются. " * 10, "en", True),
    ("Les deux pays ont convenu de poursuivre les négociations sur la sécurité. " * 5, "en",
     True),
    ("The two countries agreed to continue talks on security and trade. " * 5, "en", False),
    ("Ok.", "en", False),
])
def test_guard_language(text: str, language: str, bad: bool) -> None:
    assert (language_problem(_article(text, language=language)) is not None) == bad


def test_guard_size() -> None:
    err = check_article(_article("word " * 100), max_chars=100)
    assert err is not None and err.code == "E430" and "500 characters" in err.message
    assert check_article(_article("The talks went on."), max_chars=100) is None


def test_guard_time_limit_stops_a_runaway() -> None:
    t0 = time.perf_counter()
    with pytest.raises(CodingTimeout), time_limit(0.2):
        while True:
            pass
    assert time.perf_counter() - t0 < 30
    with time_limit(0):  # no limit
        pass


def test_guard_timeout_becomes_a_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    from detente.records import ParsedArticle

    def slow(*a: object, **k: object) -> None:
        while True:
            pass

    def fake_parse(arts: object, **k: object) -> object:
        for a in arts:  # type: ignore[attr-defined]
            yield ParsedArticle(article=a, sentences=())

    monkeypatch.setattr(api, "code_parsed", slow)
    monkeypatch.setattr("detente.nlp.parse", fake_parse)
    good = _article("The two countries agreed to continue talks on security.")
    (rej,) = list(api.code_articles([good], kb=object(), max_seconds=0.2))  # type: ignore[arg-type]
    assert isinstance(rej, Reject) and rej.code == "E432" and rej.stage == "guard"


# -- end to end -----------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
def test_hostile_ingest_stores_the_good_and_rejects_the_rest(generated: Path,
                                                             tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    summary = api.ingest([HOSTILE, generated], db=db, max_chars=200_000)
    with Store(db, read_only=True) as store:
        rejects = {os.path.basename(r["source"]): r for r in store.rejects(limit=1000)}
        stored = {os.path.basename(a["source"]) for a in store.articles(limit=1000)}
    assert {"good.txt", "good.jsonl:1", "utf16-bom.txt", "script.html", "h-good.txt",
            "b-50mb-line.jsonl:2", "d-deep.jsonl:2", "g-bomb.zip!2021-10-01-fine.txt"} <= stored
    for name, code in {**GUARD_EXPECTED, "c-long-no-newline.txt": "E430"}.items():
        assert rejects[name]["code"] == code, rejects[name]
        assert rejects[name]["stage"] == "guard"
    assert all(r["code"] and r["message"] for r in rejects.values())
    assert summary.rejected == len(rejects)
    assert summary.articles == len(stored)


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_hostile_calendar_edges_are_coded(day: str) -> None:
    text = ("Russia attacked Ukraine yesterday and will meet Turkey tomorrow. "
            "Two years ago China signed a deal with Iran. Next decade is far away.")
    events = api.code(text, date=day)
    assert events and all(date.min <= e.date <= date.max for e in events)
