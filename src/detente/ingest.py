"""The ingest stage: files, directories, globs and stdin in, :class:`~detente.records.Article`
or :class:`~detente.records.Reject` out.

Formats (``fmt=``, else detected from the extension, then from the content):

``dated``
    Text whose first line is ``date YYYY-MM-DD Headline`` (leading blanks allowed), then
    the body. The headline becomes ``Article.title`` *and* the first paragraph of
    ``Article.text``: in wire copy the headline is a real sentence that often carries the
    main event, and only ``text`` is coded.
``text``
    Plain text. The publication date comes from a ``YYYY-MM-DD`` prefix of the file name
    (``2021-10-01-story.txt``), else from the ``date=`` option, else the file is rejected
    with :class:`~detente.errors.MissingDate`.
``jsonl`` / ``csv`` / ``tsv``
    One article per line / row, with the columns named by :class:`FieldMap`. A ``.json``
    file holding one JSON array of objects is read too. A CSV file's delimiter is ``,``
    unless its header line holds more ``;``, tabs or ``|``. Dates may be ``YYYY-MM-DD``,
    ``YYYYMMDD``, an ISO-8601 datetime or an RFC-2822 date; the date *as written* is kept
    (no conversion to UTC). These files are streamed, and ``max_bytes`` limits each record,
    not the file.
``html``
    Main text by trafilatura (offline), title/date/URL/site name from the page's
    metadata (see :mod:`detente.webtext`). Scripts and styles never reach the text. The
    date falls back to a ``YYYY-MM-DD`` file-name prefix, then to ``date=``.
``feed``
    RSS/Atom files parsed by feedparser from bytes (nothing is ever fetched); one article
    per entry: title, content or summary with HTML stripped, link, published date.

Directories are walked recursively in sorted order, skipping hidden names and files
whose extension is not in :data:`EXTENSIONS`; globs are expanded by detente itself.
Symlinked directories are followed once (a link loop ends there); a dangling or looping
link with a known extension is rejected with the reason.

Compressed inputs: ``NAME.EXT.gz`` is read as ``NAME.EXT``, and every member of a
``.zip`` with a known extension is read (sources ``archive.zip!member.jsonl``); an archive
inside an archive is not opened. Decompression is streamed and bounded: output beyond
:data:`MAX_RATIO` times the compressed bytes (plus :data:`RATIO_SLACK`) stops the input
with :class:`~detente.errors.DecompressionBomb`; corrupt, truncated or encrypted data is
rejected with :class:`~detente.errors.BadArchive`.

Everywhere the date the input gives wins; ``date=`` is only the fallback. When an article
has a title and its text does not already start with it, the title is put in front of the
text as its first paragraph (``title_in_text=False`` turns that off), so a headline is
always coded the same way whatever the format; a title that is only a dateline ("SAN
SALVADOR, 3 JAN 90 (AFP) --", "Bogota, 1989-08-20") is not (:func:`is_dateline`).

``Article.id`` is the content hash (:func:`~detente.records.content_hash`) of the text,
title and date, so reading the same story twice gives the same id. An id given by the
input (``FieldMap.id_field``) is only used in reject messages for now.

Bad input never stops a batch: it becomes a ``Reject`` (stage ``ingest``, the error code,
a message, the first 300 characters of the raw input and a source such as
``feed.xml#3``, ``rows.csv:12`` or ``<stdin>``). Only a path that does not exist raises
(:class:`~detente.errors.InputNotFound`), when :func:`read` is called and before anything
is read, since that is a usage error.

Text must be UTF-8, UTF-8 with a BOM or UTF-16 with a BOM (or the codec named by
``encoding=``); other bytes are rejected as :class:`~detente.errors.UndecodableText`, and
binary files (NUL bytes) as :class:`~detente.errors.UnsupportedFormat`. There is no silent
Latin-1 fallback, since it would turn a wrong guess into
mojibake that is coded as text. HTML may also declare its charset in a ``<meta>`` tag.
Text is NFC-normalised, newlines unified and control characters replaced; invisible
marks (BOM, zero-width space, LTR/RTL marks) are dropped.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from .errors import (
    BadArchive,
    BadDate,
    BadRecord,
    DecompressionBomb,
    EmptyText,
    IngestError,
    InputNotFound,
    InputTooLarge,
    MissingDate,
    UndecodableText,
    UnknownName,
    UnsupportedFormat,
    UsageError,
)
from .records import Article, Reject, content_hash
from .webtext import FeedEntry, declared_charset, extract_page, html_fragment_text, parse_feed

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "FORMATS",
    "FieldMap",
    "detect_format",
    "html_fragment_text",
    "list_inputs",
    "parse_date",
    "read",
    "read_file",
    "read_stream",
    "read_text",
]

FORMATS = ("dated", "text", "jsonl", "csv", "tsv", "html", "feed")
"""The input formats ``fmt=`` accepts."""

EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
"""File extension -> format. ``text`` files whose first line is ``date YYYY-MM-DD`` are
read as ``dated``; unknown extensions are sniffed from the content."""

DEFAULT_MAX_BYTES = 20_000_000
"""Default size limit of one file (one record for JSONL/CSV)."""

EXCERPT_CHARS = 300
STDIN = "-"
_STDIN_NAME = "<stdin>"

_DATED_RE = re.compile(r"^[ \t]*date[ \t]+(\S+)[ \t]*(.*)$", re.IGNORECASE)
_DATED_SNIFF_RE = re.compile(r"^[ \t]*date[ \t]+\d{4}-?\d{2}-?\d{2}(?:[ \t]|$)", re.IGNORECASE)
_NAME_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?![0-9])")
_YMD_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b\u200e\u200f\u2060]")
_INVISIBLE = frozenset("\ufeff\u200b\u200e\u200f\u2060")
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
_DATELINE_RE = re.compile(
    r"^[A-Za-z][A-Za-z .'\-]{0,40}(?:\([A-Za-z .'\-]{1,30}\))?,\s*(?:"
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\s+" + _MONTH + r"(?:\s+\d{2,4})?|" + _MONTH
    + r"\s+\d{1,2}(?:,?\s+\d{2,4})?)(?:\s*\([^()]{1,60}\))?\s*(?:--?|:)?$", re.IGNORECASE)
"""A title that is only a dateline: a place, a date and maybe a source in brackets
("SAN SALVADOR, 3 JAN 90 (AFP) --", "Bogota, 1989-08-20"): no headline to code."""
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
"""Lone surrogates: undecodable bytes (kept by ``surrogateescape``) or bad JSON escapes."""
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Names of the fields (JSONL keys, CSV columns) that hold each part of an article.

    A dotted name (``meta.date``) reaches into nested JSON objects when no key has that
    exact name.
    """

    id_field: str = "id"
    date_field: str = "date"
    title_field: str = "title"
    text_field: str = "text"
    url_field: str = "url"
    publisher_field: str = "publisher"
    language_field: str = "language"


