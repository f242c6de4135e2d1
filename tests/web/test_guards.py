"""The rate limit and the lock between questions and writes, on their own."""

from __future__ import annotations

import threading
import time

from web.guards import RateLimiter
from web.service import ReadWriteLock


def test_the_rate_limit_is_a_sliding_minute_per_client():
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.wait_for("a") == 0 and limiter.wait_for("a") == 0
    assert limiter.wait_for("a") == 60 and limiter.wait_for("b") == 0
    now[0] += 45
    assert limiter.wait_for("a") == 15
    now[0] += 15
    assert limiter.wait_for("a") == 0
    assert "up to 2 a minute; try again in 15 seconds" in limiter.refusal(14.2)


def test_a_write_waits_for_questions_in_flight_and_later_questions_wait_for_it():
    lock = ReadWriteLock()
    order: list[str] = []
    finish_write = threading.Event()

    def write():
        with lock.writing():
            order.append("write")
            finish_write.wait(5)

    def read():
        with lock.reading():
            order.append("read")

    writer, reader = threading.Thread(target=write), threading.Thread(target=read)
    with lock.reading():
        writer.start()
        time.sleep(0.2)
        reader.start()
        time.sleep(0.2)
        assert order == []  # the writer waits for the question in flight; the new question waits behind it
    time.sleep(0.2)
    assert order == ["write"]  # the question in flight is done: the write goes first, the question waits
    finish_write.set()
    writer.join(5), reader.join(5)
    assert order == ["write", "read"]
