"""The per-request loaders' own behaviour (the statements they send are covered by the statement-count tests)."""

from __future__ import annotations

import asyncio
from typing import cast

from rapport.context import RequestContext
from rapport.resolvers.loaders import Loaders


async def test_a_cancelled_caller_does_not_cancel_the_others_waiting_for_the_same_key() -> None:
    calls: list[list[int]] = []

    async def load(keys: list[int]) -> list[str]:
        calls.append(keys)
        await asyncio.sleep(0.01)
        return [f"value {k}" for k in keys]

    loader = Loaders(cast(RequestContext, None)).batch("values", load)  # batch loaders use only their function

    async def resolver(key: int) -> str:
        value: str = await loader.load(key)
        return value

    cancelled = asyncio.ensure_future(resolver(1))
    sibling = asyncio.ensure_future(resolver(1))
    other = asyncio.ensure_future(resolver(2))
    await asyncio.sleep(0)  # both wait for the batch now
    cancelled.cancel()  # what graphql-core does to siblings of a failed field
    assert await sibling == "value 1"
    assert await other == "value 2"
    assert cancelled.cancelled()
    assert calls == [[1, 2]]  # still one batch
    assert await loader.load(1) == "value 1"  # and the cache still serves the key
    assert calls == [[1, 2]]
