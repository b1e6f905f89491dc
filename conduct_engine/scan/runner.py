"""The local runner: a process pool with one engine per worker (built in the pool initializer)."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

from conduct_engine.scan.prepare import WorkItem
from conduct_engine.scan.worker import (
    Done,
    PartitionDone,
    PartitionTask,
    WorkerConfig,
    evaluate_chunk,
    evaluate_partition,
    init_pool_worker,
    init_worker,
)

Sink = Callable[[list[Done]], None]
T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The number of usable cores."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def chunked(items: list[WorkItem], workers: int, largest: int = 250) -> list[list[WorkItem]]:
    """Chunks small enough to balance the workers and checkpoint often, large enough to be cheap to ship."""
    size = max(10, min(largest, len(items) // max(1, workers * 8) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_local(chunks: list[list[WorkItem]], config: WorkerConfig, workers: int, sink: Sink) -> None:
    """Evaluate the chunks in this process (1 worker) or a pool of ``workers`` processes; ``sink`` gets each."""
    if workers <= 1:
        init_worker(config)
        for chunk in chunks:
            sink(evaluate_chunk(chunk))
        return
    context = multiprocessing.get_context("spawn")  # a clean interpreter per worker: no forked engine state
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_pool_worker, initargs=(config,)) as pool:
        pending: set[Future[list[Done]]] = set()
        queue = iter(chunks)
        for chunk in queue:
            pending.add(pool.submit(evaluate_chunk, chunk))
            if len(pending) >= workers * 3:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                sink(future.result())
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(evaluate_chunk, nxt))


@contextmanager
def worker_pool(config: WorkerConfig, workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of ``workers`` processes, each with its engine built once, for every stage of a scan; None (and
    this process's engine built) for one worker."""
    if workers <= 1:
        init_worker(config)
        yield None
        return
    context = multiprocessing.get_context("spawn")  # a clean interpreter per worker: no forked engine state
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_pool_worker, initargs=(config,)) as pool:
        for _ in range(workers):  # start every worker now (a spawn pool starts them on demand): engines build meanwhile
            pool.submit(int)
        yield pool


def ordered(pool: ProcessPoolExecutor | None, fn: Callable[[T], R], tasks: Iterable[T], in_flight: int
            ) -> Iterator[tuple[T, R]]:
    """(task, ``fn(task)``) over ``tasks`` (in this process without a pool), in the order of the tasks, with at
    most ``in_flight`` tasks sent ahead (memory stays bounded however many tasks there are)."""
    if pool is None:
        for task in tasks:
            yield task, fn(task)
        return
    pending: deque[tuple[T, Future[R]]] = deque()
    for task in tasks:
        pending.append((task, pool.submit(fn, task)))
        if len(pending) >= in_flight:
            first, future = pending.popleft()
            yield first, future.result()
    while pending:
        first, future = pending.popleft()
        yield first, future.result()


def run_partitions(tasks: list[PartitionTask], config: WorkerConfig, workers: int,
                   sink: Callable[[PartitionDone], None], pool: ProcessPoolExecutor | None = None) -> None:
    """Evaluate partitions in this process (1 worker) or a pool of ``workers`` (``pool``, or one made here);
    ``sink`` gets each as it ends."""
    if pool is None and (workers <= 1 or len(tasks) <= 1):
        init_worker(config)
        for task in tasks:
            sink(evaluate_partition(task))
        return
    if pool is None:
        with worker_pool(config, min(workers, len(tasks))) as own:
            run_partitions(tasks, config, workers, sink, own)
        return
    pending: set[Future[PartitionDone]] = {pool.submit(evaluate_partition, task) for task in tasks}
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            sink(future.result())
