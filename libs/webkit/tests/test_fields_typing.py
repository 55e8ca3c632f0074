"""The bounded field types are `Annotated` metadata: mypy reads the plain type behind them, and pydantic
still gives the same schema and validation as when they were written as calls (`title: Line(100)`)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Any

import pytest
from mypy import api as mypy_api
from pydantic import TypeAdapter, ValidationError

from webkit.fields import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, BoundedJson, Line, LowerLine, Text

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def test_the_schema_states_the_same_bounds():
    assert TypeAdapter(Annotated[str, Line(5, min_length=1)]).json_schema() == {
        "type": "string", "minLength": 1, "maxLength": 5, "pattern": SINGLE_LINE_PATTERN}
    assert TypeAdapter(Annotated[str, Text(7)]).json_schema() == {
        "type": "string", "minLength": 0, "maxLength": 7, "pattern": MULTI_LINE_PATTERN}
    assert TypeAdapter(Annotated[str, LowerLine(3)]).json_schema() == {
        "type": "string", "minLength": 0, "maxLength": 3, "pattern": SINGLE_LINE_PATTERN}
    assert TypeAdapter(Annotated[Any, BoundedJson(10, max_depth=2)]).json_schema() == {
        "description": "Any JSON value of at most 10 bytes, nested at most 2 deep.",
        "x-max-bytes": 10, "x-max-depth": 2}


def test_validation_is_unchanged():
    lower = TypeAdapter(Annotated[str, LowerLine(3)])
    assert lower.validate_python("  ABC ") == "abc"
    with pytest.raises(ValidationError, match="once lower-cased"):
        lower.validate_python("İİ")  # two characters, three once lower-cased
    with pytest.raises(ValidationError):
        TypeAdapter(Annotated[str, Line(10)]).validate_python("a\nb")
    assert TypeAdapter(Annotated[str, Text(10)]).validate_python("a\nb") == "a\nb"
    with pytest.raises(ValidationError, match="at most 4 bytes"):
        TypeAdapter(Annotated[Any, BoundedJson(4)]).validate_python({"a": 1})


def test_mypy_reads_the_type_behind_the_bounds(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # pyproject's mypy_path is relative to the repository root
    module = tmp_path / "uses_fields.py"
    module.write_text(textwrap.dedent("""
        from typing import Annotated, Any
        from pydantic import BaseModel
        from webkit.fields import BoundedJson, Line, LowerLine

        class Note(BaseModel):
            title: Annotated[str, Line(20, min_length=1)]
            tags: list[Annotated[str, LowerLine(5)]] = []
            extra: Annotated[Any, BoundedJson(64)] = None

        def shout(note: Note) -> str:
            return note.title.upper() + ",".join(note.tags)

        def wrong(note: Note) -> int:
            return note.title
    """))
    # The repository's cache: warm after `make lint-types`, which `make test` runs first.
    out, _, status = mypy_api.run([str(module), "--config-file", str(ROOT / "pyproject.toml")])
    errors = [line for line in out.splitlines() if ": error:" in line]
    # Only the deliberate mistake: a str returned as int. No "invalid type" for the bounded annotations.
    assert len(errors) == 1 and 'got "str", expected "int"' in errors[0], out
    assert status == 1
