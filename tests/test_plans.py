"""Requests that filter are planned for their own values (``rapport.plans``); the setting rides on the
authentication statement."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_operation_ast, parse
from sqlalchemy import event

from rapport.limits import Parsed
from rapport.plans import custom_plans
from tests.conftest import App, Tenant


def parsed(query: str) -> Parsed:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return Parsed(document, operation)


@pytest.mark.parametrize(
    ("query", "custom"),
    [
        ("{ customers(first: 5) { nodes { id } } }", False),
        ('{ customerSummary(id: "x") { lifetimeValue } }', False),
        ('{ customers(first: 5, filter: {name: {eq: "a"}}) { nodes { id } } }', True),
        ("query($f: CustomerFilter) { customers(first: 5, filter: $f) { nodes { id } } }", True),
        ("{ customers(first: 5) { nodes { contacts(first: 2, filter: {}) { totalCount } } } }", True),
        ("{ ...F } fragment F on Query { customers(first: 1, filter: {}) { totalCount } }", True),
        ("{ customers(first: 5, orderBy: [{field: NAME}]) { nodes { id } } }", False),
        ('mutation { customerDelete(id: "x") { userErrors { code } } }', False),
    ],
)
def test_documents_that_filter_get_custom_plans(query: str, custom: bool) -> None:
    assert custom_plans(parsed(query)) is custom


async def test_the_setting_rides_on_authentication(rapport: App, tenant: Tenant) -> None:
    sent: list[dict[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "rapport_authenticate" in statement:
            sent.append(dict(parameters))

    event.listen(rapport.engine.sync_engine, "before_cursor_execute", capture)
    try:
        with rapport.sql.capture() as statements:
            await tenant.data('{ customers(first: 5, filter: {name: {eq: "a"}}) { totalCount } }')
        await tenant.data("{ customers(first: 5) { totalCount } }")
    finally:
        event.remove(rapport.engine.sync_engine, "before_cursor_execute", capture)
    assert [p["plans"] for p in sent] == ["force_custom_plan", None]
    assert "plan_cache_mode" in statements[0]
    assert not any(s.lstrip().upper().startswith("SET") for s in statements)  # no statement of its own
