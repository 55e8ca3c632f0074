"""What the READMEs name exists: every repository path, `make` target, console script, `python -m` module and
`planner-ops` command. (The routes, gateway pages and the curl quick-start are checked against the running
system in tests/e2e/test_docs.py.)"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `python -m deploy.…` modules are run from the repository's root
READMES = sorted([ROOT / "README.md", *ROOT.glob("services/*/README.md"), *ROOT.glob("libs/*/README.md"),
                  *ROOT.glob("ops/README.md")])
# Paths that exist only at run time (data, caches, the virtualenv) or on another machine.
RUNTIME = (".data", "$EP_DATA", "$LOG_DIR", ".cache", ".venv", "/", "~", "http", "$GW")
TOP = {p.name for p in ROOT.iterdir()}
# Files the text tells you to create, not ones it says exist.
EXAMPLES = {"tests/golden/UserRegistered.v2.json"}
SOURCE_DIRS = [p for p in ROOT.iterdir() if p.is_dir() and p.name not in {".venv", ".data", ".cache", ".git"}]
FILE_SUFFIXES = (".py", ".sh", ".md", ".json", ".yml", ".yaml", ".toml", ".html", ".template", ".txt", ".lock")


def text(readme: Path) -> str:
    return readme.read_text(encoding="utf-8")


def code_spans(readme: Path) -> list[str]:
    """Inline code and the lines of fenced blocks."""
    body = text(readme)
    blocks = re.findall(r"```[a-z]*\n(.*?)```", body, re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", body, flags=re.S))
    return inline + [line for block in blocks for line in block.splitlines()]


def path_claims(readme: Path) -> set[str]:
    claims = set()
    for span in code_spans(readme):
        for word in span.split():
            word = word.strip("(),;:'\"").split("#")[0]
            if not word or word.startswith(RUNTIME) or "://" in word or "=" in word:
                continue
            if "/" in word or word.endswith(FILE_SUFFIXES):
                first = word.split("/")[0]
                if first in TOP or word.endswith(FILE_SUFFIXES):
                    claims.add(word)
    # Markdown links to files of the repository.
    claims |= {link for link in re.findall(r"\]\(([^)#\s]+)\)", text(readme)) if "://" not in link}
    return claims - EXAMPLES


def exists(claim: str, base: Path) -> bool:
    """A path relative to the README or the repository; `<name>` matches any one segment; a bare file name or a
    package-relative path (`spine/liveness.py`) may be anywhere in the repository."""
    pattern = re.sub(r"<[^>]+>", "*", claim.rstrip("/"))
    for root in (base, ROOT):
        if any(root.glob(pattern)) if "*" in pattern else (root / pattern).exists():
            return True
    # Relative to some package (`spine/liveness.py`, `templates/<locale>/<kind>.txt`).
    return any(any(d.glob(f"**/{pattern}")) for d in SOURCE_DIRS)


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_named_exists(readme):
    missing = sorted(c for c in path_claims(readme) if not exists(c, readme.parent))
    assert missing == [], f"{readme.relative_to(ROOT)} names paths that are not in the repository"


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_named_exists(readme):
    named = {t for span in code_spans(readme) for t in re.findall(r"\bmake ([a-z0-9-]+)", span)}
    assert named - make_targets() == set()


def console_scripts() -> set[str]:
    scripts = set()
    for pyproject in ROOT.glob("**/pyproject.toml"):
        if ".venv" in pyproject.parts:
            continue
        scripts |= set(tomllib.loads(pyproject.read_text()).get("project", {}).get("scripts", {}))
    return scripts


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_console_script_and_module_named_exists(readme):
    spans = code_spans(readme)
    scripts = {s for span in spans for s in re.findall(r"\.venv/bin/([a-z][a-z0-9_-]+)", span)}
    known = console_scripts() | {"python", "pytest", "honcho", "uvicorn"}
    assert scripts - known == set(), "console scripts the README names but no pyproject.toml declares"
    modules = {m for span in spans for m in re.findall(r"python3? -m ([a-z_][a-z0-9_.]*)", span)}
    assert {m for m in modules if importlib.util.find_spec(m) is None} == set()


def planner_ops_commands() -> set[str]:
    from planner_ops.cli import app  # the typer app behind the console script

    import typer.main

    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        names |= {f"{name} {sub}" for sub in getattr(command, "commands", {})}
    return names


def test_every_planner_ops_command_named_exists():
    known = planner_ops_commands()
    groups = {name.split()[0] for name in known if " " in name}
    named = set()
    for readme in READMES:
        for span in code_spans(readme):
            for command, sub in re.findall(r"planner-ops ([a-z]+)(?: ([a-z]+))?", span):
                named.add(f"{command} {sub}" if command in groups and sub else command)
    assert {"lag", "tail", "dlq list", "replay"} <= named, "the README's planner-ops commands were not found"
    assert named - known == set()


def test_no_readme_points_at_documents_outside_the_repository():
    """DESIGN.md and notes/ live beside the repository, not in it: a reader of the repository cannot follow them."""
    stale = [f"{r.relative_to(ROOT)}: {m}" for r in READMES for m in re.findall(r"DESIGN(?:\.md)?\s*§?\s*\d*|notes/\w+\.md",
                                                                                 text(r))]
    assert stale == []
