"""Parallel requests whose results and failures come back to the test's own thread.

An ``assert`` inside a thread only prints a warning when it fails (the thread dies, the test goes
on), and a thread that dies before a barrier leaves the others waiting for ever. So threads return
what they saw, the test asserts on it, and an exception raised in a thread is raised again here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Result = TypeVar("Result")


def simultaneously(
    count: int, job: Callable[[int, Callable[[], object]], Result], *, timeout: float = 60
) -> list[Result]:
    """Run ``job(index, go)`` in ``count`` threads; each calls ``go()`` once it is ready to send,
    and ``go()`` returns in all of them at once. The jobs' results, in index order."""
    barrier = threading.Barrier(count, timeout=timeout)

    def run(index: int) -> Result:
        try:
            return job(index, barrier.wait)
        except BaseException:
            barrier.abort()  # the others would otherwise wait for this one until the timeout
            raise

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
    errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        # The thread that failed first, not the others that only saw the barrier break.
        broken = threading.BrokenBarrierError
        raise next((error for error in errors if not isinstance(error, broken)), errors[0])
    return [future.result() for future in futures]
