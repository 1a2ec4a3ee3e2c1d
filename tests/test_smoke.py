from tests.conftest import Tenant


async def test_new_tenant_has_no_customers(tenant: Tenant) -> None:
    data = await tenant.data("{ customers(first: 5) { totalCount edges { node { id } } } }")
    assert data == {"customers": {"totalCount": 0, "edges": []}}
