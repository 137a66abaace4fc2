"""ingest: files, directories, globs and stdin; order, hidden files, symlink loops."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from detente.errors import InputNotFound, UnknownName, UsageError
from detente.ingest import list_inputs, read, read_file
from detente.records import Article, Reject

DATA = Path(__file__).parent / "data" / "ingest"


def _story(path: Path, day: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"date {day} {body}\n\n{body} Body.\n", encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    _story(root / "b.txt", "2021-01-02", "Bee.")
    _story(root / "a.txt", "2021-01-01", "Ay.")
    _story(root / "sub" / "c.txt", "2021-01-03", "Sea.")
    _story(root / "sub" / "deeper" / "d.txt", "2021-01-04", "Dee.")
    _story(root / ".hidden.txt", "2021-01-05", "Hidden file.")
    _story(root / ".git" / "e.txt", "2021-01-06", "Hidden directory.")
    (root / "README.md").write_text("Not an article.", encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return root


class _Pipe(io.RawIOBase):
    """A non-seekable byte stream, like standard input."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b: Any) -> int:
        chunk = self._buf.read(min(len(b), 7))  # short reads, as pipes give
        b[: len(chunk)] = chunk
        return len(chunk)


def _pipe(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(_Pipe(data))


def test_ingest_directory_is_recursive_sorted_and_skips_hidden(tree: Path) -> None:
    items = list(read([tree]))
    assert all(isinstance(x, Article) for x in items)
    names = [Path(x.source).relative_to(tree).as_posix() for x in items]
    assert names == ["a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt"]


def test_ingest_list_inputs_matches_read(tree: Path) -> None:
    listed = list_inputs([tree])
    assert [p.name for p in listed] == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert [str(p) for p in listed] == [x.source for x in read([tree])]


def test_ingest_explicit_file_with_unknown_extension_is_read(tree: Path) -> None:
    (item,) = list(read([tree / "README.md"], date=date(2021, 1, 1)))
    assert isinstance(item, Article) and item.text == "Not an article."
    (png,) = list(read([tree / "image.png"], date=date(2021, 1, 1)))
    assert isinstance(png, Reject) and png.code == "E107"


def test_ingest_symlink_loop_is_walked_once(tree: Path) -> None:
    os.symlink(tree, tree / "sub" / "loop")
    os.symlink(tree / "a.txt", tree / "sub" / "also-a.txt")
    names = [Path(x.source).name for x in read([tree])]
    assert sorted(names) == ["a.txt", "b.txt", "c.txt", "d.txt"]


def test_ingest_same_file_given_twice_is_read_once(tree: Path) -> None:
    assert len(list(read([tree / "a.txt", tree / "a.txt", tree]))) == 4


def test_ingest_glob_is_expanded_by_detente(tree: Path) -> None:
    items = list(read([str(tree / "**" / "*.txt")]))
    assert sorted(Path(x.source).name for x in items) == ["a.txt", "b.txt", "c.txt", "d.txt"]
    only_b = list(read([str(tree / "b*")]))
    assert [Path(x.source).name for x in only_b] == ["b.txt"]


def test_ingest_arguments_keep_their_order(tree: Path) -> None:
    items = list(read([tree / "b.txt", tree / "a.txt"]))
    assert [Path(x.source).name for x in items] == ["b.txt", "a.txt"]


@pytest.mark.parametrize("missing", ["nope.txt", "nope/*.txt", "no-dir/"])
def test_ingest_missing_path_raises_at_call_time(tree: Path, missing: str) -> None:
    with pytest.raises(InputNotFound) as info:
        read([tree / "a.txt", str(tree / missing)])
    assert info.value.code == "E101"
    with pytest.raises(InputNotFound):
        list_inputs([str(tree / missing)])
    with pytest.raises(InputNotFound):
        read_file(tree / missing)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"fmt": "docx"}, UnknownName),
        ({"encoding": "no-such-codec"}, UnknownName),
        ({"max_bytes": 0}, UsageError),
        ({"max_bytes": "10"}, UsageError),
    ],
)
def test_ingest_bad_options_are_usage_errors(tree: Path, options: dict[str, Any],
                                             error: type[Exception]) -> None:
    with pytest.raises(error):
        read([tree], **options)


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        (b"date 2021-10-01 From a pipe.\n\nBody.", None, ["Article"]),
        (b'{"date": "2021-10-01", "text": "One."}\n{"text": "no date"}\n', None,
         ["Article", "E104"]),
        (b'{"date": "2021-10-01", "text": "One."}\n', "jsonl", ["Article"]),
        (b"id,date,text\n1,2021-10-01,Row one.\n", "csv", ["Article"]),
        (b"Plain text from a pipe.", None, ["E104"]),
        (b"", None, ["E103"]),
    ],
)
def test_ingest_stdin(data: bytes, fmt: str | None, expected: list[str]) -> None:
    stream = _pipe(data)
    items = list(read(["-"], fmt=fmt, stdin=stream))
    assert [x.code if isinstance(x, Reject) else "Article" for x in items] == expected
    assert all(x.source.startswith("<stdin>") for x in items)


def test_ingest_stdin_with_date_option_and_files(tree: Path) -> None:
    stream = _pipe(b"Plain text from a pipe.")
    items = list(read([tree / "a.txt", "-"], date=date(2022, 2, 2), stdin=stream))
    assert [x.source for x in items] == [str(tree / "a.txt"), "<stdin>"]
    assert isinstance(items[1], Article) and items[1].published == date(2022, 2, 2)


def test_ingest_long_jsonl_from_a_pipe_streams(tmp_path: Path) -> None:
    lines = b"".join(
        b'{"date": "2021-10-01", "text": "Story number %d."}\n' % i for i in range(3000)
    )
    stream = _pipe(lines)
    items = list(read(["-"], fmt="jsonl", stdin=stream))
    assert len(items) == 3000 and all(isinstance(x, Article) for x in items)
    assert items[-1].source == "<stdin>:3000"


def test_ingest_mixed_directory_of_fixtures() -> None:
    items = list(read([DATA]))
    arts = [x for x in items if isinstance(x, Article)]
    rejs = [x for x in items if isinstance(x, Reject)]
    assert len(arts) == 16
    assert len(rejs) == 14
    assert {r.stage for r in rejs} == {"ingest"}
