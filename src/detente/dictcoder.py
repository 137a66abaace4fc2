"""The dictionary coder ``petrarch-1``: CAMEO events from imported PETRARCH dictionaries.

It codes with the knowledge :mod:`detente.petrarch` imports (``coded-actors``,
``coded-agents``, ``verb-patterns``, ``discards``) over detente's own parse (the
:class:`~detente.records.Sentence` tokens and dependency tree; no constituency parser),
so dictionaries written for PETRARCH or TABARI keep working. Per sentence:

1. **Discards.** A sentence holding a ``sentence`` discard phrase is skipped; a
   ``story`` discard skips the whole article.
2. **Actors and agents.** Dictionary phrases are matched longest first on the token
   surface (case-insensitive). A noun phrase's code is its actor code with its agents'
   codes added (``~GOV`` after, ``NGO~`` before: "Arnor cleric" -> ``ARNREL``); an agent
   alone gives ``---GOV``. Actors named inside a prepositional phrase count when the noun
   phrase has none of its own ("soldiers from Gondor" -> ``GONMIL``). Conjoined noun
   phrases give one code each; an agent-only conjunct borrows the others' actor ("Danish
   media and government"). Dated actor codes are taken at the publication date.
3. **Verbs and patterns.** A verb whose surface form is in a verb block (with the words
   the entry requires right before or after it) is tried against the block's patterns:
   the words after ``*`` are looked for after the verb within its clause, the words
   before it going back from the verb; ``_`` demands consecutive words, a blank allows
   others between; ``&SYN`` matches any phrase of the synset; ``+``, ``$`` and ``%``
   bind the target, source and a compound actor; ``^`` skips a noun phrase. The pattern
   with the most elements wins (file order breaks ties); else the verb's or block's own
   code. ``---`` codes nothing.
4. **Arguments.** Source: the ``$`` binding, else the verb's subject (through
   ``xcomp``/``conj`` chains; a pronoun subject is the governing clause's subject; for
   a passive, the ``by`` agent, the subject becoming the target). Target: the ``+``
   binding, else the first actor after the verb inside its clause. A ``%`` compound
   codes its members towards each other. Paired codes ``[032:033]`` give the reverse
   event as well. Both sides are required (PETRARCH's ``require_dyad``).

A verb inside the clause of a verb already coded, without a subject of its own, is not
coded again ("signed an accord to supply Gondor" is one event).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .petrarch import CodedKB
from .records import (
    Annotations,
    Entity,
    Event,
    Evidence,
    Factuality,
    ParsedArticle,
    Sentence,
    Token,
)

CODER = "petrarch-1"

CORE_DEPS = frozenset({"compound", "amod", "poss", "nmod", "det", "nummod", "quantmod",
                       "case", "flat", "predet", "advmod", "npadvmod", "nn"})
"""Dependencies inside a noun phrase's core (its own modifiers)."""
SUBJECT_CLIMB = frozenset({"xcomp", "conj", "pcomp", "acomp", "advcl", "prep", "aux"})
"""Dependencies through which a verb without a subject takes its governor's subject."""
PRONOUNS = frozenset({"it", "he", "she", "they", "its", "who", "which", "that"})
_NOMINAL = frozenset({"NOUN", "PROPN", "PRON", "NUM", "X", "ADJ"})


@dataclass(frozen=True, slots=True)
class _Match:
    i: int
    j: int
    kind: str
    """``actor`` or ``agent``."""
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Elem:
    kind: str
    """``word``, ``syn``, ``src``, ``tgt``, ``cmp``, ``skip``."""
    value: str
    adj: bool
    """Must touch the element before it (toward the verb, for words before ``*``)."""


@dataclass(frozen=True, slots=True)
class _Pattern:
    pre: tuple[_Elem, ...]
    """Elements before the verb, nearest first."""
    post: tuple[_Elem, ...]
    code: str
    order: int

    @property
    def size(self) -> int:
        return len(self.pre) + len(self.post)


