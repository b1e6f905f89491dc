"""Worker processes with a listening socket each: the kernel spreads new connections evenly between them.

uvicorn's ``--workers`` gives every worker the one socket bound by the parent; the worker whose event loop
wakes first accepts every connection waiting, so under load one worker can take most keep-alive connections
(and most requests: seen at 2:1) while the other idles, and the busy one's queue sets the tail latency. Here
each worker gets its own socket on the same address, bound with ``SO_REUSEPORT``: the kernel assigns each new
connection to one of them by a hash of its addresses, so connections — and the requests on them — divide
evenly. The sockets are bound in the parent and kept there, so a worker that is restarted takes over its
socket and the connections waiting on it.

Everything else is uvicorn's supervisor (health checks, restarts, signals): only which socket a worker gets
changes. Linux only (``SO_REUSEPORT`` balancing): ``serve`` uses uvicorn's own supervisor elsewhere.
"""

from __future__ import annotations

import logging
import socket

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")  # where uvicorn says where it listens


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to ``host:port`` with ``SO_REUSEPORT`` (``port`` 0: one free port for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family=family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor, with worker ``i`` always started on socket ``i`` (also when it is replaced)."""

    def __init__(self, config: Config, sockets: list[socket.socket]):
        super().__init__(config, sockets)
        self.processes_num = len(sockets)

    def _start(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(i) for i in range(self.processes_num)]

    def restart_all(self) -> None:
        """SIGHUP: replace each worker, its replacement serving before the old one is retired (as uvicorn does)."""
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(idx)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    logger.error(f"New child process [{new.pid}] was not ready in time; "
                                 f"keeping worker [{old.pid}] and aborting the restart.")
                return
            old.terminate()
            old.join()
            self.processes[idx] = new

    def keep_subprocess_alive(self) -> None:
        """Replace a worker that died or hangs, on its own socket (as uvicorn does; a startup failure stops all)."""
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                logger.error(f"Child process [{process.pid}] failed to start, stopping the parent process.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Child process [{process.pid}] died")
            self.processes[idx] = self._start(idx)


def run(config: Config) -> None:
    """Serve ``config`` (an import string, ``workers`` > 1) with a socket per worker until a signal stops it."""
    sockets = listening_sockets(config.host, config.port, config.workers)
    logger.info("Uvicorn running on http://%s:%d (Press CTRL+C to quit)", config.host, sockets[0].getsockname()[1])
    try:
        SocketPerWorker(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()
