"""The distributed runner: the same chunks on a Dask cluster, one engine per worker (a worker plugin)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distributed import Client, WorkerPlugin, as_completed

from conduct_engine.scan.prepare import WorkItem
from conduct_engine.scan.runner import Sink
from conduct_engine.scan.worker import (
    PartitionDone,
    PartitionTask,
    WorkerConfig,
    evaluate_chunk,
    evaluate_partition,
    init_worker,
)


class EnginePlugin(WorkerPlugin):
    """Builds the worker's engine when it joins (and on workers that join later)."""

    def __init__(self, config: WorkerConfig):
        self.config = config

    def setup(self, worker: Any) -> None:
        """Build this worker's engine."""
        init_worker(self.config)


def run_dask(address: str, chunks: list[list[WorkItem]], config: WorkerConfig, sink: Sink) -> None:
    """Evaluate the chunks on the cluster at ``address`` (``tcp://host:port``); ``sink`` gets each as it finishes."""
    with Client(address, timeout="30s") as client:
        client.register_plugin(EnginePlugin(config), name=f"conduct-engine-{config.scan_id}")
        futures = [client.submit(evaluate_chunk, chunk, config, pure=False) for chunk in chunks]
        for future in as_completed(futures):
            sink(future.result())
            future.release()


def run_dask_partitions(address: str, tasks: list[PartitionTask], config: WorkerConfig,
                        sink: Callable[[PartitionDone], None]) -> None:
    """Evaluate partitions on the cluster; each spool is sent as bytes (a remote worker cannot read our disk)."""
    with Client(address, timeout="30s") as client:
        client.register_plugin(EnginePlugin(config), name=f"conduct-engine-{config.scan_id}")
        futures = []
        for task in tasks:  # one partition's bytes in memory at a time while submitting
            data = Path(str(task.source)).read_bytes()
            futures.append(client.submit(evaluate_partition, dataclasses.replace(task, source=data), config,
                                         pure=False))
        for future in as_completed(futures):
            sink(future.result())
            future.release()