def parse_pattern(text: str, code: str, order: int = 0) -> _Pattern | None:
    """A PETRARCH pattern (``UNEXPECTEDLY &NEG * OVER EFFORTS``) as matcher elements."""
    flat: list[tuple[str, str, bool]] = []
    for chunk in text.split():
        parts = [p for p in chunk.split("_") if p]
        for n, part in enumerate(parts):
            linked = n > 0
            if part == "*":
                flat.append(("verb", "*", linked))
            elif part == "$":
                flat.append(("src", "", linked))
            elif part == "+":
                flat.append(("tgt", "", linked))
            elif part == "%":
                flat.append(("cmp", "", linked))
            elif part == "^":
                flat.append(("skip", "", linked))
            elif part.startswith("&"):
                flat.append(("syn", part.upper(), linked))
            else:
                flat.append(("word", part.upper(), linked))
    verbs = [k for k, e in enumerate(flat) if e[0] == "verb"]
    if len(verbs) != 1:
        return None
    v = verbs[0]
    pre: list[_Elem] = []
    for k in range(v - 1, -1, -1):
        kind, value, _ = flat[k]
        pre.append(_Elem(kind, value, flat[k + 1][2]))
    post = [_Elem(kind, value, linked) for kind, value, linked in flat[v + 1:]]
    return _Pattern(tuple(pre), tuple(post), code, order)


# -- per-sentence analysis -------------------------------------------------------------


