"""The single writer: commands waiting together run as one batch, each caller hears its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from spine.writer import GroupCommitWriter, WriterClosed

pytestmark = pytest.mark.unit


class Refused(Exception):
    pass


def test_commands_waiting_together_form_one_batch_and_each_gets_its_own_result():
    batches: list[list[int]] = []
    plug = threading.Event()

    def apply(commands: Sequence[int]) -> list[int | BaseException]:
        plug.wait(5)
        batches.append(list(commands))
        return [Refused(c) if c % 3 == 0 else c * 10 for c in commands]

    async def main() -> list[object]:
        writer: GroupCommitWriter[int, int] = GroupCommitWriter(apply)
        first = asyncio.ensure_future(writer.submit(1))  # taken at once; the thread blocks on the plug
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(writer.submit(n)) for n in range(2, 7)]
        await asyncio.sleep(0.05)
        plug.set()
        outcome = await asyncio.gather(first, *rest, return_exceptions=True)
        await writer.aclose()
        return outcome

    outcome = asyncio.run(main())
    assert batches == [[1], [2, 3, 4, 5, 6]]  # the five that waited meanwhile: one batch, in arrival order
    assert [o if isinstance(o, int) else type(o) for o in outcome] == [10, 20, Refused, 40, 50, Refused]


def test_a_failed_batch_is_every_callers_error_and_the_writer_goes_on():
    calls = []

    def apply(commands: Sequence[str]) -> list[str]:
        calls.append(list(commands))
        if "boom" in commands:
            raise ConnectionError("database down")
        return [c.upper() for c in commands]

    async def main() -> tuple[object, object]:
        writer: GroupCommitWriter[str, str] = GroupCommitWriter(apply)
        failed = await asyncio.gather(writer.submit("boom"), return_exceptions=True)
        ok = await writer.submit("fine")
        await writer.aclose()
        with pytest.raises(WriterClosed):
            await writer.submit("late")
        return failed[0], ok

    failed, ok = asyncio.run(main())
    assert isinstance(failed, ConnectionError) and ok == "FINE"


def test_batches_never_exceed_max_batch():
    sizes = []

    def apply(commands: Sequence[int]) -> list[int]:
        sizes.append(len(commands))
        return list(commands)

    async def main() -> list[int]:
        writer: GroupCommitWriter[int, int] = GroupCommitWriter(apply, max_batch=4)
        results = await asyncio.gather(*(writer.submit(n) for n in range(10)))
        await writer.aclose()
        return results

    assert asyncio.run(main()) == list(range(10))
    assert max(sizes) <= 4 and sum(sizes) == 10
