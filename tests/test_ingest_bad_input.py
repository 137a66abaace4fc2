"""ingest: bad input becomes a Reject with the right code, and the batch goes on."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from detente.ingest import read
from detente.records import Article, Reject

BODY = "The foreign ministers met in Vienna on Monday."
DATED = f"date 2021-10-01 Talks in Vienna.\n\n{BODY}\n"


def _codes(items: list[Article | Reject]) -> list[str]:
    return [x.code if isinstance(x, Reject) else "ok" for x in items]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("latin1.txt", DATED.replace("Vienna", "Zürich").encode("latin-1"), "E102"),
        ("cp1252.txt", DATED.encode() + "\u201cquoted\u201d".encode("cp1252"), "E102"),
        ("binary.txt", b"date 2021-10-01 x\n\n\x00\x01\x02\x03binary", "E107"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "E107"),
        ("binary.jsonl", b'{"a": 1}\n\x00\x00\x00', "E107"),
        ("utf16-no-bom.txt", "date 2021-10-01 x".encode("utf-16-le"), "E107"),
        ("empty.txt", b"", "E103"),
        ("blank.txt", b"  \n\t\n \r\n", "E103"),
        ("bom-only.txt", codecs.BOM_UTF8 + b"\n", "E103"),
        ("dated-empty.txt", b"date 2021-10-01\n\n   \n", "E103"),
        ("no-date.txt", BODY.encode(), "E104"),
        ("bad-date.txt", b"date 2021-02-29 Not a leap year.\n\nBody.", "E105"),
        ("empty.html", b"", "E103"),
        ("empty.rss", b"", "E103"),
        ("broken.jsonl", b'{"date": "2021-10-01", "text": ', "E106"),
        ("empty-feed.rss", b'<?xml version="1.0"?><rss version="2.0"><channel>'
                           b"<title>t</title></channel></rss>", "E103"),
    ],
)
def test_ingest_bad_file_is_rejected_and_batch_continues(
    tmp_path: Path, name: str, data: bytes, code: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(data)
    good1 = tmp_path / "good1.txt"
    good1.write_text(DATED, encoding="utf-8")
    good2 = tmp_path / "good2.txt"
    good2.write_text(DATED.replace("Monday", "Tuesday"), encoding="utf-8")
    items = list(read([good1, bad, good2]))
    assert _codes(items) == ["ok", code, "ok"]
    rej = items[1]
    assert isinstance(rej, Reject)
    assert rej.stage == "ingest"
    assert rej.source.startswith(str(bad))
    assert rej.message
    assert len(rej.excerpt) <= 300
    assert "\x00" not in rej.excerpt


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_ingest_accepted_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    f = tmp_path / "story.txt"
    f.write_bytes(prefix + DATED.replace("Vienna", "Zürich").encode(encoding))
    (art,) = list(read([f]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 10, 1)
    assert art.title == "Talks in Zürich."
    assert "\ufeff" not in art.text


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        (".jsonl", codecs.BOM_UTF16_LE + '{"date": "2021-10-01", "text": "Zürich."}\n'
         .encode("utf-16-le")),
        (".csv", codecs.BOM_UTF8 + "date,text\n2021-10-01,Zürich.\n".encode()),
        (".csv", codecs.BOM_UTF16_BE + "date,text\n2021-10-01,Zürich.\n".encode("utf-16-be")),
    ],
)
def test_ingest_records_in_bom_encodings(tmp_path: Path, suffix: str, data: bytes) -> None:
    f = tmp_path / f"rows{suffix}"
    f.write_bytes(data)
    (art,) = list(read([f]))
    assert isinstance(art, Article) and art.text == "Zürich."


def test_ingest_explicit_encoding_option(tmp_path: Path) -> None:
    f = tmp_path / "story.txt"
    f.write_bytes(DATED.replace("Vienna", "Zürich").encode("latin-1"))
    (art,) = list(read([f], encoding="latin-1"))
    assert isinstance(art, Article) and "Zürich" in art.title


def test_ingest_undecodable_line_in_jsonl_rejects_only_that_line(tmp_path: Path) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_bytes(b'{"date": "2021-10-01", "text": "One."}\n'
                  b'{"date": "2021-10-01", "text": "Z\xfcrich."}\n'
                  b'{"date": "2021-10-01", "text": "Three."}\n')
    items = list(read([f]))
    assert _codes(items) == ["ok", "E102", "ok"]
    assert items[1].source == f"{f}:2"
    assert "rich" in items[1].excerpt  # type: ignore[union-attr]


def test_ingest_lone_surrogate_escape_in_json_is_undecodable(tmp_path: Path) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_text('{"date": "2021-10-01", "text": "Bad \\ud83d escape."}\n'
                 '{"date": "2021-10-01", "text": "Good \\ud83d\\ude00 pair."}\n',
                 encoding="utf-8")
    items = list(read([f]))
    assert _codes(items) == ["E102", "ok"]
    assert items[1].text == "Good \U0001f600 pair."  # type: ignore[union-attr]


def test_ingest_undecodable_row_in_csv_rejects_only_that_row(tmp_path: Path) -> None:
    f = tmp_path / "rows.csv"
    f.write_bytes(b"date,text\n2021-10-01,One.\n2021-10-01,Z\xfcrich.\n2021-10-01,Three.\n")
    items = list(read([f]))
    assert _codes(items) == ["ok", "E102", "ok"]


def test_ingest_file_over_max_bytes_is_rejected(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("date 2021-10-01 Big.\n\n" + "word " * 1000, encoding="utf-8")
    small = tmp_path / "small.txt"
    small.write_text(DATED, encoding="utf-8")
    items = list(read([big, small], max_bytes=2000))
    assert _codes(items) == ["E108", "ok"]
    assert items[0].excerpt.startswith("date 2021-10-01 Big.")  # type: ignore[union-attr]


def test_ingest_record_over_max_bytes_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "rows.jsonl"
    long_text = "word " * 500
    f.write_text(
        '{"date": "2021-10-01", "text": "Short."}\n'
        f'{{"date": "2021-10-01", "text": "{long_text}"}}\n'
        '{"date": "2021-10-01", "text": "Short again."}\n',
        encoding="utf-8",
    )
    items = list(read([f], max_bytes=500))
    assert _codes(items) == ["ok", "E108", "ok"]
    assert items[1].source == f"{f}:2"
    assert items[2].source == f"{f}:3"


def test_ingest_csv_row_over_max_bytes_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "rows.csv"
    f.write_text("date,text\n2021-10-01,Short.\n2021-10-01," + "x" * 900 + "\n2021-10-01,Ok.\n",
                 encoding="utf-8")
    assert _codes(list(read([f], max_bytes=500))) == ["ok", "E108", "ok"]


def test_ingest_malformed_jsonl_lines_do_not_stop_the_file(tmp_path: Path) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_text(
        '{"date": "2021-10-01", "text": "One."}\n'
        "{oops}\n"
        '"just a string"\n'
        '{"date": "2021-10-01", "text": 42}\n'
        '{"date": "2021-10-01", "text": "Two.", "title": ["not", "a", "string"]}\n'
        '{"date": 3.5, "text": "Float date."}\n'
        '{"date": "2021-10-01", "text": "Three."}\n',
        encoding="utf-8",
    )
    assert _codes(list(read([f]))) == ["ok", "E106", "E106", "E106", "E106", "E105", "ok"]


def test_ingest_reject_excerpt_is_bounded(tmp_path: Path) -> None:
    f = tmp_path / "nodate.txt"
    f.write_text("x" * 5000, encoding="utf-8")
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject) and rej.code == "E104"
    assert rej.excerpt == "x" * 300


def test_ingest_control_characters_are_cleaned(tmp_path: Path) -> None:
    f = tmp_path / "story.txt"
    f.write_bytes(b"date 2021-10-01 Head\xe2\x80\x8eline.\r\n\r\nOne\x0ctwo.\rThree.\r\n")
    (art,) = list(read([f]))
    assert isinstance(art, Article)
    assert art.title == "Headline."
    assert art.text == "Headline.\n\nOne two.\nThree."