class _Sent:
    def __init__(self, sent: Sentence, text: str, kb: CodedKB, when: date) -> None:
        self.s = sent
        self.toks = sent.tokens
        self.text = text
        self.kb = kb
        self.when = when
        self.up = [t.text.upper() for t in self.toks]
        self.children: list[list[int]] = [[] for _ in self.toks]
        for t in self.toks:
            if t.head != t.i:
                self.children[t.head].append(t.i)
        self.matches = self._match()
        self.match_at: dict[int, _Match] = {}
        for m in self.matches:
            for k in range(m.i, m.j):
                self.match_at[k] = m
        self.chunks = self._chunks()

    def _surface(self, i: int, j: int) -> str:
        raw = self.text[self.toks[i].start:self.toks[j - 1].end]
        return " ".join(raw.replace("_", " ").upper().split())

    def _match(self) -> list[_Match]:
        out: list[_Match] = []
        n = len(self.toks)
        span = self.kb.max_words + 3
        i = 0
        while i < n:
            found = None
            for k in range(min(span, n - i), 0, -1):
                surf = self._surface(i, i + k)
                if surf in self.kb.actors:
                    found = _Match(i, i + k, "actor", self.kb.actors[surf])
                elif surf in self.kb.agents:
                    found = _Match(i, i + k, "agent", self.kb.agents[surf])
                if found:
                    break
            if found:
                out.append(found)
                i = found.j
            else:
                i += 1
        return out

    def _chunks(self) -> list[tuple[int, int]]:
        """Noun chunks as token ranges."""
        out = []
        for sp in self.s.noun_chunks:
            ks = [t.i for t in self.toks if sp.start <= t.start and t.end <= sp.end]
            if ks:
                out.append((min(ks), max(ks) + 1))
        return sorted(out)

    # -- tree helpers ---------------------------------------------------------------

    def subtree(self, i: int, skip: frozenset[str] = frozenset()) -> list[int]:
        out = [i]
        stack = [c for c in self.children[i] if self.toks[c].dep not in skip]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children[c])
        return sorted(out)

    def is_nominal(self, i: int) -> bool:
        return self.toks[i].pos in _NOMINAL

    def np_head(self, i: int) -> int:
        """The head of the noun phrase token ``i`` belongs to (through modifiers and
        prepositional attachments to nouns, never past a verb)."""
        t = self.toks[i]
        for _ in range(12):
            h = self.toks[t.head]
            if h.i == t.i:
                break
            if t.dep in CORE_DEPS and self.is_nominal(h.i):
                t = h
            elif t.dep == "pobj" and h.dep == "prep" and h.head != h.i \
                    and self.is_nominal(h.head) and self.toks[h.head].pos != "PRON":
                t = self.toks[h.head]
            elif t.dep == "conj" and self.is_nominal(h.i):
                t = h  # a conjunct belongs to the group its first member heads
            else:
                break
        return t.i

    def core(self, h: int) -> list[int]:
        """Tokens of the noun phrase core of ``h``: its modifiers (and their conjuncts)."""
        out = [h]
        stack = [c for c in self.children[h] if self.toks[c].dep in CORE_DEPS]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(k for k in self.children[c]
                         if self.toks[k].dep in CORE_DEPS | {"conj", "cc"})
        return sorted(out)

    def conj_group(self, h: int) -> list[int]:
        out = [h]
        stack = [c for c in self.children[h] if self.toks[c].dep == "conj"]
        while stack:
            c = stack.pop(0)
            out.append(c)
            stack.extend(k for k in self.children[c] if self.toks[k].dep == "conj")
        return sorted(out)

    # -- codes ------------------------------------------------------------------------

    def _np_parts(self, h: int, depth: int = 0) -> tuple[list[_Match], list[_Match]]:
        """(actor matches, agent matches) of the noun phrase headed by ``h``."""
        seen: list[_Match] = []
        for k in self.core(h):
            m = self.match_at.get(k)
            if m is not None and m not in seen:
                seen.append(m)
        actors = [m for m in seen if m.kind == "actor"]
        agents = [m for m in seen if m.kind == "agent"]
        if not actors and depth < 3:
            for c in self.children[h]:
                if self.toks[c].dep != "prep":
                    continue
                for p in self.children[c]:
                    if self.toks[p].dep != "pobj":
                        continue
                    found: list[_Match] = []
                    inner: list[_Match] = []
                    for g in self.conj_group(p):
                        a, ag = self._np_parts(g, depth + 1)
                        found.extend(a)
                        inner.extend(m for m in ag if m not in inner)
                    if found:
                        return found, [*agents, *inner]
        return actors, agents

    def _codes(self, actors: Sequence[_Match], agents: Sequence[_Match]) -> list[str]:
        pre = [ag.code for m in agents for ag in m.items[:1] if ag.prefix]
        suf = [ag.code for m in agents for ag in m.items[:1] if not ag.prefix]
        roots: list[str] = []
        for m in actors:
            for a in m.items[:1]:
                roots.extend(a.codes_at(self.when))
        if not roots:
            roots = ["---"] if agents else []
        out = []
        for r in roots:
            if r in ("---", "+++", "###") and not agents:
                continue
            code = "".join(pre) + r
            for s in suf:
                if not code.endswith(s):
                    code += s
            out.append(code)
        return out

    def group_codes(self, h: int) -> list[str]:
        """Codes of the noun phrase at ``h`` and its conjuncts."""
        parts = [self._np_parts(g) for g in self.conj_group(h)]
        donor = next((p for p in parts if p[0]), None)
        out: list[str] = []
        for actors, agents in parts:
            if not actors and agents and donor is not None:
                mods = [m for m in donor[1] if all(k != h for k in range(m.i, m.j))]
                lead = [m for m in mods if m.j <= donor[0][0].i or m.i < donor[0][-1].j]
                actors, agents = donor[0], [*lead, *agents]
            out.extend(self._codes(actors, agents))
        return list(dict.fromkeys(out))


# -- matching patterns -----------------------------------------------------------------


@dataclass
class _Bind:
    src: int = -1
    tgt: int = -1
    cmp: int = -1


