"""Per-tenant rate limiting in cost points (a token bucket per tenant, per process)."""

from __future__ import annotations

from rapport import metrics
from rapport.db.database import Database
from rapport.ratelimit import RateLimiter, retry_after_header
from tests.conftest import Tenant
from tests.trust.support import app_client, codes, on, settings_with


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=10, burst=30, clock=clock)
    assert limiter.take("a", 30) == 0
    assert limiter.take("a", 1) == 0.1  # nothing charged
    assert limiter.wait("a", 5) == 0.5
    clock.now += 0.5
    assert limiter.take("a", 5) == 0
    assert limiter.take("b", 30) == 0  # tenants do not share
    clock.now += 3600
    assert limiter.wait("a", 30) == 0  # refilled, but never beyond the burst
    assert limiter.take("a", 30) == 0
    assert limiter.take("a", 1) > 0


def test_an_operation_dearer_than_the_burst_takes_a_full_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=1, burst=5, clock=clock)
    assert limiter.take("a", 500) == 0
    assert limiter.take("a", 500) == 5.0


def test_rate_zero_turns_limiting_off() -> None:
    limiter = RateLimiter(per_second=0, burst=1)
    assert all(limiter.take("a", 10**6) == 0 for _ in range(100))


def test_least_recent_tenants_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=1, burst=2, clock=clock, max_tracked=3)
    for key in "abcd":
        assert limiter.take(key, 2) == 0
    assert limiter.take("a", 2) == 0  # "a" was forgotten: a full bucket again
    assert limiter.take("d", 2) == 2.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after_header(s) for s in (0.01, 1.0, 1.2, 59.9)] == ["1", "1", "2", "60"]


async def test_rate_limited_over_http(database: Database, tenant: Tenant, other_tenant: Tenant) -> None:
    # The bucket's clock stands still unless the test moves it: a slow machine must not refill it mid-test.
    clock = Clock()
    settings = settings_with(rate_limit_per_second=2, rate_limit_burst=5)
    async with app_client(database, settings, clock=clock) as client:
        a, b = on(tenant, client), on(other_tenant, client)
        # 1 point each (no nodes), then 1 + 100 // 100 = 2 points.
        for _ in range(3):
            assert (await a.post("{ __typename }")).status_code == 200
        assert (await a.post("{ customers(first: 100) { totalCount } }")).status_code == 200
        refused = await a.post("{ customers(first: 100) { totalCount } }")
        assert refused.status_code == 429, refused.text
        assert codes(refused) == ["RATE_LIMITED"]
        assert refused.headers["retry-after"] == "1"
        body = refused.json()
        retry_after = body["errors"][0]["extensions"]["retryAfter"]
        assert retry_after == 1.0  # 2 points missing at 2 per second
        assert "2 points" in body["errors"][0]["message"]
        assert body["extensions"]["cost"] == {"requested": 100, "limit": 50_000}
        assert "data" not in body
        # Another tenant has its own bucket.
        assert (await b.post("{ __typename }")).status_code == 200
        # Once spent, the tenant is refused before authentication: no SQL at all.
        before = metrics.SQL_STATEMENTS._value.get()
        assert (await a.post("{ customers(first: 100) { totalCount } }")).status_code == 429
        assert metrics.SQL_STATEMENTS._value.get() == before
        clock.now += 0.5  # one point back: still short
        assert (await a.post("{ customers(first: 100) { totalCount } }")).status_code == 429
        clock.now += 0.5
        again = await a.post("{ customers(first: 100) { totalCount } }")
        assert again.status_code == 200, again.text


async def test_nobody_spends_another_tenants_points(database: Database, tenant: Tenant) -> None:
    """Points are charged only after authentication: tokens that merely name the tenant cost it nothing."""
    settings = settings_with(rate_limit_per_second=0.01, rate_limit_burst=3)
    async with app_client(database, settings, clock=Clock()) as client:
        forged = tenant.token[:-43] + "A" * 43
        for _ in range(20):
            assert (
                await client.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {forged}"}
                )
            ).status_code == 401
        t = on(tenant, client)
        assert [(await t.post("{ __typename }")).status_code for _ in range(4)] == [200, 200, 200, 429]
