"""One writer of a store at a time, across threads and processes."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriterLock:
    """One writer of a store at a time, among the threads of this process and every process on the machine
    (an flock on a file beside the index; the kernel releases it when a writer dies, even by kill -9)."""

    def __init__(self, path: Path):
        self._path = path
        self._threads = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for the lock, hold it for the block."""
        with self._threads, self._path.open("a") as file:
            # flock excludes other open files, even in this process; the thread lock covers this store's threads.
            fcntl.flock(file, fcntl.LOCK_EX)
            yield