def _match_seq(ss: _Sent, elems: Sequence[_Elem], seq: Sequence[int], reverse: bool,
               pos: int = 0, bind: _Bind | None = None) -> _Bind | None:
    """Match ``elems`` against token indices ``seq`` from ``pos``; returns the bindings."""
    bind = bind or _Bind()
    if not elems:
        return bind
    e = elems[0]
    starts = [pos] if e.adj else range(pos, len(seq))
    for s in starts:
        for end, b in _consume(ss, e, seq, s, reverse, bind):
            got = _match_seq(ss, elems[1:], seq, reverse, end, b)
            if got is not None:
                return got
    return None


def _consume(ss: _Sent, e: _Elem, seq: Sequence[int], s: int, reverse: bool, bind: _Bind
             ) -> Iterator[tuple[int, _Bind]]:
    if s >= len(seq):
        return
    if e.kind == "word":
        if ss.up[seq[s]] == e.value:
            yield s + 1, bind
        return
    if e.kind == "syn":
        for phrase in ss.kb.synsets.get(e.value, ()):
            words = phrase[::-1] if reverse else phrase
            if tuple(ss.up[k] for k in seq[s:s + len(words)]) == words:
                yield s + len(words), bind
        return
    tok = seq[s]
    if e.kind == "skip":
        for a, b in ss.chunks:
            if (b - 1 if reverse else a) == tok:
                yield _advance(seq, s, b - a), bind
        return
    m = ss.match_at.get(tok)
    if m is None:
        # an actor noun phrase may start with a determiner or adjectives
        chunk = next(((a, b) for a, b in ss.chunks if (b - 1 if reverse else a) == tok), None)
        if chunk is None:
            return
        inner = [ss.match_at[k] for k in range(*chunk) if k in ss.match_at]
        if not inner:
            return
        m = inner[0]
        width = chunk[1] - chunk[0]
    else:
        width = m.j - m.i
        chunk = next(((a, b) for a, b in ss.chunks if a <= m.i < b), None)
        if chunk is not None:
            width = (chunk[1] - tok) if not reverse else (tok - chunk[0] + 1)
    head = ss.np_head(m.j - 1)
    nb = _Bind(bind.src, bind.tgt, bind.cmp)
    setattr(nb, e.kind, head)
    yield _advance(seq, s, width), nb


def _advance(seq: Sequence[int], s: int, width: int) -> int:
    return min(len(seq), s + max(1, width))


# -- the coder -------------------------------------------------------------------------


def _patterns(kb: CodedKB, block: str, cache: dict[str, list[_Pattern]]) -> list[_Pattern]:
    if block not in cache:
        pats = []
        for n, (text, code) in enumerate(kb.blocks[block].patterns):
            p = parse_pattern(text, code, n)
            if p is not None:
                pats.append(p)
        pats.sort(key=lambda p: (-p.size, p.order))
        cache[block] = pats
    return cache[block]


def _verb_entry(ss: _Sent, i: int) -> Any | None:
    t = ss.toks[i]
    if not (t.pos in ("VERB", "AUX") or t.tag.startswith("VB")):
        return None
    best = None
    for vf in ss.kb.verbs.get(t.text.lower(), ()):
        n_before, n_after = len(vf.before), len(vf.after)
        if n_before and [x.lower() for x in ss.up[max(0, i - n_before):i]] != list(vf.before):
            continue
        if n_after and [x.lower() for x in ss.up[i + 1:i + 1 + n_after]] != list(vf.after):
            continue
        if best is None or n_before + n_after > len(best.before) + len(best.after):
            best = vf
    return best


