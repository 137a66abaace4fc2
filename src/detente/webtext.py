"""Text out of web formats, for :mod:`detente.ingest`: HTML pages (trafilatura), RSS/Atom
feeds (feedparser) and HTML fragments (lxml).

Pure functions over strings and bytes: nothing here opens files or the network
(feedparser is given bytes in a stream, so it never fetches), and nothing builds
records. Scripts, styles and other non-text elements never reach the text.
"""

from __future__ import annotations

import html as _html
import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["Feed", "FeedEntry", "WebPage", "declared_charset", "extract_page",
           "html_fragment_text", "parse_feed"]

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BLOCK_TAGS = frozenset((
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "tr", "table", "section", "article", "pre", "figure", "figcaption", "header", "footer",
    "dd", "dt",
))
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")


@dataclass(frozen=True, slots=True)
class WebPage:
    """What trafilatura found in a page: main text (paragraphs split by blank lines)
    and metadata; empty strings where unknown."""

    text: str
    title: str = ""
    date: str = ""
    """The page's own publication date as ``YYYY-MM-DD`` (from its metadata or URL)."""
    url: str = ""
    sitename: str = ""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One RSS/Atom entry, as plain text."""

    title: str
    text: str
    link: str
    dates: tuple[tuple[str, tuple[int, int, int] | None], ...]
    """(raw date string, feedparser's UTC (y, m, d) or None) for published, updated and
    created, in that order, where present."""
    raw: dict[str, str]
    """Title, link and summary as found, for reject excerpts."""


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    entries: tuple[FeedEntry, ...]
    error: str = ""
    """Why the feed could not be read, when it has no entries and is malformed."""


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a ``<meta>`` tag near its start."""
    m = _META_CHARSET_RE.search(data[:4096])
    return m[1].decode("ascii").lower() if m else None


@cache
def _trafilatura_config() -> Any:
    """trafilatura's settings, without its signal-based timeout (works in threads)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def extract_page(html: str) -> WebPage | None:
    """Main text and metadata of an HTML page, or None when it has no main text.

    Only the page's metadata (and URL) are searched for its date, not the running text.
    """
    import trafilatura

    doc: Any = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=False,
        favor_recall=True,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
        config=_trafilatura_config(),
    )
    text = (getattr(doc, "text", "") or "") if doc is not None else ""
    if not text.strip():
        return None
    body = "\n\n".join(ln.strip() for ln in text.split("\n") if ln.strip())
    return WebPage(text=body, title=doc.title or "", date=doc.date or "", url=doc.url or "",
                   sitename=doc.sitename or "")


def html_fragment_text(fragment: str) -> str:
    """Plain text of an HTML fragment: scripts and styles dropped, block elements
    become paragraphs (blank-line separated), other whitespace collapsed."""
    if "<" not in fragment:
        return " ".join(_html.unescape(fragment).split())
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - lxml raises several types on garbage
        return ""
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    parts: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            parts.append("\n\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            parts.append("\n\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    paras = "".join(parts).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paras if p.strip())


def _entry_text(entry: Any) -> str:
    """The longest of the entry's contents and summary, as plain text."""
    candidates: list[tuple[str, str]] = []
    for c in entry.get("content") or []:
        candidates.append((c.get("value") or "", c.get("type") or "text/html"))
    detail = entry.get("summary_detail") or {}
    if entry.get("summary"):
        candidates.append((entry["summary"], detail.get("type") or "text/html"))
    best = ""
    for value, ctype in candidates:
        text = value.strip() if ctype == "text/plain" else html_fragment_text(value)
        if len(text) > len(best):
            best = text
    return best


def _entry_dates(entry: Any) -> tuple[tuple[str, tuple[int, int, int] | None], ...]:
    out: list[tuple[str, tuple[int, int, int] | None]] = []
    for key in ("published", "updated", "created"):
        # plain dict access: feedparser's own mapping of updated -> published warns
        raw = dict.get(entry, key)
        if raw:
            parsed = dict.get(entry, f"{key}_parsed")
            ymd = (parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None
            out.append((str(raw), ymd))
    return tuple(out)


def parse_feed(data: bytes) -> Feed:
    """Entries of an RSS/Atom document given as bytes (never fetched)."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False,
                              sanitize_html=True)
    entries = parsed.get("entries") or []
    error = ""
    if not entries and parsed.get("bozo"):
        error = str(parsed.get("bozo_exception") or "malformed feed")
    return Feed(
        title=" ".join(((parsed.get("feed") or {}).get("title", "") or "").split()),
        entries=tuple(
            FeedEntry(
                title=html_fragment_text(e.get("title", "") or ""),
                text=_entry_text(e),
                link=(e.get("link", "") or "").strip(),
                dates=_entry_dates(e),
                raw={"title": e.get("title", "") or "", "link": e.get("link", "") or "",
                     "summary": e.get("summary", "") or ""},
            )
            for e in entries
        ),
        error=error,
    )
