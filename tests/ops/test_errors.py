"""What the operator gets when something named does not exist or a broker/database does not answer: one line
on stderr, a non-zero exit code, never a traceback."""

from __future__ import annotations

import pytest

from ops_support import planner_ops

pytestmark = pytest.mark.integration


def one_line(ran) -> str:
    assert "Traceback" not in ran.stderr + ran.stdout
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("planner-ops: ")
    return lines[0]


@pytest.mark.parametrize("args", [["tail", "no-such-topic.v1", "--no-follow"], ["dlq", "list", "no-such-topic.v1"],
                                  ["dlq", "retry", "no-such-topic.v1"]])
def test_an_unknown_topic_is_one_line_and_exit_2(args):
    ran = planner_ops(*args)
    assert ran.code == 2
    assert "unknown topic 'no-such-topic.v1'" in one_line(ran)


def test_an_unknown_service_is_one_line():
    ran = planner_ops("republish", "billing")
    assert ran.code == 2
    assert "unknown service 'billing'" in one_line(ran)


def test_an_unknown_database_is_one_line():
    ran = planner_ops("lag", "--database", "no_such_database")
    assert ran.code == 2 and "no database 'no_such_database'" in one_line(ran)


def test_a_bad_duration_is_one_line():
    ran = planner_ops("stuck", "--older-than", "soon")
    assert ran.code == 2 and "not a duration" in one_line(ran)


@pytest.mark.parametrize("args", [["lag"], ["tail", "users.v1"], ["dlq", "list", "users.v1"],
                                  ["dlq", "retry", "users.v1"]])
def test_an_unreachable_broker_is_one_line_and_exit_3(args):
    ran = planner_ops(*args, env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"})
    assert ran.code == 3
    assert "Kafka is unreachable at 127.0.0.1:9" in one_line(ran)


@pytest.mark.parametrize("args", [["stuck"], ["lag"]])
def test_an_unreachable_database_is_one_line_and_exit_3(args):
    ran = planner_ops(*args, env={"POSTGRES_PORT": "9"})
    assert ran.code == 3
    assert "PostgreSQL is unreachable" in one_line(ran)


@pytest.mark.parametrize("command", [["lag"], ["tail"], ["republish"], ["stuck"], ["dlq", "list"], ["dlq", "retry"]])
def test_every_command_has_help_with_an_example(command):
    ran = planner_ops(*command, "--help")
    assert ran.code == 0
    assert "Examples" in ran.stdout and "planner-ops " in ran.stdout