def _subject(ss: _Sent, v: int, depth: int = 0) -> tuple[int, bool, bool]:
    """(subject token or -1, passive, climbed: taken from a governing verb)."""
    for c in ss.children[v]:
        dep = ss.toks[c].dep
        if dep in ("nsubj", "nsubjpass", "csubj"):
            if ss.toks[c].text.lower() in PRONOUNS and ss.toks[c].pos == "PRON" and depth < 4:
                h = ss.toks[v].head
                while h != ss.toks[h].head and ss.toks[h].pos not in ("VERB", "AUX"):
                    h = ss.toks[h].head
                if h != v:
                    s2, _p, _c = _subject(ss, h, depth + 1)
                    if s2 >= 0:
                        return s2, dep == "nsubjpass", False
            return c, dep == "nsubjpass", False
    t = ss.toks[v]
    if depth < 6 and t.head != v and t.dep in SUBJECT_CLIMB:
        s, passive, _ = _subject(ss, t.head, depth + 1)
        if ss.toks[v].dep == "conj":
            return s, passive, False
        return s, False if t.dep != "conj" else passive, s >= 0
    if t.dep == "relcl" and t.head != v:
        return t.head, False, False
    return -1, False, False


def _agent(ss: _Sent, v: int) -> int:
    for c in ss.children[v]:
        if ss.toks[c].dep == "agent":
            for p in ss.children[c]:
                if ss.toks[p].dep == "pobj":
                    return p
    return -1


def code_article(doc: ParsedArticle, ann: Annotations, *, kb: Any) -> Iterator[Event]:
    """Code one parsed article with the imported dictionaries in ``kb.coded``."""
    del ann  # this coder finds its actors in the imported dictionaries
    coded: CodedKB | None = getattr(kb, "coded", None)
    if not coded:
        return
    art = doc.article
    text = art.text
    up_text = " ".join(text.upper().replace("_", " ").split())
    for phrase, scope in coded.discards:
        if scope == "story" and _has_phrase(up_text, phrase):
            return
    cache: dict[str, list[_Pattern]] = {}
    ont = kb.ontology
    for sent in doc.sentences:
        s_up = " ".join(sent.text.upper().replace("_", " ").split())
        if any(scope == "sentence" and _has_phrase(s_up, phrase)
               for phrase, scope in coded.discards):
            continue
        ss = _Sent(sent, text, coded, art.published)
        yield from _code_sentence(ss, doc, cache, ont, kb)


def _has_phrase(text: str, phrase: str) -> bool:
    k = text.find(phrase)
    while k >= 0:
        before = text[k - 1] if k > 0 else " "
        after = text[k + len(phrase)] if k + len(phrase) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        k = text.find(phrase, k + 1)
    return False


def _depth(ss: _Sent, i: int) -> int:
    d = 0
    while ss.toks[i].head != i and d < 50:
        i = ss.toks[i].head
        d += 1
    return d


def _code_sentence(ss: _Sent, doc: ParsedArticle, cache: dict[str, list[_Pattern]],
                   ont: Any, kb: Any) -> Iterator[Event]:
    verbs = [(i, vf) for i in range(len(ss.toks)) if (vf := _verb_entry(ss, i)) is not None]
    verbs.sort(key=lambda x: (_depth(ss, x[0]), x[0]))
    coded_verbs: set[int] = set()
    seen: set[tuple[str, str, str]] = set()
    for v, vf in verbs:
        subj, passive, climbed = _subject(ss, v)
        if climbed and _governed_by(ss, v, coded_verbs):
            continue
        block = ss.kb.blocks.get(vf.block)
        if block is None:
            continue
        skip_dep = frozenset({"conj", "cc"})
        post = [k for k in ss.subtree(v, skip_dep) if k > v]
        pre = list(range(v - 1, -1, -1))
        code, bind = "", _Bind()
        for p in _patterns(ss.kb, vf.block, cache):
            got = _match_seq(ss, p.pre, pre, True)
            if got is None:
                continue
            got = _match_seq(ss, p.post, post, False, 0, got)
            if got is not None:
                code, bind = p.code, got
                break
        if not code:
            code = vf.code or block.code
        code = code.strip()
        if not code or code.startswith("---"):
            continue
        pairs = _pairs(ss, v, subj, passive, post, bind)
        if not pairs:
            continue
        coded_verbs.add(v)
        first, _, second = code.partition(":")
        for src, tgt in pairs:
            for s_code, c, t_code in ((src, first, tgt), (tgt, second, src)):
                if not c or c.startswith("---"):
                    continue
                key = (s_code, c, t_code)
                if key in seen or s_code == t_code:
                    continue
                seen.add(key)
                yield _event(ss, doc, v, s_code, c, t_code, ont, kb)


