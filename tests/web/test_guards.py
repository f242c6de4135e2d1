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


def test_app_processes_naming_one_file_share_one_rate_limit(tmp_path):
    now = [1000.0]
    shared = tmp_path / "limits" / "rate-limit.sqlite3"
    first, second = (RateLimiter(3, shared, clock=lambda: now[0]) for _ in range(2))
    alone = RateLimiter(3, clock=lambda: now[0])
    assert first.wait_for("a") == 0 and second.wait_for("a") == 0 and first.wait_for("a") == 0
    assert second.wait_for("a") == 60 and first.wait_for("a") == 60
    assert alone.wait_for("a") == 0 and second.wait_for("b") == 0
    now[0] += 60
    assert second.wait_for("a") == 0
