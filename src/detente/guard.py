"""Guards on what reaches the coder: bounded size and time per article, English only.

The readers (:mod:`detente.ingest`) already bound what they read (``max_bytes`` per file or
record, decompression checked against bombs). These guards run in
:func:`detente.api.code_articles`, before the parser, so one article can neither stall a
batch nor fill it with noise:

- **size**: an article longer than ``max_chars`` characters (default
  :data:`MAX_CHARS`, about 35,000 words, far beyond any news story) is rejected with
  :class:`~detente.errors.ArticleTooLong`. Parsing time grows linearly with length, so
  this bounds the time per article;
- **time**: coding one parsed article (actors and events) that runs longer than
  ``max_seconds`` is stopped and rejected with :class:`~detente.errors.CodingTimeout`.
  The clock is ``SIGALRM``, so it works in the main thread of a process (the CLI, worker
  processes); elsewhere the size guard alone bounds the time;
- **language**: detente codes English. An article that declares another language, or
  whose text is mostly in a non-Latin script or lacks English function words, is
  rejected with :class:`~detente.errors.UnsupportedLanguage` rather than coded into noise.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import ArticleTooLong, CodingTimeout, IngestError, UnsupportedLanguage
from .records import Article

MAX_CHARS = 200_000
"""Default longest article coded, in characters."""
MAX_SECONDS = 120.0
"""Default longest time to code one parsed article, in seconds."""

ENGLISH = frozenset({"en", "eng", "english"})
_FUNCTION_WORDS = frozenset(
    "the of and to in is was that for with as by at from it its his her their has have had "
    "were are be been this which will would said not but or an they he she we who after "
    "about into than also".split())
"""English function words: a third or more of the words of English prose, rare as words
of other Latin-script languages."""
_WORD = re.compile(r"[^\W\d_]+")
SAMPLE_CHARS = 20_000
MIN_WORDS = 40
"""Texts with fewer words are not judged (too little evidence)."""
MIN_SHARE = 0.06
MIN_LATIN = 0.6


def english_share(text: str) -> tuple[float, float, int]:
    """``(latin, function, words)`` over the first :data:`SAMPLE_CHARS` characters: the
    share of letters in Latin script, the share of words that are English function words,
    and the number of words."""
    sample = text[:SAMPLE_CHARS]
    letters = [c for c in sample if c.isalpha()]
    latin = (sum(1 for c in letters if c < "\u0250") / len(letters)) if letters else 1.0
    words = _WORD.findall(sample.lower())
    share = (sum(1 for w in words if w in _FUNCTION_WORDS) / len(words)) if words else 0.0
    return latin, share, len(words)


def language_problem(article: Article) -> str | None:
    """Why ``article`` is not English text, or None when it is (or is too short to tell)."""
    declared = (article.language or "en").strip().lower().replace("_", "-")
    if declared.split("-", 1)[0] not in ENGLISH:
        return f"declares language {article.language!r}"
    latin, share, words = english_share(article.text)
    if words < MIN_WORDS and latin >= MIN_LATIN:
        return None
    if latin < MIN_LATIN:
        return f"is mostly in a non-Latin script ({latin:.0%} Latin letters)"
    if share < MIN_SHARE:
        return (f"does not read as English ({share:.1%} of {words} words are English "
                f"function words; English prose has 30 % or more)")
    return None


def check_article(article: Article, *, max_chars: int = MAX_CHARS) -> IngestError | None:
    """The guard error ``article`` fails, or None when it may be coded."""
    n = len(article.text)
    if n > max_chars:
        return ArticleTooLong(f"{article.source}: {n} characters, more than the limit of "
                              f"{max_chars} coded per article", chars=n, limit=max_chars)
    problem = language_problem(article)
    if problem:
        return UnsupportedLanguage(f"{article.source}: the article {problem}",
                                   language=article.language)
    return None


def _can_alarm() -> bool:
    return (hasattr(signal, "setitimer") and threading.current_thread() is
            threading.main_thread()
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None))


@contextmanager
def time_limit(seconds: float | None, *, what: str = "coding") -> Iterator[None]:
    """Raise :class:`~detente.errors.CodingTimeout` inside the block after ``seconds``.

    A no-op when ``seconds`` is None or 0, outside the main thread, or when SIGALRM is
    already in use (a test runner's timeout, say)."""
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CodingTimeout(f"{what} took longer than {seconds:g} s", seconds=seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