def _governed_by(ss: _Sent, v: int, coded: set[int]) -> bool:
    t = ss.toks[v]
    for _ in range(8):
        if t.head == t.i or t.dep == "conj":
            return False
        t = ss.toks[t.head]
        if t.i in coded:
            return True
    return False


def _pairs(ss: _Sent, v: int, subj: int, passive: bool, post: list[int], bind: _Bind
           ) -> list[tuple[str, str]]:
    if bind.cmp >= 0:
        members = ss.group_codes(bind.cmp)
        return [(a, b) for n, a in enumerate(members) for b in members[n + 1:]]
    src_tok = bind.src
    tgt_tok = bind.tgt
    if src_tok < 0:
        if passive:
            src_tok = _agent(ss, v)
            if tgt_tok < 0:
                tgt_tok = subj
        else:
            src_tok = subj
    sources = ss.group_codes(ss.np_head(src_tok)) if src_tok >= 0 else []
    if not sources:
        return []
    if tgt_tok < 0:
        src_span = set(ss.subtree(src_tok)) if src_tok >= 0 else set()
        for k in post:
            if k in ss.match_at and k not in src_span:
                tgt_tok = k
                break
    targets = ss.group_codes(ss.np_head(tgt_tok)) if tgt_tok >= 0 else []
    return [(s, t) for s in sources for t in targets]


def _entity(code: str, kb: Any) -> Entity:
    root = code[:3] if code[:3].isalpha() and code[:3] != "---" else ""
    role = code[3:6] if len(code) >= 6 else ""
    sectors = getattr(getattr(kb, "actors", None), "sectors", {}) or {}
    sector = next((k for k, info in sectors.items() if info.cameo and info.cameo == role), "")
    return Entity(code=root, sector=sector, name=code, text=code, cameo=code)


def _event(ss: _Sent, doc: ParsedArticle, v: int, src: str, code: str, tgt: str, ont: Any,
           kb: Any) -> Event:
    art = doc.article
    tok: Token = ss.toks[v]
    mapping = None
    for c in (code, code[:3], code[:2] + "0"):
        mapping = ont.cameo_to_plover.get(c)
        if mapping is not None:
            break
    etype = mapping.event if mapping is not None else ""
    eid = "e" + hashlib.sha256(f"{art.id}|{ss.s.index}|{v}|{src}|{code}|{tgt}".encode()
                               ).hexdigest()[:16]
    return Event(
        id=eid, article_id=art.id, event_type=etype, cameo=code,
        goldstein=ont.goldstein(code), quad_class=ont.quad_class(etype) if etype else 0,
        intensity=ont.intensity(etype) if etype else 0.0, date=art.published,
        date_precision="day", date_basis="publication", date_text="",
        published=art.published,
        actor=(_entity(src, kb),) if src != "---" else (),
        recipient=(_entity(tgt, kb),) if tgt != "---" else (),
        evidence=Evidence(sentence=ss.s.text, sentence_index=ss.s.index, start=ss.s.start,
                          end=ss.s.end, trigger=tok.text, trigger_start=tok.start,
                          trigger_end=tok.end, url=art.url),
        mode=(mapping.mode,) if mapping is not None and mapping.mode else (),
        context=tuple(mapping.context) if mapping is not None else (),
        factuality=Factuality(), confidence=0.5, coder=CODER,
        kb_version=getattr(kb, "version", ""))