@dataclass(frozen=True, slots=True)
class _Options:
    date: date | None = None
    fields: FieldMap = field(default_factory=FieldMap)
    max_bytes: int = DEFAULT_MAX_BYTES
    title_in_text: bool = True
    encoding: str | None = None


# -- public API ---------------------------------------------------------------------


def read(
    paths: Sequence[str | Path],
    *,
    fmt: str | None = None,
    date: date | None = None,
    fields: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    title_in_text: bool = True,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[Article | Reject]:
    """Read articles from files, directories, globs and ``"-"`` (standard input).

    Returns an iterator that yields one :class:`Article` per story and one
    :class:`Reject` per unreadable input or record, in a deterministic order (arguments
    in the order given, directory entries sorted). Files are opened one at a time, when
    the iterator reaches them.

    Options: ``fmt`` forces one format for every input; ``date`` is the publication
    date used when an input gives none; ``fields`` names the JSONL/CSV fields;
    ``max_bytes`` limits each file (each record for JSONL/CSV); ``title_in_text`` puts
    a title in front of the text as its first paragraph; ``encoding`` names the codec of
    text, JSONL, CSV and HTML inputs instead of detecting UTF-8/UTF-16 (feeds declare
    their own); ``stdin`` is the stream read for ``"-"`` (default ``sys.stdin.buffer``).

    Raises at call time, before anything is read: :class:`~detente.errors.InputNotFound`
    for a path or glob that matches nothing, :class:`~detente.errors.UnknownName` for an
    unknown ``fmt`` or ``encoding``, :class:`~detente.errors.UsageError` for a bad
    ``max_bytes``.
    """
    opts = _options(fmt, date, fields, max_bytes, title_in_text, encoding)
    roots = _resolve_args(paths)
    return _read_all(roots, fmt, opts, stdin)


def _read_all(
    roots: list[Path], fmt: str | None, opts: _Options, stdin: BinaryIO | None
) -> Iterator[Article | Reject]:
    for path in _walk(roots):
        if str(path) == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _read_stream(stream, _STDIN_NAME, fmt, opts, name_date=False)
        else:
            yield from _read_path(path, fmt, opts)


def read_file(
    path: str | Path,
    *,
    fmt: str | None = None,
    date: date | None = None,
    fields: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    title_in_text: bool = True,
    encoding: str | None = None,
) -> Iterator[Article | Reject]:
    """Read one file (see :func:`read`); raises
    :class:`~detente.errors.InputNotFound` at call time if it is not a file."""
    opts = _options(fmt, date, fields, max_bytes, title_in_text, encoding)
    p = Path(path)
    if not p.is_file():
        raise InputNotFound(f"no such file: {path}", path=str(path))
    return _read_path(p, fmt, opts)


def read_stream(
    stream: BinaryIO,
    *,
    name: str = _STDIN_NAME,
    fmt: str | None = None,
    date: date | None = None,
    fields: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    title_in_text: bool = True,
    encoding: str | None = None,
) -> Iterator[Article | Reject]:
    """Read articles from a binary stream; ``name`` is used as the source (and its
    extension, if any, to detect the format when ``fmt`` is not given)."""
    opts = _options(fmt, date, fields, max_bytes, title_in_text, encoding)
    return _read_stream(stream, name, fmt, opts, name_date=True)


def read_text(
    text: str,
    *,
    date: date | None = None,
    title: str = "",
    url: str = "",
    source: str = "<text>",
    publisher: str = "",
    title_in_text: bool = True,
) -> Article:
    """One article from a string (for the API and tests).

    A text whose first line is ``date YYYY-MM-DD Headline`` is read as the dated format
    (its date and headline win over the arguments). Raises
    :class:`~detente.errors.EmptyText`, :class:`~detente.errors.MissingDate` or
    :class:`~detente.errors.BadDate`.
    """
    opts = _Options(date=date, title_in_text=title_in_text)
    text = _normalise(text)
    if _is_dated(text):
        published, head, body = _split_dated(text)
        title = head or title
    elif date is None:
        raise MissingDate(f"{source}: no publication date", source=source)
    else:
        published, body = date, text
    return _make_article(body, title=title, published=published, url=url, source=source,
                         publisher=publisher, opts=opts)


def parse_date(value: object) -> date:
    """A publication date from ``YYYY-MM-DD``, ``YYYYMMDD``, an ISO-8601 datetime or an
    RFC-2822 date; the calendar date as written is kept (no time-zone conversion).

    Raises :class:`~detente.errors.BadDate` for anything else, including impossible
    dates such as ``2021-02-30``.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadDate(f"date {value!r} is not a string", value=repr(value))
    s = str(value).strip()
    for rx in (_YMD_RE, _COMPACT_RE):
        m = rx.match(s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise BadDate(f"{s!r} is not a real date ({exc})", value=s) from None
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", s):
        try:
            return datetime.fromisoformat(s.replace("z", "Z")).date()
        except ValueError:
            try:  # a datetime with an impossible date part
                date.fromisoformat(s[:10])
            except ValueError as exc:
                raise BadDate(f"{s!r} is not a real date ({exc})", value=s) from None
            raise BadDate(f"{s!r} is not an ISO-8601 datetime", value=s) from None
    if re.search(r"[A-Za-z]{3}", s) and re.search(r"\d{4}", s):
        try:
            return parsedate_to_datetime(s).date()
        except (TypeError, ValueError, IndexError):
            pass
    raise BadDate(f"{s!r} is not a date written YYYY-MM-DD", value=s)


def detect_format(name: str, head: bytes = b"") -> str:
    """The format of an input from its file name and its first bytes.

    ``.txt`` files (and unknown extensions that look like text) are ``dated`` when the
    first line is ``date YYYY-MM-DD ...``, else ``text``; content sniffing also
    recognises HTML, feeds and JSON lines when the extension says nothing.
    """
    ext = os.path.splitext(name)[1].lower()
    fmt = EXTENSIONS.get(ext)
    sample = _sniff_text(head)
    if fmt == "feed":
        lead = sample[:2048].lower()
        if "<html" in lead and not re.search(r"<(rss|feed|rdf:rdf)[\s>]", lead):
            return "html"  # XHTML saved as .xml
    if fmt not in (None, "text"):
        return fmt  # type: ignore[return-value]
    if _is_dated(sample):
        return "dated"
    if fmt == "text":
        return "text"
    lead = sample.lstrip()[:512].lower()
    if lead.startswith(("<!doctype html", "<html")) or "<html" in lead[:200]:
        return "html"
    if lead.startswith(("<?xml", "<rss", "<feed", "<rdf:rdf")):
        return "html" if "<html" in lead else "feed"
    if lead.startswith("{"):
        return "jsonl"
    return "text"


def list_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """The files :func:`read` would read, in order (``Path("-")`` for stdin): a cheap
    listing for progress bars. Raises :class:`~detente.errors.InputNotFound` like
    :func:`read`."""
    return list(_walk(_resolve_args(paths)))


# -- paths --------------------------------------------------------------------------


def _options(
    fmt: str | None,
    published: date | None,
    fields: FieldMap | None,
    max_bytes: int,
    title_in_text: bool,
    encoding: str | None,
) -> _Options:
    if fmt is not None and fmt not in FORMATS:
        raise UnknownName(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}",
                          name=fmt, choices=list(FORMATS))
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise UsageError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UnknownName(f"unknown text encoding {encoding!r}", name=encoding) from None
    return _Options(date=published, fields=fields or FieldMap(), max_bytes=max_bytes,
                    title_in_text=title_in_text, encoding=encoding)


def _resolve_args(paths: Sequence[str | Path]) -> list[Path]:
    """Expand globs and check existence of every argument, before anything is read."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for arg in paths:
        s = str(arg)
        if s == STDIN:
            out.append(Path(STDIN))
            continue
        p = Path(os.path.expanduser(s))
        if p.exists():
            out.append(p)
        elif _GLOB_CHARS & set(s):
            matches = sorted(glob.glob(os.path.expanduser(s), recursive=True))
            if not matches:
                raise InputNotFound(f"no file matches {s!r}", path=s)
            out.extend(Path(m) for m in matches)
        else:
            raise InputNotFound(f"no such file or directory: {s}", path=s)
    return out


def _walk(roots: Iterable[Path]) -> Iterator[Path]:
    """Files under the roots: sorted, hidden names skipped, symlinked directories
    followed once (no loops), each file once. Inside directories only files with a known
    extension (:data:`EXTENSIONS`) are read, so a README or an image next to the articles
    is not taken for one; a file named explicitly is always read."""
    seen_files: set[tuple[int, int]] = set()
    for root in roots:
        if str(root) == STDIN:
            yield root
            continue
        if root.is_dir():
            yield from _walk_dir(root, seen_files)
        elif _first_visit(root, seen_files):
            yield root


def _readable_name(name: str) -> bool:
    """A name with a known extension, possibly compressed (``x.jsonl.gz``, ``x.zip``)."""
    base, ext = os.path.splitext(name.lower())
    if ext == ".gz":
        ext = os.path.splitext(base)[1]
    return ext in EXTENSIONS or ext == ".zip"


def _first_visit(path: Path, seen: set[tuple[int, int]]) -> bool:
    try:
        st = path.stat()
    except OSError:
        return True  # unreadable: let the reader reject it with a reason
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _walk_dir(root: Path, seen_files: set[tuple[int, int]]) -> Iterator[Path]:
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        subdirs: list[Path] = []
        for name in names:
            if name.startswith("."):
                continue
            p = d / name
            if p.is_dir():
                subdirs.append(p)
            elif not _readable_name(name):
                continue
            elif p.is_file():
                if _first_visit(p, seen_files):
                    yield p
            elif p.is_symlink() and not p.exists():
                yield p  # a dangling or looping link: the reader rejects it with the reason
        stack.extend(reversed(subdirs))


# -- dispatch -----------------------------------------------------------------------


def _read_path(path: Path, fmt: str | None, opts: _Options) -> Iterator[Article | Reject]:
    source = str(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        yield _reject(source, InputNotFound(f"{source}: cannot open: {exc.strerror}"), b"")
        return
    with f:
        lower = path.name.lower()
        if lower.endswith(".zip"):
            yield from _read_zip(f, source, fmt, opts)
        elif lower.endswith(".gz"):
            yield from _read_gzip(f, source, fmt, opts)
        else:
            yield from _read_stream(f, source, fmt, opts, name_date=True)


# -- compressed inputs --------------------------------------------------------------

MAX_RATIO = 200
"""Largest decompressed/compressed size ratio read from ``.gz`` and ``.zip`` inputs (text
compresses 3-10 times; a bomb of zeros, a thousand times)."""
RATIO_SLACK = 1_000_000
"""Bytes a compressed input may always expand to, whatever its ratio."""


class _Bounded(io.RawIOBase):
    """A decompressing stream that stops with :class:`DecompressionBomb` once its output
    passes ``MAX_RATIO`` times the compressed bytes read, plus :data:`RATIO_SLACK`."""

    def __init__(self, inner: Any, source: str, consumed: Any) -> None:
        self._inner = inner
        self._source = source
        self._consumed = consumed
        self.out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self._inner.read(len(buf))
        n = len(data)
        buf[:n] = data
        self.out += n
        if self.out > MAX_RATIO * self._consumed() + RATIO_SLACK:
            raise DecompressionBomb(
                f"{self._source}: expands to more than {MAX_RATIO} times its compressed "
                f"size (stopped after {self.out} bytes)", ratio=MAX_RATIO)
        return n


def _inner_format(name: str, fmt: str | None) -> str | None:
    """The format of a compressed member named ``name``: ``fmt``, else its extension."""
    if fmt is not None:
        return fmt
    return EXTENSIONS.get(os.path.splitext(name.lower())[1])


def _read_decompressed(
    stream: _Bounded, source: str, inner: str, fmt: str | None, opts: _Options
) -> Iterator[Article | Reject]:
    import zipfile
    import zlib

    try:
        buffered = cast(BinaryIO, io.BufferedReader(stream))
        yield from _read_stream(buffered, source, _inner_format(inner, fmt), opts,
                                name_date=True, date_name=inner)
    except DecompressionBomb as exc:
        yield _reject(source, exc, b"")
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        yield _reject(source, BadArchive(f"{source}: corrupt compressed data ({exc})"), b"")


def _read_gzip(f: BinaryIO, source: str, fmt: str | None,
               opts: _Options) -> Iterator[Article | Reject]:
    import gzip

    gz = gzip.GzipFile(fileobj=f, mode="rb")
    inner = os.path.basename(source)[:-3]
    yield from _read_decompressed(_Bounded(gz, source, f.tell), source, inner, fmt, opts)


def _read_zip(f: BinaryIO, source: str, fmt: str | None,
              opts: _Options) -> Iterator[Article | Reject]:
    """Every member with a known extension, in name order; archives inside archives
    are not opened."""
    import zipfile

    try:
        zf = zipfile.ZipFile(f)
        members = sorted((m for m in zf.infolist() if not m.is_dir()),
                         key=lambda m: m.filename)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        yield _reject(source, BadArchive(f"{source}: not a readable zip archive ({exc})"),
                      b"")
        return
    with zf:
        for m in members:
            name = m.filename
            src = f"{source}!{name}"
            base = os.path.basename(name)
            if base.startswith(".") or not _readable_name(base):
                continue
            if base.lower().endswith((".zip", ".gz")):
                yield _reject(src, UnsupportedFormat(f"{src}: an archive inside an archive "
                                                     "is not opened"), b"")
                continue
            if m.file_size > MAX_RATIO * m.compress_size + RATIO_SLACK:
                yield _reject(src, DecompressionBomb(
                    f"{src}: declares {m.file_size} bytes from {m.compress_size} compressed "
                    f"(more than {MAX_RATIO} times)", ratio=MAX_RATIO), b"")
                continue
            try:
                member = zf.open(m)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError) as exc:
                yield _reject(src, BadArchive(f"{src}: cannot open member ({exc})"), b"")
                continue
            size = m.compress_size
            with member:
                yield from _read_decompressed(_Bounded(member, src, lambda s=size: s), src,
                                              base, fmt, opts)


def _read_stream(
    stream: BinaryIO, source: str, fmt: str | None, opts: _Options, *, name_date: bool,
    date_name: str | None = None,
) -> Iterator[Article | Reject]:
    head, stream = _peek(stream, 8192)
    name = "" if source == _STDIN_NAME else source
    kind = fmt or detect_format(name, head)
    if kind == "text" and _is_dated(_sniff_text(head)):
        kind = "dated"
    if kind in ("jsonl", "csv", "tsv"):
        yield from _read_records(stream, head, source, kind, opts)
        return
    data = stream.read(opts.max_bytes + 1)
    if len(data) > opts.max_bytes:
        err = InputTooLarge(f"{source}: larger than the limit of {opts.max_bytes} bytes",
                            limit=opts.max_bytes)
        yield _reject(source, err, data)
        return
    fallback = (date_name or source) if name_date else None
    try:
        if kind == "feed":
            yield from _read_feed(data, source, opts)
        elif kind == "html":
            yield _read_html(data, source, opts, fallback)
        else:
            text = _decode(data, source, opts.encoding)
            yield _read_plain(text, source, opts, fallback, dated=(kind == "dated"))
    except IngestError as exc:
        yield _reject(source, exc, data)


class _Chained(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def _peek(stream: BinaryIO, n: int) -> tuple[bytes, BinaryIO]:
    """The first n bytes, and a stream that still starts with them (standard input and
    pipes are not seekable, so they are wrapped)."""
    if stream.seekable():
        pos = stream.tell()
        head = stream.read(n)
        stream.seek(pos)
        return head, stream
    head = stream.read(n)
    return head, io.BufferedReader(_Chained(head, stream))


# -- decoding and cleaning ----------------------------------------------------------


def _decode(data: bytes, source: str, encoding: str | None) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM, strictly; or the named codec."""
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UndecodableText(f"{source}: not valid {encoding} at byte {exc.start}",
                                  offset=exc.start) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UndecodableText(f"{source}: broken UTF-16 at byte {exc.start}",
                                  offset=exc.start) from None
    nul = data.find(b"\x00")
    if nul != -1:
        raise UnsupportedFormat(_binary_message(source, nul), offset=nul)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UndecodableText(
            f"{source}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            offset=exc.start,
        ) from None


def _binary_message(source: str, nul: int) -> str:
    return (f"{source}: binary data (NUL byte at offset {nul}), not a text format "
            "(UTF-16 text needs a byte-order mark)")


def _normalise(text: str) -> str:
    """Unify newlines, NFC-normalise, drop control characters and BOMs, strip."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL_RE.sub(lambda m: "" if m[0] in _INVISIBLE else " ", text)
    return text.strip()


def _sniff_text(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8-sig", errors="ignore")


def _excerpt(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raw = raw[: EXCERPT_CHARS * 4].decode("utf-16", errors="replace")
        else:
            raw = raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    raw = _SURROGATE_RE.sub("\ufffd", raw.strip("\r\n"))
    return _CONTROL_RE.sub(" ", raw)[:EXCERPT_CHARS]


def _reject(source: str, exc: IngestError, raw: bytes | str) -> Reject:
    return Reject(source=source, stage="ingest", code=exc.code, message=exc.message,
                  excerpt=_excerpt(raw))


# -- single-document formats --------------------------------------------------------


def _is_dated(text: str) -> bool:
    return bool(_DATED_SNIFF_RE.match(text.lstrip("\ufeff\r\n").split("\n", 1)[0]))


def _split_dated(text: str) -> tuple[date, str, str]:
    """(date, headline, body) of normalised dated text."""
    first, _, body = text.partition("\n")
    m = _DATED_RE.match(first)
    if not m:
        raise MissingDate("first line is not 'date YYYY-MM-DD Headline'")
    return parse_date(m[1]), m[2].strip(), body.strip()


def _name_date(source: str) -> date | None:
    m = _NAME_DATE_RE.match(os.path.basename(source))
    if not m:
        return None
    try:
        return parse_date(m[1])
    except BadDate as exc:
        raise BadDate(f"file name date: {exc.message}", value=m[1]) from None


def _read_plain(
    text: str, source: str, opts: _Options, date_name: str | None, *, dated: bool
) -> Article:
    text = _normalise(text)
    if not text:
        raise EmptyText(f"{source}: no text")
    title = ""
    if dated:
        try:
            published, title, text = _split_dated(text)
        except (BadDate, MissingDate) as exc:
            raise type(exc)(f"{source}: {exc.message}") from None
    else:
        fallback = (_name_date(date_name) if date_name else None) or opts.date
        if fallback is None:
            raise MissingDate(f"{source}: no publication date (no 'date YYYY-MM-DD' first "
                              "line, no date in the file name, no date option)")
        published = fallback
    return _make_article(text, title=title, published=published, url="", source=source,
                         publisher="", opts=opts)


def _make_article(
    text: str,
    *,
    title: str,
    published: date,
    url: str,
    source: str,
    publisher: str,
    opts: _Options,
    language: str = "",
    external_id: str = "",
) -> Article:
    text = _normalise(text)
    title = " ".join(_normalise(title).split())
    if (opts.title_in_text and title and not _starts_with(text, title)
            and not is_dateline(title)):
        text = f"{title}\n\n{text}" if text else title
    if not text:
        raise EmptyText(f"{source}: no body text")
    return Article(
        id=content_hash(text, title=title, published=published),
        published=published,
        text=text,
        title=title,
        url=url.strip(),
        source=source,
        publisher=" ".join(publisher.split()),
        language=language.strip() or "en",
        external_id=external_id.strip(),
    )


def is_dateline(title: str) -> bool:
    """Whether ``title`` is only a dateline (place, date, maybe a source), which is not
    put in front of the text: its place would be coded as an actor of the first sentence
    and its date read as an event date."""
    return len(title) <= 100 and _DATELINE_RE.match(title) is not None


def _starts_with(text: str, title: str) -> bool:
    return " ".join(text[: len(title) * 2 + 10].split()).startswith(title)


# -- HTML and feeds (extraction in :mod:`detente.webtext`) ---------------------------


def _html_to_str(data: bytes, source: str, encoding: str | None) -> str:
    """Decode like text, else strictly in the charset the page declares."""
    try:
        return _decode(data, source, encoding)
    except UndecodableText:
        declared = None if encoding else declared_charset(data)
        if not declared:
            raise
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            raise UndecodableText(f"{source}: not valid in its declared charset {declared!r}",
                                  charset=declared) from None


def _read_html(data: bytes, source: str, opts: _Options, date_name: str | None) -> Article:
    html = _html_to_str(data, source, opts.encoding)
    if not html.strip():
        raise EmptyText(f"{source}: empty HTML file")
    page = extract_page(html)
    if page is None:
        raise EmptyText(f"{source}: no main text found in the HTML")
    published: date | None = None
    if page.date:
        try:
            published = parse_date(page.date)
        except BadDate:
            published = None
    if published is None and date_name:
        published = _name_date(date_name)
    published = published or opts.date
    if published is None:
        raise MissingDate(f"{source}: the page gives no publication date")
    return _make_article(page.text, title=page.title, published=published, url=page.url,
                         source=source, publisher=page.sitename, opts=opts)


def _entry_date(entry: FeedEntry) -> date | None:
    """The entry's date as written; feedparser's UTC date only when ours cannot parse."""
    for raw, ymd in entry.dates:
        try:
            return parse_date(raw)
        except BadDate:
            if ymd is None:
                raise
            return date(*ymd)
    return None


def _read_feed(data: bytes, source: str, opts: _Options) -> Iterator[Article | Reject]:
    if not data.strip():
        raise EmptyText(f"{source}: empty feed file")
    feed = parse_feed(data)
    if not feed.entries:
        if feed.error:
            raise BadRecord(f"{source}: not a readable RSS/Atom feed ({feed.error})")
        raise EmptyText(f"{source}: the feed has no entries")
    for n, entry in enumerate(feed.entries, start=1):
        src = f"{source}#{n}"
        try:
            if not entry.text and not entry.title:
                raise EmptyText(f"{src}: entry has neither title nor text")
            if not entry.text and not opts.title_in_text:
                raise EmptyText(f"{src}: entry has no text")
            try:
                published = _entry_date(entry) or opts.date
            except BadDate as exc:
                raise BadDate(f"{src}: {exc.message}") from None
            if published is None:
                raise MissingDate(f"{src}: entry has no published/updated date")
            yield _make_article(entry.text, title=entry.title, published=published,
                                url=entry.link, source=src, publisher=feed.title, opts=opts)
        except IngestError as exc:
            yield _reject(src, exc, json.dumps(entry.raw, ensure_ascii=False))


# -- JSONL / CSV --------------------------------------------------------------------


def _stream_encoding(head: bytes, encoding: str | None) -> str:
    if encoding:
        return encoding
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _read_records(
    stream: BinaryIO, head: bytes, source: str, kind: str, opts: _Options
) -> Iterator[Article | Reject]:
    enc = _stream_encoding(head, opts.encoding)
    if enc == "utf-8-sig" and b"\x00" in head:
        nul = head.find(b"\x00")
        err = UnsupportedFormat(_binary_message(source, nul), offset=nul)
        yield _reject(source, err, head)
        return
    text_stream = io.TextIOWrapper(stream, encoding=enc, errors="surrogateescape", newline="")
    try:
        if kind == "jsonl":
            is_array = _sniff_text(head).lstrip().startswith("[")
            yield from _read_jsonl(text_stream, source, opts, is_array=is_array)
        else:
            delimiter = "\t" if kind == "tsv" else _csv_delimiter(_sniff_text(head))
            yield from _read_csv(text_stream, source, opts, delimiter=delimiter)
    except UnicodeDecodeError as exc:  # only for codecs without surrogateescape (UTF-16)
        yield _reject(source, UndecodableText(f"{source}: undecodable text ({exc.reason})"),
                      head)
    finally:
        text_stream.detach()


def _csv_delimiter(sample: str) -> str:
    """``,`` unless the header line holds more ``;`` (spreadsheets in many locales),
    tabs or ``|``."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _get(record: dict[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    if "." in name:
        cur: Any = record
        for part in name.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
        return cur
    return None


def _str_field(record: dict[str, Any], name: str, src: str) -> str:
    value = _get(record, name)
    if value is None:
        return ""
    if isinstance(value, str):
        return _checked(value, name, src)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"{src}: field {name!r} must be a string, got {type(value).__name__}")


def _checked(value: str, name: str, src: str) -> str:
    if _SURROGATE_RE.search(value):
        raise UndecodableText(f"{src}: field {name!r} is not valid UTF-8 text", field=name)
    return value


def _record_article(record: dict[str, Any], src: str, opts: _Options) -> Article:
    fm = opts.fields
    ext_id = _str_field(record, fm.id_field, src) if fm.id_field else ""
    where = f"{src} (id {ext_id!r})" if ext_id else src
    text = _get(record, fm.text_field)
    if text is None:
        present = ", ".join(sorted(map(str, record))[:12])
        raise BadRecord(f"{where}: no {fm.text_field!r} field (fields: {present})",
                        field=fm.text_field)
    if not isinstance(text, str):
        raise BadRecord(f"{where}: field {fm.text_field!r} must be a string, "
                        f"got {type(text).__name__}", field=fm.text_field)
    if not _checked(text, fm.text_field, where).strip():
        raise EmptyText(f"{where}: field {fm.text_field!r} is empty")
    raw_date = _get(record, fm.date_field)
    if raw_date is None or (isinstance(raw_date, str) and not raw_date.strip()):
        if opts.date is None:
            raise MissingDate(f"{where}: no {fm.date_field!r} field")
        published = opts.date
    else:
        try:
            published = parse_date(raw_date)
        except BadDate as exc:
            raise BadDate(f"{where}: field {fm.date_field!r}: {exc.message}") from None
    return _make_article(
        text,
        title=_str_field(record, fm.title_field, where),
        published=published,
        url=_str_field(record, fm.url_field, where),
        source=src,
        publisher=_str_field(record, fm.publisher_field, where),
        language=_str_field(record, fm.language_field, where),
        opts=opts,
        external_id=_str_field(record, fm.id_field, where),
    )


def _read_jsonl(
    stream: io.TextIOWrapper, source: str, opts: _Options, *, is_array: bool
) -> Iterator[Article | Reject]:
    if is_array:
        yield from _read_json_array(stream.read(opts.max_bytes + 1), source, opts)
        return
    lineno = 0
    while True:
        line = stream.readline(opts.max_bytes + 1)
        if not line:
            break
        lineno += 1
        src = f"{source}:{lineno}"
        content = line.rstrip("\r\n")
        if len(content) > opts.max_bytes or (
            len(content.encode("utf-8", "surrogateescape")) > opts.max_bytes
        ):
            excerpt = line[:EXCERPT_CHARS]
            while line and not line.endswith(("\n", "\r")):  # skip the rest of the line
                line = stream.readline(opts.max_bytes + 1)
            err = InputTooLarge(f"{src}: record larger than {opts.max_bytes} bytes")
            yield _reject(src, err, excerpt)
            continue
        if not line.strip():
            continue
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadRecord(
                    f"{src}: not valid JSON ({exc.msg} at column {exc.colno})"
                ) from None
            except RecursionError:
                raise BadRecord(f"{src}: JSON nested too deeply to read") from None
            if not isinstance(record, dict):
                raise BadRecord(f"{src}: a JSON line must be an object, got "
                                f"{type(record).__name__}")
            yield _record_article(record, src, opts)
        except IngestError as exc:
            yield _reject(src, exc, line)


def _read_json_array(text: str, source: str, opts: _Options) -> Iterator[Article | Reject]:
    if len(text.encode("utf-8", "surrogateescape")) > opts.max_bytes:
        yield _reject(source, InputTooLarge(f"{source}: JSON array larger than "
                                            f"{opts.max_bytes} bytes"), text)
        return
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _reject(source, BadRecord(f"{source}: not valid JSON ({exc.msg} at line "
                                        f"{exc.lineno})"), text)
        return
    except RecursionError:
        yield _reject(source, BadRecord(f"{source}: JSON nested too deeply to read"), text)
        return
    for n, item in enumerate(items, start=1):
        src = f"{source}#{n}"
        try:
            if not isinstance(item, dict):
                raise BadRecord(f"{src}: array items must be objects")
            yield _record_article(item, src, opts)
        except IngestError as exc:
            yield _reject(src, exc, json.dumps(item, ensure_ascii=False)[:EXCERPT_CHARS * 2])


def _read_csv(
    stream: io.TextIOWrapper, source: str, opts: _Options, *, delimiter: str
) -> Iterator[Article | Reject]:
    if csv.field_size_limit() < opts.max_bytes:
        csv.field_size_limit(opts.max_bytes)  # process-wide, only ever raised
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        yield _reject(source, EmptyText(f"{source}: empty file"), "")
        return
    except csv.Error as exc:
        yield _reject(source, BadRecord(f"{source}:1: unreadable header ({exc})"), "")
        return
    header = [h.strip() for h in header]
    if opts.fields.text_field not in header:
        err = BadRecord(f"{source}:1: no {opts.fields.text_field!r} column "
                        f"(columns: {', '.join(header[:20])})", field=opts.fields.text_field)
        yield _reject(f"{source}:1", err, delimiter.join(header))
        return
    last = reader.line_num
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            src = f"{source}:{start}"
            last = reader.line_num
            yield _reject(src, BadRecord(f"{src}: malformed CSV row ({exc})"), "")
            continue
        last = reader.line_num
        src = f"{source}:{start}"
        if not row or not any(c.strip() for c in row):
            continue
        raw = delimiter.join(row)
        try:
            if len(raw.encode("utf-8", "surrogateescape")) > opts.max_bytes:
                raise InputTooLarge(f"{src}: record larger than {opts.max_bytes} bytes")
            if len(row) > len(header):
                raise BadRecord(f"{src}: {len(row)} fields but the header has {len(header)} "
                                "(an unquoted delimiter?)")
            record = dict(zip(header, row, strict=False))
            if opts.fields.text_field not in record:
                raise BadRecord(f"{src}: row has no value for column "
                                f"{opts.fields.text_field!r} ({len(row)} of {len(header)} "
                                "fields)", field=opts.fields.text_field)
            yield _record_article(record, src, opts)
        except IngestError as exc:
            yield _reject(src, exc, raw)
