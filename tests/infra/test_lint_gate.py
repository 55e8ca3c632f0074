"""`make test` (so CI's `.ci/run`) lints before the suite: ruff, then mypy, then pytest; and the lint configuration
has no blanket ignores (issue 9). Checked with `make -n`, which prints the commands without running them."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.unit


def planned(*args: str) -> list[str]:
    out = subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()


def position(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


def test_make_test_runs_ruff_then_mypy_then_the_suite():
    lines = planned("test")
    ruff, mypy, suite = (position(lines, n) for n in (".venv/bin/ruff check", ".venv/bin/mypy", "run_tests.sh"))
    assert ruff < mypy < suite, lines


def test_skip_lint_runs_the_suite_alone():
    lines = planned("test", "SKIP_LINT=1")
    assert not any(".venv/bin/ruff" in line or ".venv/bin/mypy" in line for line in lines), lines
    assert any("run_tests.sh" in line for line in lines)


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_no_blanket_ignores():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lint = config["tool"]["ruff"]["lint"]
    assert {"E", "F", "B", "UP", "I"} <= set(lint["select"])
    assert not lint.get("ignore") and not lint.get("per-file-ignores")
    mypy = config["tool"]["mypy"]
    assert not mypy.get("ignore_errors") and not mypy.get("ignore_missing_imports")
    for override in mypy.get("overrides", []):
        # Only "this library ships no types", never "do not check this code".
        assert set(override) <= {"module", "ignore_missing_imports"}, override
