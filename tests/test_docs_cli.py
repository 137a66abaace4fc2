"""docs/cli.md is generated from the app and must match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_cli_reference_is_current(tmp_path: Path) -> None:
    target = tmp_path / "cli.md"
    subprocess.run([sys.executable, "-m", "typer", "detente.cli", "utils", "docs", "--name",
                    "detente", "--output", str(target)], check=True, capture_output=True)
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == current, "run `make docs` and commit"
