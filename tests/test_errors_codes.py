"""Meta-tests: error codes are unique, well-formed, documented, and raised somewhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from detente import errors
from detente.errors import DetenteError, KnowledgeError

SRC = Path(errors.__file__).parent


def all_error_classes() -> list[type[DetenteError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, DetenteError)]


def test_errors_codes_are_unique_and_well_formed() -> None:
    codes = [c.code for c in all_error_classes()]
    assert len(codes) == len(set(codes)), codes
    assert all(re.fullmatch(r"E\d{3}", c) for c in codes)


def test_errors_every_code_is_raised_somewhere() -> None:
    """Every concrete error class is used by the library (not only defined)."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")
                        if p.name != "errors.py")
    unused = [c.__name__ for c in all_error_classes()
              if c.__name__ not in {"DetenteError", "IngestError"}
              and not re.search(rf"\b{c.__name__}\b", sources)
              and c.code not in sources]
    assert not unused, f"error classes never raised: {unused}"


@pytest.mark.parametrize("cls", all_error_classes())
def test_errors_have_http_status_and_dict(cls: type[DetenteError]) -> None:
    exc = KnowledgeError("f.yaml", "k", "bad") if cls is KnowledgeError else cls("boom")
    d = exc.to_dict()
    assert d["code"] == cls.code
    assert 400 <= cls.http_status <= 599
    assert str(exc).startswith(f"[{cls.code}]")


def test_errors_knowledge_error_names_file_key_problem() -> None:
    exc = KnowledgeError("actors/people.yaml", "biden", "term end before start")
    assert exc.message == "actors/people.yaml -> biden: term end before start"
    assert exc.fields == {"file": "actors/people.yaml", "key": "biden",
                          "problem": "term end before start"}
