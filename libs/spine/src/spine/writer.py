"""One writer per process: async callers hand commands to a queue; one task drains it into batches (group commit).

During a rush, dozens of concurrent requests that each load, change and save the same aggregate would keep
invalidating each other's version (and each pay a transaction). Here every command waits in one queue; a
single task takes all that are waiting (up to `max_batch`), runs them together in one call of `apply_batch`
(one transaction, on one dedicated thread: the event store is synchronous), and answers each caller after
that call returned, i.e. after COMMIT. Batches form by themselves: the busier the queue, the bigger the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from spine.metrics import WRITER_BATCH_SECONDS, WRITER_BATCH_SIZE

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("spine.writer")

BatchFn = Callable[[Sequence[T]], Sequence["R | BaseException"]]


class WriterClosed(RuntimeError):
    """The writer was closed; the command was not run."""


class GroupCommitWriter(Generic[T, R]):
    """`await writer.submit(command)` → its result, or raises its own error; a whole-batch failure (e.g. the
    database is down) is raised to every caller of that batch.

    `apply_batch(commands)` returns one result or exception per command, in order. It runs on the writer's
    own thread, never two at once; the event loop stays free meanwhile.
    """

    def __init__(self, apply_batch: BatchFn, *, max_batch: int = 256, name: str = "writer"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._apply = apply_batch
        self.max_batch = max_batch
        self.name = name
        # One queue and task per event loop (a server has one; test clients may run several), all feeding
        # the same single thread: batches never overlap.
        self._lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[asyncio.Queue, asyncio.Task]] = (
            weakref.WeakKeyDictionary())
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False
        self.submitted = 0  # commands handed in
        self.batches = 0  # batches run
        self.commands = 0  # commands run

    async def submit(self, command: T) -> R:
        """Queue `command`, wait until its batch committed; its result, or its error raised."""
        if self._closed:
            raise WriterClosed(f"{self.name} is closed")
        queue = self._lane()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        queue.put_nowait((command, future))
        self.submitted += 1
        return await future

    def _lane(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        if lane is None or lane[1].done():
            queue: asyncio.Queue = asyncio.Queue()
            lane = self._lanes[loop] = (queue, loop.create_task(self._run(queue), name=self.name))
        return lane[0]

    async def _run(self, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            live = [(c, f) for c, f in batch if not f.cancelled()]
            if not live:
                continue
            commands = [c for c, _ in live]
            started = time.monotonic()
            try:
                results = await loop.run_in_executor(self._thread, self._apply, commands)
                if len(results) != len(commands):
                    raise RuntimeError(f"{self.name}: {len(results)} results for {len(commands)} commands")
            except BaseException as exc:  # noqa: BLE001 — the whole batch failed: every caller hears it
                if isinstance(exc, asyncio.CancelledError):
                    for _, future in live:
                        if not future.done():
                            future.set_exception(WriterClosed(f"{self.name} stopped"))
                    raise
                log.warning("group_commit_failed", extra={"writer": self.name, "commands": len(commands),
                                                          "error": repr(exc)})
                results = [exc] * len(commands)
            self.batches += 1
            self.commands += len(commands)
            WRITER_BATCH_SIZE.labels(self.name).observe(len(commands))
            WRITER_BATCH_SECONDS.labels(self.name).observe(time.monotonic() - started)
            for (_, future), result in zip(live, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def aclose(self) -> None:
        """Stop taking commands; the batch in flight finishes, queued ones hear WriterClosed."""
        self._closed = True
        lane = self._lanes.pop(asyncio.get_running_loop(), None)
        if lane is not None:
            queue, task = lane
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            while not queue.empty():
                _, future = queue.get_nowait()
                if not future.done():
                    future.set_exception(WriterClosed(f"{self.name} is closed"))
        self._thread.shutdown(wait=True)

    def close(self) -> None:
        """Synchronous shutdown of the thread (the task dies with its loop)."""
        self._closed = True
        self._thread.shutdown(wait=False)
