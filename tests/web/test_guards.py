"""The rate limit, on its own."""

from __future__ import annotations

from web.guards import RateLimiter


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
