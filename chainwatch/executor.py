"""Executors run independent work units (pure inputs, pure outputs).

The process pool is the default; ``SerialExecutor`` runs in-process (``--jobs 1``, tests, debugging).
A distributed engine only has to implement ``submit`` with the same contract.
"""

from __future__ import annotations

import abc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Executor(abc.ABC):
    @abc.abstractmethod
    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]: ...

    def shutdown(self, cancel: bool = False) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)


class SerialExecutor(Executor):
    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        fut: Future[T] = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # delivered through the future like a pool would
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


class ProcessExecutor(Executor):
    def __init__(self, workers: int) -> None:
        # fork: workers inherit imported analyzers and compiled rules (cheap start on Linux)
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(fn, *args)

    def shutdown(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def make_executor(jobs: int) -> Executor:
    workers = default_workers() if jobs <= 0 else jobs
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
