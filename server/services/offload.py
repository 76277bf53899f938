"""CPU-heavy work off the event loop, bounded, so that scans keep their latency.

The hard part is not running a function elsewhere but making sure the elsewhere cannot
starve the requests that matter:

- Processes, not threads. Label rendering (reportlab, PIL, qrcode) is pure Python that holds
  the GIL; in a thread it would still take turns with the event loop. A process pool of
  `TAGTRACK_CPU_WORKERS` processes (default: all cores but one, at least one) runs it. The
  pool starts on first use, so a server that never prints pays nothing, and each worker
  lowers its own CPU priority (nice 10): when the machine is busy the kernel runs the
  server's process, i.e. the scans, before a batch job.
- A bound on waiting work. At most `workers + TAGTRACK_CPU_QUEUE` jobs are admitted at
  once (per server process); the next one is refused at once with `Busy` (503 and
  Retry-After) rather than joining a queue that only grows while every client waits. A slot
  is given back when the job has really ended in its worker, not when the request that
  asked for it goes away, so a client that hangs up cannot let more work in than the bound.
- Healing. A worker that dies (killed for memory, say) breaks a ProcessPoolExecutor for
  good; the broken pool is dropped and the next job starts a fresh one.

What runs here must be a top-level function of picklable arguments, and it must not touch
the database: gather the data on the loop, hand the pure computation over (for labels,
`labels.render_rows`). Like every spawned process, a worker imports the program's main
module again, as `__mp_main__`: tagtrack's entry points (`tagtrack`, `python -m
server.cli`, uvicorn) do nothing on import, and so must any script that serves the app.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from server.domain.errors import Busy, Unavailable
from server.settings import get_settings

T = TypeVar("T")
RETRY_AFTER_S = 5
NICE = 10


def _lower_priority() -> None:
    """Runs first in each worker process."""
    with contextlib.suppress(OSError):  # not allowed here: run at the usual priority
        os.nice(NICE)


def process_pool(workers: int) -> cf.Executor:
    # spawn, not fork: the server has threads (database drivers, the loop's executor), and a
    # forked child of a threaded process can inherit a lock held by a thread it lacks.
    return cf.ProcessPoolExecutor(max_workers=workers,
                                  mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_lower_priority)


class CpuPool:
    """`workers` jobs run at once, `queue` more may wait; beyond that `run` raises Busy."""

    def __init__(self, workers: int, queue: int,
                 make_executor: Callable[[int], cf.Executor] = process_pool,
                 what: str = "the server") -> None:
        if workers < 1 or queue < 0:
            raise ValueError("a CPU pool needs at least one worker and a queue of 0 or more")
        self.workers, self.queue, self.what = workers, queue, what
        self._make = make_executor
        self._executor: cf.Executor | None = None
        self.admitted = 0  # jobs running or waiting, counted until they really end

    @property
    def started(self) -> bool:
        return self._executor is not None

    async def run(self, fn: Callable[..., T], *args: Any, busy: str = "") -> T:
        if self.admitted >= self.workers + self.queue:
            raise Busy(busy or f"{self.what} is busy with other long jobs; try again",
                       retry_after=RETRY_AFTER_S)
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = self._make(self.workers)
        executor = self._executor
        try:
            job = executor.submit(fn, *args)
        except BrokenProcessPool:
            self._drop(executor)
            raise Unavailable(f"{self.what}'s worker process stopped; try again",
                              code="worker_stopped") from None
        self.admitted += 1
        job.add_done_callback(lambda _: self._release_from(loop))
        try:
            # a cancelled request cancels the job if it has not started; a started job
            # keeps its slot until it ends (see _release)
            return await asyncio.wrap_future(job)
        except BrokenProcessPool:
            self._drop(executor)
            raise Unavailable(f"{self.what}'s worker process stopped; try again",
                              code="worker_stopped") from None

    def _release_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called in the executor's thread when a job ends (or at once, if cancelled)."""
        with contextlib.suppress(RuntimeError):  # the loop closed first: nothing to count
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self.admitted -= 1

    def _drop(self, executor: cf.Executor) -> None:
        if self._executor is executor:
            self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        """Stop the workers: waiting jobs are cancelled, running ones end first."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)


_pool: CpuPool | None = None


def pool() -> CpuPool:
    """This process's pool, made from the settings on first use."""
    global _pool
    if _pool is None:
        s = get_settings()
        _pool = CpuPool(s.cpu_workers, s.cpu_queue)
    return _pool


def use_pool(new: CpuPool | None) -> CpuPool | None:
    """Put another pool in place (tests inject a tiny bound); returns the one it replaced,
    which the caller closes."""
    global _pool
    old, _pool = _pool, new
    return old


async def run_cpu(fn: Callable[..., T], *args: Any, busy: str = "") -> T:
    """fn(*args) in a worker process; `busy` is the message when too much work waits."""
    return await pool().run(fn, *args, busy=busy)


async def shutdown() -> None:
    """For the app's lifespan: stop this process's workers, if any were started."""
    old = use_pool(None)
    if old is not None:
        await old.close()
