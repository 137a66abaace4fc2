"""The pruned phrase lookup of the actors stage finds exactly what trying every span did.

The actors stage used to look up every token span of up to ``max_tokens + 3`` tokens; it
now stops growing a span as soon as no phrase key starts with its normalised text
(:meth:`ActorKB.has_prefix`). These tests keep the old exhaustive search as the reference
and compare both on real sentences (the bundled examples, tokenised by a regex so no model
is needed) and on hand-made edge cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detente import api
from detente.actorkb import ActorKB, norm
from detente.actors import _PRIORITY, _keep_unit, _lookup_units, _surface, _Unit
from detente.records import Sentence, Token

ROOT = Path(__file__).resolve().parents[1]
_TOKEN = re.compile(r"\w+(?:[-.]\w+)*\.?|'s|\S")


def _reference(sent: Sentence, text: str, kb: ActorKB) -> tuple[list[_Unit], list[_Unit]]:
    """The exhaustive longest-first lookup (the behaviour before pruning)."""
    toks = sent.tokens
    n = len(toks)
    units: list[_Unit] = []
    objs: list[_Unit] = []
    span = kb.max_tokens + 3
    i = 0
    while i < n:
        if toks[i].pos in ("PUNCT", "SPACE") and toks[i].text not in ("-",):
            i += 1
            continue
        found = False
        for k in range(min(span, n - i), 0, -1):
            j = i + k
            start, end, surf = _surface(text, toks, i, j)
            if "\n" in surf:
                continue
            hits = kb.lookup(surf)
            if not hits and k == 1 and surf.endswith("s") and len(surf) > 3 \
                    and surf[-2].isdigit():
                hits = tuple(h for h in kb.lookup(surf[:-1]) if h.feature == "object")
            if not hits:
                continue
            obj = [h for h in hits if h.feature == "object"]
            act = sorted((h for h in hits if h.feature != "object"),
                         key=lambda h: _PRIORITY.get(h.feature, 99))
            if obj:
                objs.append(_Unit(i, j, obj[0], surf, start, end))
            if act:
                units.append(_Unit(i, j, act[0], surf, start, end))
            i = j
            found = True
            break
        if not found:
            i += 1
    return [u for u in units if _keep_unit(sent, u)], objs


def _sentence(text: str) -> Sentence:
    toks = tuple(
        Token(i=k, text=m.group(), lemma=m.group().lower(),
              pos="PUNCT" if not m.group()[0].isalnum() else "PROPN", tag="NNP", dep="dep",
              head=k, start=m.start())
        for k, m in enumerate(_TOKEN.finditer(text)))
    return Sentence(index=0, start=0, end=len(text), text=text, tokens=toks)


def _texts() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "examples").glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        out.extend(p for p in re.split(r"(?<=[.!?])\s+", body) if p.strip())
    return out


EDGE_CASES = [
    "The United States of America and the United Kingdom met in Washington.",
    "President Joe Biden told the Kremlin that the F-35s and S-400 were not for sale.",
    "THE UNITED STATES urged TURKEY to stop; the european union said no.",
    "Ankara\nWashington talks, the Democratic Republic of the Congo, Côte d'Ivoire.",
    "the   North   Atlantic Treaty Organization (NATO) and the U.N. Security Council",
    "ΟΔΟΣ Σ Athens",
    "",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_actors_lookup_pruned_equals_exhaustive_edge_cases(text: str) -> None:
    kb = api.knowledge().actors
    sent = _sentence(text)
    assert _lookup_units(sent, text, kb) == _reference(sent, text, kb)


def test_actors_lookup_pruned_equals_exhaustive_on_examples() -> None:
    kb = api.knowledge().actors
    texts = _texts()
    assert len(texts) > 50
    found = 0
    for text in texts:
        sent = _sentence(text)
        got = _lookup_units(sent, text, kb)
        assert got == _reference(sent, text, kb), text
        found += len(got[0]) + len(got[1])
    assert found > 50  # the comparison is not vacuous


def test_actorkb_has_prefix() -> None:
    kb = api.knowledge().actors
    assert kb.has_prefix(norm("United"))
    assert kb.has_prefix(norm("United States"))
    assert kb.has_prefix("")
    assert not kb.has_prefix("zzqx unlikely phrase")
    assert all(kb.has_prefix(k) for k in list(kb.phrases)[:500])
