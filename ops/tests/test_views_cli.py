"""`planner-ops replay|verify` as an operator runs them: clear one-line errors, exit codes, differences printed."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from typer.testing import CliRunner

from spine.projector import ProjectionStore
from spine.settings import InfraSettings
from spine.testing import fresh_database

from events_service.projections.catalogue import CatalogueProjection
from planner_ops.cli import app

pytestmark = pytest.mark.integration

runner = CliRunner()


def test_an_unknown_view_is_a_one_line_error_and_a_non_zero_exit():
    for command in (["replay", "nope"], ["verify", "nope"], ["replay"], ["verify", "catalogue", "--all"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception,
                                                                                          SystemExit)
    result = runner.invoke(app, ["replay", "nope"])
    assert result.output.strip().count("\n") == 0 and "unknown view 'nope'" in result.output


def test_an_unreachable_database_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("POSTGRES_PORT", "1")
    result = runner.invoke(app, ["verify", "catalogue"])
    assert result.exit_code == 2
    assert "unreachable" in result.output and "Traceback" not in result.output


def test_verify_exits_non_zero_and_prints_a_row_the_rebuild_does_not_have(monkeypatch):
    with fresh_database("ops_verify") as name:
        conninfo = InfraSettings().conninfo(name)
        ProjectionStore(conninfo).setup(CatalogueProjection())
        monkeypatch.setenv("EVENTS_DATABASE", name)
        assert runner.invoke(app, ["verify", "catalogue"]).exit_code == 0  # nothing applied: equal
        now = datetime.now(UTC)
        with psycopg.connect(conninfo) as conn:
            conn.execute("INSERT INTO catalogue (event_id, title, description, start_time, duration_minutes,"
                         " max_participants, seats_available, is_paid, allowed_payment_methods, tags, created_by,"
                         " created_at, updated_at, status, version) VALUES (gen_random_uuid(), 'Forged', '', %s,"
                         " 60, 5, 5, false, '{}', '{}', gen_random_uuid(), %s, %s, 'scheduled', 1)", (now, now, now))
        result = runner.invoke(app, ["verify", "catalogue"])
        assert result.exit_code == 1
        assert "only in the live view" in result.output and "Forged" in result.output
        assert "catalogue: 0 messages rebuilt, 1 differ" in result.output
