"""ingest: every input format, field maps, dates and ids."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from detente.errors import BadDate, EmptyText, MissingDate
from detente.ingest import (
    FieldMap,
    detect_format,
    html_fragment_text,
    parse_date,
    read,
    read_file,
    read_stream,
    read_text,
)
from detente.records import Article, Reject, content_hash

DATA = Path(__file__).parent / "data" / "ingest"
ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "2021-10-01-us-turkey-s400.txt"


def articles(items: object) -> list[Article]:
    return [x for x in items if isinstance(x, Article)]  # type: ignore[attr-defined]


def rejects(items: object) -> list[Reject]:
    return [x for x in items if isinstance(x, Reject)]  # type: ignore[attr-defined]


# -- dated text ---------------------------------------------------------------------


def test_ingest_example_article_is_read_as_dated_text() -> None:
    (art,) = list(read([EXAMPLE]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 10, 1)
    assert art.title == "The US has urged Turkey not to purchase any more Russian weapons."
    # the headline is coded: it is the first paragraph of the text
    assert art.text.startswith(art.title + "\n\nFollowing US countermeasures")
    assert art.text.endswith("“not gotten off to a good start.”")
    assert "date 2021" not in art.text
    assert art.source == str(EXAMPLE)
    assert art.id == content_hash(art.text, title=art.title, published=art.published)


def test_ingest_dated_fixture_with_leading_space() -> None:
    (art,) = list(read([DATA / "dated.txt"]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 10, 1)
    assert art.title == "The minister urged the neighbours to talk."
    assert art.text.splitlines()[2] == (
        "The foreign minister of Greece met his Turkish counterpart on Friday."
    )


def test_ingest_dated_title_kept_out_of_text_when_asked() -> None:
    (art,) = list(read([EXAMPLE], title_in_text=False))
    assert isinstance(art, Article)
    assert art.text.startswith("Following US countermeasures")
    assert art.title.startswith("The US has urged Turkey")


def test_ingest_all_bundled_examples_are_dated_articles() -> None:
    items = list(read([ROOT / "examples"]))
    arts = articles(items)
    assert not rejects(items)
    assert len(arts) >= 7
    for art in arts:
        assert art.source.endswith(".txt")
        # every example's file name starts with its publication date
        assert Path(art.source).name.startswith(art.published.isoformat())
        assert art.title and art.text.startswith(art.title)


@pytest.mark.parametrize(
    ("first_line", "code"),
    [
        ("date 2021-02-30 Impossible day", "E105"),
        ("date 2021-13-01 Impossible month", "E105"),
        ("DATE 2021-10-01 Upper case keyword", None),
        ("date 20211001 Compact date", None),
        ("\tdate 2021-10-01\tTab separated", None),
    ],
)
def test_ingest_dated_first_line_variants(tmp_path: Path, first_line: str,
                                          code: str | None) -> None:
    f = tmp_path / "story.txt"
    f.write_text(f"{first_line}\n\nThe body of the story.\n", encoding="utf-8")
    (item,) = list(read([f]))
    if code is None:
        assert isinstance(item, Article)
        assert item.published == date(2021, 10, 1)
        assert item.text.endswith("The body of the story.")
    else:
        assert isinstance(item, Reject)
        assert (item.code, item.stage) == (code, "ingest")
        assert item.source == str(f)
        assert first_line in item.excerpt


def test_ingest_dated_format_forced_without_date_line_is_missing_date(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("No date line here.\n", encoding="utf-8")
    (item,) = list(read([f], fmt="dated"))
    assert isinstance(item, Reject) and item.code == "E104"


# -- plain text ---------------------------------------------------------------------


def test_ingest_plain_text_takes_date_from_file_name() -> None:
    (art,) = list(read([DATA / "2021-03-04-plain.txt"]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 3, 4)
    assert art.title == ""
    assert art.text.startswith("Officials in Ankara said on Monday")


def test_ingest_plain_text_date_option_is_the_fallback() -> None:
    (rej,) = list(read([DATA / "nodate.txt"]))
    assert isinstance(rej, Reject) and rej.code == "E104"
    (art,) = list(read([DATA / "nodate.txt"], date=date(2020, 1, 2)))
    assert isinstance(art, Article) and art.published == date(2020, 1, 2)
    # a date the input gives wins over the option
    (named,) = list(read([DATA / "2021-03-04-plain.txt"], date=date(2020, 1, 2)))
    assert isinstance(named, Article) and named.published == date(2021, 3, 4)


def test_ingest_file_name_with_impossible_date_is_bad_date(tmp_path: Path) -> None:
    f = tmp_path / "2021-02-30-story.txt"
    f.write_text("Some text.", encoding="utf-8")
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject) and rej.code == "E105"


# -- JSONL / JSON / CSV / TSV -------------------------------------------------------


def test_ingest_jsonl_good_and_bad_lines() -> None:
    items = list(read([DATA / "articles.jsonl"]))
    got = {x.source.rsplit(":", 1)[1]: (type(x).__name__, getattr(x, "code", "")) for x in items}
    assert got == {
        "1": ("Article", ""),
        "2": ("Article", ""),
        "4": ("Article", ""),
        "5": ("Reject", "E105"),
        "6": ("Reject", "E104"),
        "7": ("Reject", "E106"),
        "8": ("Reject", "E103"),
        "9": ("Reject", "E106"),
        "10": ("Reject", "E106"),
        "11": ("Article", ""),
    }
    first = items[0]
    assert isinstance(first, Article)
    assert first.title == "US warns Turkey"
    assert first.text == "US warns Turkey\n\nThe US warned Turkey on Friday."
    assert first.url == "https://example.org/1"
    assert first.publisher == "Example Wire"
    second = items[1]
    assert isinstance(second, Article)
    assert second.published == date(2021, 10, 2)  # local date of the ISO datetime
    bad = [x for x in items if isinstance(x, Reject)]
    assert all(r.stage == "ingest" and r.excerpt for r in bad)
    assert "wire-4" in bad[0].message and "2021-02-30" in bad[0].message


def test_ingest_jsonl_default_date_fills_only_missing_dates() -> None:
    items = list(read([DATA / "articles.jsonl"], date=date(2000, 1, 1)))
    by_line = {x.source.rsplit(":", 1)[1]: x for x in items}
    assert isinstance(by_line["6"], Article) and by_line["6"].published == date(2000, 1, 1)
    assert isinstance(by_line["5"], Reject) and by_line["5"].code == "E105"
    assert isinstance(by_line["1"], Article) and by_line["1"].published == date(2021, 10, 1)


def test_ingest_field_map_names_every_field() -> None:
    fields = FieldMap(id_field="doc_id", date_field="meta.published", title_field="headline",
                      text_field="body", url_field="link", publisher_field="outlet")
    a, b = list(read([DATA / "custom-fields.jsonl"], fields=fields))
    assert isinstance(a, Article) and isinstance(b, Article)
    assert (a.published, a.title, a.url, a.publisher) == (
        date(2022, 5, 16), "Talks in Geneva", "https://example.org/x1", "Example Times")
    assert a.text.endswith("Delegations met in Geneva.")
    assert b.published == date(2022, 5, 16)  # RFC 2822 date
    # with the default names the same file has no text field
    assert {r.code for r in rejects(read([DATA / "custom-fields.jsonl"]))} == {"E106"}
    assert not articles(read([DATA / "custom-fields.jsonl"]))


def test_ingest_field_map_for_csv(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("when,body,headline\n2021-05-01,Troops withdrew.,Withdrawal\n", encoding="utf-8")
    (art,) = list(read([f], fields=FieldMap(date_field="when", text_field="body",
                                            title_field="headline")))
    assert isinstance(art, Article)
    assert (art.published, art.title, art.text) == (
        date(2021, 5, 1), "Withdrawal", "Withdrawal\n\nTroops withdrew.")


def test_ingest_json_array_file(tmp_path: Path) -> None:
    f = tmp_path / "items.json"
    f.write_text('[{"date": "2021-01-01", "text": "One."}, {"text": "Two."}, 3]',
                 encoding="utf-8")
    items = list(read([f]))
    assert isinstance(items[0], Article) and items[0].source == f"{f}#1"
    assert [getattr(x, "code", "") for x in items] == ["", "E104", "E106"]


def test_ingest_csv_rows_and_line_numbers() -> None:
    items = list(read([DATA / "articles.csv"]))
    got = [(x.source.rsplit(":", 1)[1], x.code if isinstance(x, Reject) else "ok")
           for x in items]
    # c2 spans three physical lines (a quoted newline), so c3 starts on line 6
    assert got == [("2", "ok"), ("3", "ok"), ("6", "ok"), ("7", "E105"), ("8", "E106"),
                   ("9", "E106"), ("10", "E104")]
    multi = items[1]
    assert isinstance(multi, Article)
    assert "First paragraph.\n\nSecond paragraph" in multi.text


def test_ingest_tsv() -> None:
    a, b = list(read([DATA / "articles.tsv"]))
    assert isinstance(a, Article) and isinstance(b, Article)
    assert a.title == "Tab story" and a.text.endswith("Police arrested ten people.")
    assert b.title == "" and b.text == "A second tab story."


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_ingest_csv_delimiter_is_taken_from_the_header(tmp_path: Path, delimiter: str) -> None:
    f = tmp_path / "x.csv"
    f.write_text(f'date{delimiter}text\n2021-10-01{delimiter}"Talks, then a deal; done."\n',
                 encoding="utf-8")
    (art,) = list(read([f]))
    assert isinstance(art, Article) and art.text == "Talks, then a deal; done."


def test_ingest_csv_without_text_column_is_one_reject(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("id,date,body\n1,2021-01-01,hello\n2,2021-01-02,world\n", encoding="utf-8")
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject)
    assert rej.code == "E106" and "'text'" in rej.message and rej.source == f"{f}:1"


# -- HTML ---------------------------------------------------------------------------


def test_ingest_html_main_text_and_metadata() -> None:
    (art,) = list(read([DATA / "page.html"]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 9, 30)
    assert art.title == "Minister visits Ankara"
    assert art.url == "https://news.example.org/2021/09/30/minister-visits"
    assert art.publisher == "Example News"
    assert "met his Turkish counterpart in Ankara" in art.text
    assert "continue the talks next month" in art.text
    for junk in ("MUST_NOT_APPEAR", "console.log", "color: red", "Home", "Copyright"):
        assert junk not in art.text
    assert art.text.count("Minister visits Ankara") == 1


def test_ingest_html_without_date_uses_file_name_then_option(tmp_path: Path) -> None:
    (art,) = list(read([DATA / "2022-01-15-page-nodate.html"]))
    assert isinstance(art, Article) and art.published == date(2022, 1, 15)
    f = tmp_path / "page.html"
    f.write_bytes((DATA / "2022-01-15-page-nodate.html").read_bytes())
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject) and rej.code == "E104"
    (opt,) = list(read([f], date=date(2022, 2, 2)))
    assert isinstance(opt, Article) and opt.published == date(2022, 2, 2)


def test_ingest_html_in_declared_charset(tmp_path: Path) -> None:
    html = ("<html><head><meta charset='iso-8859-1'><title>Caf\xe9</title>"
            "<meta property='article:published_time' content='2021-04-01'></head><body>"
            "<article><p>The minister met the press at a caf\xe9 in Paris on Thursday "
            "and said that the negotiations with the union would continue next week.</p>"
            "</article></body></html>")
    f = tmp_path / "latin.html"
    f.write_bytes(html.encode("latin-1"))
    (art,) = list(read([f]))
    assert isinstance(art, Article)
    assert "café in Paris" in art.text


def test_ingest_html_with_no_main_text_is_empty(tmp_path: Path) -> None:
    f = tmp_path / "2021-01-01-empty.html"
    f.write_text("<html><head><script>var x = 1;</script></head><body></body></html>",
                 encoding="utf-8")
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject) and rej.code == "E103"


# -- feeds --------------------------------------------------------------------------


def test_ingest_rss_entries() -> None:
    items = list(read([DATA / "feed.rss"]))
    assert [x.source.rsplit("#", 1)[1] for x in items] == ["1", "2", "3"]
    first, undated, third = items
    assert isinstance(first, Article)
    assert first.title == "Talks resume in Vienna"
    assert first.text == "Talks resume in Vienna\n\nDiplomats resumed talks in Vienna.\n\n" \
                         "A second paragraph."
    assert "FEED_SCRIPT" not in first.text
    assert first.url == "https://example.org/a"
    assert first.publisher == "Example Wire"
    # the date as written (23:30 at -04:00 is still 1 October), not converted to UTC
    assert first.published == date(2021, 10, 1)
    assert isinstance(undated, Reject) and undated.code == "E104"
    assert "No date here" in undated.excerpt
    assert isinstance(third, Article) and third.published == date(2021, 10, 2)


def test_ingest_atom_entry_prefers_content_over_summary() -> None:
    (art,) = list(read([DATA / "feed.atom"]))
    assert isinstance(art, Article)
    assert art.published == date(2021, 10, 1)
    assert art.url == "https://example.org/atom/1"
    assert "European leaders met in Brussels on Friday." in art.text
    assert "They discussed energy prices." in art.text
    assert "p{}" not in art.text and "Short summary" not in art.text


def test_ingest_feed_that_is_not_xml_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "broken.rss"
    f.write_text("this is not a feed at all", encoding="utf-8")
    (rej,) = list(read([f]))
    assert isinstance(rej, Reject) and rej.code in {"E106", "E103"}


def test_ingest_feed_entry_with_title_only(tmp_path: Path) -> None:
    f = tmp_path / "headlines.rss"
    f.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>'
                 "<item><title>Army seizes airport</title>"
                 "<pubDate>Sat, 02 Oct 2021 10:00:00 GMT</pubDate></item></channel></rss>",
                 encoding="utf-8")
    (art,) = list(read([f]))
    assert isinstance(art, Article) and art.text == art.title == "Army seizes airport"
    (rej,) = list(read([f], title_in_text=False))
    assert isinstance(rej, Reject) and rej.code == "E103"


def test_ingest_jsonl_title_in_text_off() -> None:
    first = next(iter(read([DATA / "articles.jsonl"], title_in_text=False)))
    assert isinstance(first, Article)
    assert (first.title, first.text) == ("US warns Turkey", "The US warned Turkey on Friday.")


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("plain &amp; simple", "plain & simple"),
        ("<p>One</p><p>Two <b>bold</b></p>", "One\n\nTwo bold"),
        ("<div>a<script>evil()</script>b</div>", "ab"),
        ("<style>p{color:red}</style><p>Text</p>", "Text"),
        ("line<br>break", "line\n\nbreak"),
    ],
)
def test_ingest_html_fragment_text(fragment: str, expected: str) -> None:
    assert html_fragment_text(fragment) == expected


# -- strings, streams, dates, detection ---------------------------------------------


def test_ingest_read_text() -> None:
    art = read_text("Russia and China signed a deal.", date=date(2024, 5, 16), title="Deal")
    assert art.text == "Deal\n\nRussia and China signed a deal."
    assert art.source == "<text>"
    dated = read_text("date 2021-10-01 Headline here.\n\nBody.")
    assert (dated.published, dated.title) == (date(2021, 10, 1), "Headline here.")
    with pytest.raises(MissingDate):
        read_text("No date.")
    with pytest.raises(EmptyText):
        read_text("  \n ", date=date(2021, 1, 1))
    with pytest.raises(BadDate):
        read_text("date 2021-02-29 Not a leap year.\n\nBody.")


def test_ingest_same_story_twice_has_the_same_id() -> None:
    a = read_text("The  talks\nresumed.", date=date(2021, 1, 1))
    b = read_text("The talks resumed. ", date=date(2021, 1, 1))
    c = read_text("The talks resumed.", date=date(2021, 1, 2))
    assert a.id == b.id != c.id
    first = [x.id for x in articles(read([DATA]))]
    again = [x.id for x in articles(read([DATA]))]
    assert first == again and len(set(first)) == len(first)


def test_ingest_read_stream_uses_name_for_format() -> None:
    data = b'{"date": "2021-01-01", "text": "Hello."}\n'
    (art,) = list(read_stream(io.BytesIO(data), name="upload.jsonl"))
    assert isinstance(art, Article) and art.source == "upload.jsonl:1"


def test_ingest_read_file() -> None:
    (art,) = list(read_file(DATA / "dated.txt"))
    assert isinstance(art, Article)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-10-01", date(2021, 10, 1)),
        ("2021-1-5", date(2021, 1, 5)),
        ("20211001", date(2021, 10, 1)),
        (20211001, date(2021, 10, 1)),
        ("2021-10-01T23:30:00-04:00", date(2021, 10, 1)),
        ("2021-10-01T10:00:00Z", date(2021, 10, 1)),
        ("2021-10-01 10:00:00", date(2021, 10, 1)),
        ("Fri, 01 Oct 2021 23:30:00 -0400", date(2021, 10, 1)),
        (" 2021-10-01 ", date(2021, 10, 1)),
    ],
)
def test_ingest_parse_date_accepts(value: object, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["2021-02-30", "2021-02-29", "20210230", "2021-13-01", "2021-00-10", "yesterday",
     "2021-10", "", "2021-02-30T10:00:00", "01/10/2021", None, 3.5, True],
)
def test_ingest_parse_date_rejects(value: object) -> None:
    with pytest.raises(BadDate):
        parse_date(value)


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("a.txt", b"Plain text.", "text"),
        ("a.txt", b" date 2021-10-01 Headline", "dated"),
        ("a.txt", b"\xef\xbb\xbfdate 2021-10-01 Headline", "dated"),
        ("a.txt", b"date night was fun", "text"),
        ("a.jsonl", b"{}", "jsonl"),
        ("a.ndjson", b"{}", "jsonl"),
        ("a.json", b"[]", "jsonl"),
        ("a.csv", b"", "csv"),
        ("a.tsv", b"", "tsv"),
        ("a.HTML", b"", "html"),
        ("a.htm", b"", "html"),
        ("a.xml", b"", "feed"),
        ("a.rss", b"", "feed"),
        ("a.atom", b"", "feed"),
        ("a.xml", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "html"),
        ("a.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>html</title>',
         "feed"),
        ("", b"<!DOCTYPE html><html>", "html"),
        ("", b'<?xml version="1.0"?><rss version="2.0">', "feed"),
        ("", b'{"text": "x"}', "jsonl"),
        ("", b"date 2021-10-01 Headline", "dated"),
        ("notes", b"Just words.", "text"),
    ],
)
def test_ingest_detect_format(name: str, head: bytes, fmt: str) -> None:
    assert detect_format(name, head) == fmt


def test_ingest_fmt_option_overrides_detection(tmp_path: Path) -> None:
    f = tmp_path / "2021-06-01-data.jsonl"
    f.write_text('{"text": "not read as JSON"}', encoding="utf-8")
    (art,) = list(read([f], fmt="text"))
    assert isinstance(art, Article)
    assert art.text == '{"text": "not read as JSON"}' and art.published == date(2021, 6, 1)


@pytest.mark.parametrize(("title", "dateline"), [
    ("SAN SALVADOR, 3 JAN 90 (AFP) --", True), ("Bogota, 1989-08-20", True),
    ("Perth (Australia), June 11 89 (AFP) --", True), ("Kabul, 12 Jan", True),
    ("Erdogan, Putin meet in Sochi", False), ("Paris, France", False),
    ("Turkey buys S-400, 2019-07-12 deal", False), ("US warns Turkey", False),
])
def test_ingest_dateline_title_is_not_put_in_the_text(tmp_path: Path, title: str,
                                                      dateline: bool) -> None:
    import json

    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps({"title": title, "date": "1990-01-03",
                             "text": "Gunmen killed a judge."}) + "\n", encoding="utf-8")
    (art,) = list(read([f]))
    assert isinstance(art, Article)
    assert art.title == title
    assert art.text == ("Gunmen killed a judge." if dateline
                        else f"{title}\n\nGunmen killed a judge.")
