"""The custom field definition lifecycle through the HTTP API: create, the typed schema it produces, update,
archive and restore, key rules, permissions, required fields and the generic definitions query."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant

DEFINITION = (
    "id key type label description required default config position archived version options { id value label color }"
)
CREATE = (
    "mutation($input: CustomFieldCreateInput!) { customFieldCreate(input: $input) { "
    f"customField {{ {DEFINITION} }} userErrors {{ code field message }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: CustomFieldUpdateInput!, $v: Int) { "
    "customFieldUpdate(id: $id, input: $input, expectedVersion: $v) { "
    f"customField {{ {DEFINITION} }} userErrors {{ code field message }} }} }}"
)
ARCHIVE = (
    "mutation($id: ID!) { customFieldArchive(id: $id) { "
    f"customField {{ {DEFINITION} }} userErrors {{ code field message }} }} }}"
)
RESTORE = ARCHIVE.replace("customFieldArchive", "customFieldRestore")
DEFINITIONS = (
    "query($entity: CustomFieldEntity, $all: Boolean! = false) { "
    f"customFieldDefinitions(entity: $entity, includeArchived: $all) {{ {DEFINITION} entity }} }}"
)
CREATE_CUSTOMER = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { "
    "customer { id version customFields } userErrors { code field message } } }"
)
TYPE_FIELDS = "query($name: String!) { __type(name: $name) { name kind fields { name type { ...T } } } }"
INPUT_FIELDS = "query($name: String!) { __type(name: $name) { name kind inputFields { name type { ...T } } } }"
ENUM_VALUES = "query($name: String!) { __type(name: $name) { name kind enumValues { name } } }"
TYPE_REF = " fragment T on __Type { kind name ofType { kind name ofType { kind name } } }"

TIERS = [{"label": "Gold"}, {"label": "Silver"}]


def field_input(key: str, type_: str, **settings: Any) -> dict[str, Any]:
    return {"entity": "CUSTOMER", "key": key, "type": type_, "label": f"{key} label", **settings}


async def create(tenant: Tenant, key: str, type_: str, token: str | None = None, **settings: Any) -> dict[str, Any]:
    """The customFieldCreate payload (userErrors may be non-empty)."""
    data = await tenant.data(CREATE, {"input": field_input(key, type_, **settings)}, token)
    payload: dict[str, Any] = data["customFieldCreate"]
    return payload


async def created(tenant: Tenant, key: str, type_: str, **settings: Any) -> dict[str, Any]:
    payload = await create(tenant, key, type_, **settings)
    assert payload["userErrors"] == [], payload["userErrors"]
    definition: dict[str, Any] = payload["customField"]
    return definition


async def update(tenant: Tenant, definition_id: str, version: int | None = None, **change: Any) -> dict[str, Any]:
    data = await tenant.data(UPDATE, {"id": definition_id, "input": change, "v": version})
    payload: dict[str, Any] = data["customFieldUpdate"]
    return payload


async def definitions(
    tenant: Tenant, *, include_archived: bool = False, entity: str | None = "CUSTOMER"
) -> list[dict[str, Any]]:
    data = await tenant.data(DEFINITIONS, {"entity": entity, "all": include_archived})
    found: list[dict[str, Any]] = data["customFieldDefinitions"]
    return found


async def type_fields(tenant: Tenant, name: str) -> dict[str, Any] | None:
    """{field name: type ref} of an object type, or None when the schema has no such type."""
    found = (await tenant.data(TYPE_FIELDS + TYPE_REF, {"name": name}))["__type"]
    return None if found is None else {f["name"]: f["type"] for f in found["fields"]}


async def input_fields(tenant: Tenant, name: str) -> dict[str, Any] | None:
    found = (await tenant.data(INPUT_FIELDS + TYPE_REF, {"name": name}))["__type"]
    return None if found is None else {f["name"]: f["type"] for f in found["inputFields"]}


async def enum_values(tenant: Tenant, name: str) -> list[str] | None:
    found = (await tenant.data(ENUM_VALUES, {"name": name}))["__type"]
    return None if found is None else [v["name"] for v in found["enumValues"]]


async def add_customer(tenant: Tenant, name: str = "Ada", **extra: Any) -> dict[str, Any]:
    payload = await tenant.mutate(CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": name, **extra}})
    customer: dict[str, Any] = payload["customer"]
    return customer


async def customer(tenant: Tenant, customer_id: str, selection: str = "customFields") -> dict[str, Any]:
    data = await tenant.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Customer {{ {selection} }} }} }}", {"id": customer_id}
    )
    node: dict[str, Any] = data["node"]
    return node


def scalar(name: str) -> dict[str, Any]:
    return {"kind": "SCALAR", "name": name, "ofType": None}


# type, settings, output type ref, filter input name, sortable
TYPES: list[tuple[str, dict[str, Any], dict[str, Any], str, bool]] = [
    ("TEXT", {"minLength": 2, "maxLength": 40, "regex": "[A-Za-z ]+"}, scalar("String"), "StringFilter", True),
    ("INTEGER", {"min": 0, "max": 120}, scalar("Int"), "IntFilter", True),
    ("DECIMAL", {"min": "0", "max": "1000.5", "scale": 2}, scalar("Decimal"), "DecimalFilter", True),
    ("BOOLEAN", {"default": False}, scalar("Boolean"), "BooleanFilter", True),
    ("DATE", {"min": "2000-01-01", "max": "2099-12-31"}, scalar("Date"), "DateFilter", True),
    ("DATETIME", {}, scalar("DateTime"), "DateTimeFilter", True),
    ("EMAIL", {}, scalar("String"), "StringFilter", True),
    ("PHONE", {"defaultRegion": "cn"}, scalar("String"), "StringFilter", True),
    ("URL", {}, scalar("String"), "StringFilter", True),
    (
        "SELECT",
        {"options": TIERS},
        {"kind": "ENUM", "name": "CustomerSomeField", "ofType": None},
        "CustomerSomeFieldFilter",
        True,
    ),
    (
        "MULTI_SELECT",
        {"options": TIERS},
        {
            "kind": "LIST",
            "name": None,
            "ofType": {"kind": "NON_NULL", "name": None, "ofType": {"kind": "ENUM", "name": "CustomerSomeField"}},
        },
        "CustomerSomeFieldListFilter",
        False,
    ),
]


@pytest.mark.parametrize(("type_", "given", "output", "filter_name", "sortable"), TYPES, ids=[t[0] for t in TYPES])
async def test_create_each_type_appears_typed(
    tenant: Tenant, type_: str, given: dict[str, Any], output: dict[str, Any], filter_name: str, sortable: bool
) -> None:
    definition = await created(tenant, "someField", type_, description="Help text", **given)
    assert definition["key"] == "someField"
    assert definition["type"] == type_
    assert definition["label"] == "someField label"
    assert definition["description"] == "Help text"
    assert definition["archived"] is False
    assert definition["version"] == 1
    assert definition["required"] is False

    assert await type_fields(tenant, "CustomerCustomFields") == {"someField": output}
    assert await input_fields(tenant, "CustomerCustomFieldsInput") == {"someField": output}
    filters = await input_fields(tenant, "CustomerCustomFieldsFilter")
    assert filters == {"someField": {"kind": "INPUT_OBJECT", "name": filter_name, "ofType": None}}
    order = await enum_values(tenant, "CustomerCustomOrderField")
    assert order == (["SOME_FIELD"] if sortable else None)
    if type_ in ("SELECT", "MULTI_SELECT"):
        assert await enum_values(tenant, "CustomerSomeField") == ["GOLD", "SILVER"]


@pytest.mark.parametrize(
    ("type_", "given", "config"),
    [
        (
            "TEXT",
            {"minLength": 2, "maxLength": 40, "regex": "[a-z]+", "default": " abc "},
            {"minLength": 2, "maxLength": 40, "regex": "[a-z]+", "default": "abc"},
        ),
        ("INTEGER", {"min": 0, "max": 120.0, "default": 18}, {"min": 0, "max": 120, "default": 18}),
        (
            "DECIMAL",
            {"min": "0.50", "max": 1000, "scale": 2, "default": "9.90"},
            {"min": "0.5", "max": "1000", "scale": 2, "default": "9.9"},
        ),
        ("BOOLEAN", {"default": True}, {"default": True}),
        ("DATE", {"min": "2000-01-01", "default": "2024-05-01"}, {"min": "2000-01-01", "default": "2024-05-01"}),
        ("DATETIME", {"default": "2024-05-01T09:30:00+08:00"}, {"default": "2024-05-01T01:30:00.000000Z"}),
        ("EMAIL", {"default": "Team@Example.COM"}, {"default": "Team@example.com"}),
        (
            "PHONE",
            {"defaultRegion": "cn", "default": "138 0013 8000"},
            {"defaultRegion": "CN", "default": "+8613800138000"},
        ),
        ("URL", {"default": "https://Example.com"}, {"default": "https://example.com/"}),
    ],
)
async def test_create_stores_canonical_settings(
    tenant: Tenant, type_: str, given: dict[str, Any], config: dict[str, Any]
) -> None:
    definition = await created(tenant, "someField", type_, **given)
    assert definition["config"] == config
    assert definition["default"] == config["default"]
    assert await definitions(tenant) == [{**definition, "entity": "CUSTOMER"}]


async def test_select_options_get_stable_ids_and_enum_values(tenant: Tenant) -> None:
    definition = await created(
        tenant,
        "loyaltyTier",
        "SELECT",
        required=True,
        default="SILVER",
        options=[{"label": "Gold", "color": "#ffd700"}, {"label": "Silver"}, {"label": "VIP+", "value": "VIP"}],
    )
    options = definition["options"]
    assert [(o["value"], o["label"], o["color"]) for o in options] == [
        ("GOLD", "Gold", "#ffd700"),
        ("SILVER", "Silver", None),
        ("VIP", "VIP+", None),
    ]
    assert len({o["id"] for o in options}) == 3
    assert definition["required"] is True
    assert definition["default"] == options[1]["id"]  # stored as the option id, not the enum name
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER", "VIP"]
    filter_fields = await input_fields(tenant, "CustomerLoyaltyTierFilter")
    assert filter_fields is not None
    assert set(filter_fields) == {"eq", "ne", "in", "isNull"}


async def test_custom_fields_are_per_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    await created(tenant, "shoeSize", "INTEGER")
    assert set(await type_fields(tenant, "CustomerCustomFields") or {}) == {"loyaltyTier", "shoeSize"}
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER"]
    mine = await type_fields(tenant, "Customer")
    assert mine is not None
    assert mine["custom"] == {
        "kind": "NON_NULL",
        "name": None,
        "ofType": {"kind": "OBJECT", "name": "CustomerCustomFields", "ofType": None},
    }
    order_by = await input_fields(tenant, "CustomerOrderBy")
    assert order_by is not None
    assert "custom" in order_by

    for name in (
        "CustomerCustomFields",
        "CustomerCustomFieldsInput",
        "CustomerCustomFieldsFilter",
        "CustomerLoyaltyTier",
        "CustomerLoyaltyTierFilter",
        "CustomerCustomOrderField",
    ):
        found = await other_tenant.data("query($n: String!) { __type(name: $n) { name } }", {"n": name})
        assert found["__type"] is None, name
    theirs = await type_fields(other_tenant, "Customer")
    assert theirs is not None
    assert "custom" not in theirs
    assert "customFields" in theirs  # the generic accessor exists for every tenant
    assert await definitions(other_tenant) == []
    body = await other_tenant.gql("{ customers(first: 1, filter: {custom: {shoeSize: {eq: 1}}}) { totalCount } }")
    assert body["errors"]


async def test_same_key_on_another_entity_is_allowed(tenant: Tenant) -> None:
    await created(tenant, "region", "TEXT")
    data = await tenant.data(CREATE, {"input": {**field_input("region", "TEXT"), "entity": "CONTACT"}})
    assert data["customFieldCreate"]["userErrors"] == []
    assert await type_fields(tenant, "ContactCustomFields") == {"region": scalar("String")}
    assert [d["key"] for d in await definitions(tenant, entity="CONTACT")] == ["region"]
    assert [d["entity"] for d in await definitions(tenant, entity=None)] == ["CONTACT", "CUSTOMER"]


# --- update -----------------------------------------------------------------------------------------------


async def test_update_label_description_and_settings(tenant: Tenant) -> None:
    definition = await created(tenant, "nickname", "TEXT", maxLength=10)
    payload = await update(
        tenant, definition["id"], label="  Nickname  ", description="What friends call them", maxLength=20, minLength=2
    )
    assert payload["userErrors"] == []
    changed = payload["customField"]
    assert changed["id"] == definition["id"]
    assert changed["label"] == "Nickname"
    assert changed["description"] == "What friends call them"
    assert changed["config"] == {"maxLength": 20, "minLength": 2}
    assert changed["version"] == definition["version"] + 1
    (field,) = await definitions(tenant)
    assert field["label"] == "Nickname"
    description = await tenant.data('{ __type(name: "CustomerCustomFields") { fields { name description } } }')
    assert description["__type"]["fields"] == [{"name": "nickname", "description": "What friends call them"}]
    # An empty description clears it.
    cleared = await update(tenant, definition["id"], description="")
    assert cleared["customField"]["description"] is None


async def test_update_with_stale_version_is_a_conflict(tenant: Tenant) -> None:
    definition = await created(tenant, "nickname", "TEXT")
    assert (await update(tenant, definition["id"], definition["version"], label="First"))["userErrors"] == []
    stale = await update(tenant, definition["id"], definition["version"], label="Second")
    assert stale["customField"] is None
    assert [(e["code"], e["field"]) for e in stale["userErrors"]] == [("CONFLICT", ["expectedVersion"])]
    assert (await definitions(tenant))[0]["label"] == "First"


@pytest.mark.parametrize(
    ("change", "code", "path"),
    [
        ({"label": "   "}, "INVALID", ["input", "label"]),
        ({"label": "x" * 101}, "INVALID", ["input", "label"]),
        ({"description": "x" * 1001}, "TOO_LONG", ["input", "description"]),
        ({"min": 1}, "INVALID", ["input", "min"]),
        ({"options": TIERS}, "INVALID", ["input", "options"]),
        ({"minLength": 10, "maxLength": 5}, "INVALID", ["input", "minLength"]),
        ({"regex": "(unclosed"}, "INVALID", ["input", "regex"]),
        ({"default": 5}, "INVALID", ["input", "default"]),
    ],
)
async def test_update_refusals_change_nothing(
    tenant: Tenant, change: dict[str, Any], code: str, path: list[str]
) -> None:
    definition = await created(tenant, "nickname", "TEXT")
    payload = await update(tenant, definition["id"], **change)
    assert payload["customField"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, path)]
    (after,) = await definitions(tenant)
    assert after == {**definition, "entity": "CUSTOMER"}


async def test_unknown_definition_id_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await created(other_tenant, "nickname", "TEXT")
    for mutation, variables in (
        (UPDATE, {"id": theirs["id"], "input": {"label": "Mine now"}}),
        (ARCHIVE, {"id": theirs["id"]}),
        (RESTORE, {"id": theirs["id"]}),
        (ARCHIVE, {"id": "not-a-global-id"}),
    ):
        (payload,) = (await tenant.data(mutation, variables)).values()
        assert payload["customField"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert (await definitions(other_tenant))[0]["label"] == "nickname label"


async def test_add_options_extends_the_enum(tenant: Tenant) -> None:
    definition = await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    payload = await update(tenant, definition["id"], addOptions=[{"label": "Platinum", "color": "#e5e4e2"}])
    assert payload["userErrors"] == []
    options = payload["customField"]["options"]
    assert [o["id"] for o in options[:2]] == [o["id"] for o in definition["options"]]
    assert [(o["value"], o["color"]) for o in options] == [("GOLD", None), ("SILVER", None), ("PLATINUM", "#e5e4e2")]
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER", "PLATINUM"]
    duplicate = await update(tenant, definition["id"], addOptions=[{"label": "gold"}])
    assert [(e["code"], e["field"]) for e in duplicate["userErrors"]] == [("DUPLICATE", ["input", "options"])]
    made_up = await update(tenant, definition["id"], addOptions=[{"label": "Diamond", "id": "opt_mine"}])
    assert [(e["code"], e["field"]) for e in made_up["userErrors"]] == [("INVALID", ["input", "options"])]
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER", "PLATINUM"]


async def test_relabel_keeps_option_id_enum_value_and_stored_values(tenant: Tenant) -> None:
    definition = await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    gold, silver = definition["options"]
    ada = await add_customer(tenant, custom={"loyaltyTier": "GOLD"})
    assert ada["customFields"] == {"loyaltyTier": gold["id"]}

    payload = await update(
        tenant,
        definition["id"],
        options=[{"id": silver["id"], "label": "Argent"}, {"id": gold["id"], "label": "Golden"}],
    )
    assert payload["userErrors"] == []
    assert [(o["id"], o["value"], o["label"]) for o in payload["customField"]["options"]] == [
        (silver["id"], "SILVER", "Argent"),
        (gold["id"], "GOLD", "Golden"),
    ]
    # Reordered: the enum follows the admin's order; the stored id is untouched.
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["SILVER", "GOLD"]
    after = await customer(tenant, ada["id"], "customFields custom { loyaltyTier }")
    assert after == {"customFields": {"loyaltyTier": gold["id"]}, "custom": {"loyaltyTier": "GOLD"}}

    renamed = await update(
        tenant,
        definition["id"],
        options=[{"id": gold["id"], "label": "Golden", "value": "GOLDEN"}, {"id": silver["id"], "label": "Argent"}],
    )
    assert renamed["userErrors"] == []
    after = await customer(tenant, ada["id"], "customFields custom { loyaltyTier }")
    assert after == {"customFields": {"loyaltyTier": gold["id"]}, "custom": {"loyaltyTier": "GOLDEN"}}


@pytest.mark.parametrize("type_", ["SELECT", "MULTI_SELECT"])
async def test_removing_an_option_in_use_is_refused(tenant: Tenant, type_: str) -> None:
    definition = await created(
        tenant, "loyaltyTier", type_, options=[{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}]
    )
    gold, silver, bronze = definition["options"]
    value: Any = "SILVER" if type_ == "SELECT" else ["GOLD", "SILVER"]
    ada = await add_customer(tenant, custom={"loyaltyTier": value})

    refused = await update(tenant, definition["id"], options=[{"id": gold["id"], "label": "Gold"}])
    assert refused["customField"] is None
    (error,) = refused["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_STATE", ["input", "options"])
    assert "SILVER" in error["message"]
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER", "BRONZE"]

    # An option nobody uses can go.
    removed = await update(
        tenant, definition["id"], options=[{"id": gold["id"], "label": "Gold"}, {"id": silver["id"], "label": "Silver"}]
    )
    assert removed["userErrors"] == []
    assert await enum_values(tenant, "CustomerLoyaltyTier") == ["GOLD", "SILVER"]
    assert bronze["id"] not in {o["id"] for o in removed["customField"]["options"]}
    stored = (await customer(tenant, ada["id"]))["customFields"]["loyaltyTier"]
    assert stored == (silver["id"] if type_ == "SELECT" else [gold["id"], silver["id"]])


async def test_removing_an_option_used_only_by_a_deleted_customer_is_refused(tenant: Tenant) -> None:
    # A deleted customer can be restored with its values, so its options still count as used.
    definition = await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    gold, _silver = definition["options"]
    ada = await add_customer(tenant, custom={"loyaltyTier": "SILVER"})
    await tenant.mutate(
        "mutation($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code } } }", {"id": ada["id"]}
    )
    refused = await update(tenant, definition["id"], options=[{"id": gold["id"], "label": "Gold"}])
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]


# --- archive and restore ------------------------------------------------------------------------------------


async def test_archive_hides_the_field_and_keeps_values(tenant: Tenant) -> None:
    tier = await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    size = await created(tenant, "shoeSize", "INTEGER")
    ada = await add_customer(tenant, custom={"loyaltyTier": "GOLD", "shoeSize": 38})
    gold_id = tier["options"][0]["id"]

    archived = (await tenant.data(ARCHIVE, {"id": tier["id"]}))["customFieldArchive"]
    assert archived["userErrors"] == []
    assert archived["customField"]["archived"] is True
    assert await type_fields(tenant, "CustomerCustomFields") == {"shoeSize": scalar("Int")}
    assert await enum_values(tenant, "CustomerLoyaltyTier") is None
    assert await input_fields(tenant, "CustomerCustomFieldsFilter") == {
        "shoeSize": {"kind": "INPUT_OBJECT", "name": "IntFilter", "ofType": None}
    }
    assert [d["key"] for d in await definitions(tenant)] == ["shoeSize"]
    assert [(d["key"], d["archived"]) for d in await definitions(tenant, include_archived=True)] == [
        ("loyaltyTier", True),
        ("shoeSize", False),
    ]
    # The generic accessor shows active fields only; the archived value is not lost.
    assert (await customer(tenant, ada["id"]))["customFields"] == {"shoeSize": 38}

    # Writes while archived neither see nor touch the archived value.
    unknown = await tenant.data(
        CREATE_CUSTOMER, {"input": {"kind": "PERSON", "name": "Bob", "customFields": {"loyaltyTier": "GOLD"}}}
    )
    assert [(e["code"], e["field"]) for e in unknown["customerCreate"]["userErrors"]] == [
        ("UNKNOWN_FIELD", ["input", "customFields", "loyaltyTier"])
    ]
    changed = await tenant.mutate(
        "mutation($id: ID!, $v: Int!) { customerUpdate(id: $id, expectedVersion: $v, "
        "input: {customFields: {shoeSize: 39}}) { customer { customFields } userErrors { code } } }",
        {"id": ada["id"], "v": ada["version"]},
    )
    assert changed["customer"]["customFields"] == {"shoeSize": 39}

    again = (await tenant.data(ARCHIVE, {"id": tier["id"]}))["customFieldArchive"]
    assert again["userErrors"] == []
    assert again["customField"]["version"] == archived["customField"]["version"]  # already archived: no-op

    restored = (await tenant.data(RESTORE, {"id": tier["id"]}))["customFieldRestore"]
    assert restored["userErrors"] == []
    assert restored["customField"]["archived"] is False
    assert set(await type_fields(tenant, "CustomerCustomFields") or {}) == {"loyaltyTier", "shoeSize"}
    after = await customer(tenant, ada["id"], "customFields custom { loyaltyTier shoeSize }")
    assert after == {
        "customFields": {"loyaltyTier": gold_id, "shoeSize": 39},
        "custom": {"loyaltyTier": "GOLD", "shoeSize": 39},
    }
    assert size["archived"] is False


async def test_archiving_the_only_field_removes_the_custom_types(tenant: Tenant) -> None:
    definition = await created(tenant, "shoeSize", "INTEGER")
    await tenant.mutate(ARCHIVE, {"id": definition["id"]})
    assert await type_fields(tenant, "CustomerCustomFields") is None
    customer_fields = await type_fields(tenant, "Customer")
    assert customer_fields is not None
    assert "custom" not in customer_fields
    await tenant.mutate(RESTORE, {"id": definition["id"]})
    assert await type_fields(tenant, "CustomerCustomFields") == {"shoeSize": scalar("Int")}


async def test_restoring_a_required_field_fills_or_refuses(tenant: Tenant) -> None:
    with_default = await created(tenant, "region", "TEXT", required=True, default="North")
    without = await created(tenant, "code", "TEXT")
    await tenant.mutate(UPDATE, {"id": without["id"], "input": {"required": True}})  # no customers yet
    for d in (with_default, without):
        await tenant.mutate(ARCHIVE, {"id": d["id"]})
    bob = await add_customer(tenant, "Bob")  # created while both fields were archived
    assert bob["customFields"] == {}

    restored = (await tenant.data(RESTORE, {"id": with_default["id"]}))["customFieldRestore"]
    assert restored["userErrors"] == []
    assert (await customer(tenant, bob["id"]))["customFields"] == {"region": "North"}

    refused = (await tenant.data(RESTORE, {"id": without["id"]}))["customFieldRestore"]
    assert [e["code"] for e in refused["userErrors"]] == ["REQUIRED"]
    assert [d["key"] for d in await definitions(tenant)] == ["region"]


# --- keys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("LoyaltyTier", "INVALID_KEY"),
        ("loyalty_tier", "INVALID_KEY"),
        ("loyalty-tier", "INVALID_KEY"),
        ("1stPlace", "INVALID_KEY"),
        ("", "INVALID_KEY"),
        ("a" * 51, "INVALID_KEY"),
        ("ñame", "INVALID_KEY"),
        ("has space", "INVALID_KEY"),
        ("email", "RESERVED_KEY"),
        ("name", "RESERVED_KEY"),
        ("tags", "RESERVED_KEY"),
        ("sourceChannel", "RESERVED_KEY"),
        ("ownerId", "RESERVED_KEY"),
        ("custom", "RESERVED_KEY"),
        ("customFields", "RESERVED_KEY"),
        ("id", "RESERVED_KEY"),
        ("createdAt", "RESERVED_KEY"),
        ("and", "RESERVED_KEY"),
        ("class", "RESERVED_KEY"),
        ("match", "RESERVED_KEY"),
        ("edge", "RESERVED_KEY"),  # CustomerEdge
        ("orderBy", "RESERVED_KEY"),  # CustomerOrderBy
        # Types made only once a tenant has custom fields:
        ("customFieldsInput", "RESERVED_KEY"),
        ("customFieldsFilter", "RESERVED_KEY"),
        ("customOrderField", "RESERVED_KEY"),
    ],
)
async def test_bad_keys_are_refused(tenant: Tenant, key: str, code: str) -> None:
    payload = await create(tenant, key, "SELECT", options=TIERS)
    assert payload["customField"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["input", "key"])]
    assert await definitions(tenant, include_archived=True) == []
    assert (await tenant.data("{ customers(first: 1) { totalCount } }"))["customers"]["totalCount"] == 0


@pytest.mark.parametrize("key", ["a", "loyaltyTier", "x1", "aB3", "a" * 50, "self", "type", "mro"])
async def test_good_keys_work(tenant: Tenant, key: str) -> None:
    await created(tenant, key, "TEXT")
    ada = await add_customer(tenant, customFields={key: "hello"})
    assert ada["customFields"] == {key: "hello"}
    data = await tenant.data(f"{{ customers(first: 5) {{ nodes {{ custom {{ {key} }} }} }} }}")
    assert data["customers"]["nodes"] == [{"custom": {key: "hello"}}]


async def test_duplicate_key_is_refused_even_when_archived(tenant: Tenant) -> None:
    first = await created(tenant, "loyaltyTier", "SELECT", options=TIERS)
    payload = await create(tenant, "loyaltyTier", "TEXT")
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("DUPLICATE", ["input", "key"])]
    await tenant.mutate(ARCHIVE, {"id": first["id"]})
    payload = await create(tenant, "loyaltyTier", "TEXT")
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("DUPLICATE", ["input", "key"])]
    assert [d["id"] for d in await definitions(tenant, include_archived=True)] == [first["id"]]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("tier", "tierFilter"),  # CustomerTierFilter: the filter of one, the enum of the other
        ("tierFilter", "tier"),
        ("tier", "tierList"),  # CustomerTierListFilter
        ("aBC", "aBc"),  # both would sort as A_BC
        ("httpUrl", "httpURL"),
    ],
)
async def test_keys_whose_api_names_would_clash_are_refused(tenant: Tenant, first: str, second: str) -> None:
    await created(tenant, first, "SELECT", options=TIERS)
    payload = await create(tenant, second, "SELECT", options=TIERS)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("RESERVED_KEY", ["input", "key"])]
    assert first in payload["userErrors"][0]["message"]
    # The tenant's schema still builds and serves.
    assert set(await type_fields(tenant, "CustomerCustomFields") or {}) == {first}
    assert (await tenant.data("{ customers(first: 1) { totalCount } }"))["customers"]["totalCount"] == 0


async def test_key_clash_with_an_archived_field_is_refused(tenant: Tenant) -> None:
    tier = await created(tenant, "tier", "SELECT", options=TIERS)
    await tenant.mutate(ARCHIVE, {"id": tier["id"]})
    payload = await create(tenant, "tierFilter", "SELECT", options=TIERS)
    assert [e["code"] for e in payload["userErrors"]] == ["RESERVED_KEY"]
    await tenant.mutate(RESTORE, {"id": tier["id"]})
    assert await enum_values(tenant, "CustomerTier") == ["GOLD", "SILVER"]


async def test_every_problem_is_reported_at_once(tenant: Tenant) -> None:
    payload = await create(tenant, "Bad Key", "TEXT", label="", description="x" * 1001)
    assert sorted((e["code"], tuple(e["field"])) for e in payload["userErrors"]) == [
        ("INVALID", ("input", "label")),
        ("INVALID_KEY", ("input", "key")),
        ("TOO_LONG", ("input", "description")),
    ]


@pytest.mark.parametrize(
    ("type_", "given", "code", "path"),
    [
        ("TEXT", {"min": 1}, "INVALID", ["input", "min"]),
        ("INTEGER", {"regex": "[0-9]+"}, "INVALID", ["input", "regex"]),
        ("BOOLEAN", {"options": TIERS}, "INVALID", ["input", "options"]),
        ("SELECT", {}, "REQUIRED", ["input", "options"]),
        ("SELECT", {"options": [{"label": "Gold"}, {"label": "GOLD"}]}, "DUPLICATE", ["input", "options"]),
        ("SELECT", {"options": [{"label": " "}]}, "INVALID", ["input", "options"]),
        (
            "SELECT",
            {"options": [{"label": "Alpha", "id": "SILVER"}, {"label": "Silver"}]},
            "INVALID",
            ["input", "options"],
        ),
        ("INTEGER", {"min": 10, "max": 1}, "INVALID", ["input", "min"]),
        ("DECIMAL", {"scale": 20}, "INVALID", ["input", "scale"]),
        ("DATE", {"default": "2024-02-30"}, "INVALID", ["input", "default"]),
        ("INTEGER", {"max": 5, "default": 6}, "TOO_LARGE", ["input", "default"]),
        ("PHONE", {"defaultRegion": "ZZ"}, "INVALID", ["input", "defaultRegion"]),
    ],
)
async def test_bad_settings_create_nothing(
    tenant: Tenant, type_: str, given: dict[str, Any], code: str, path: list[str]
) -> None:
    payload = await create(tenant, "someField", type_, **given)
    assert payload["customField"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, path)]
    assert await definitions(tenant, include_archived=True) == []
    assert await type_fields(tenant, "CustomerCustomFields") is None


# --- permissions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["MEMBER", "VIEWER"])
async def test_only_admins_manage_definitions(tenant: Tenant, role: str) -> None:
    existing = await created(tenant, "shoeSize", "INTEGER")
    token = await tenant.token_for(role)
    attempts = [
        (CREATE, {"input": field_input("loyaltyTier", "SELECT", options=TIERS)}),
        (UPDATE, {"id": existing["id"], "input": {"label": "Changed"}}),
        (ARCHIVE, {"id": existing["id"]}),
        (RESTORE, {"id": existing["id"]}),
    ]
    for mutation, variables in attempts:
        body = await tenant.gql(mutation, variables, token=token)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert body["data"] is None
    # Reading definitions is fine for every role; nothing changed.
    listed = await definitions(tenant, include_archived=True)
    assert (await tenant.data(DEFINITIONS, {"entity": "CUSTOMER", "all": True}, token=token)) == {
        "customFieldDefinitions": listed
    }
    assert [(d["key"], d["label"], d["archived"]) for d in listed] == [("shoeSize", "shoeSize label", False)]
    assert await enum_values(tenant, "CustomerLoyaltyTier") is None


async def test_admin_token_may_create(tenant: Tenant) -> None:
    token = await tenant.token_for("ADMIN")
    payload = await create(tenant, "shoeSize", "INTEGER", token=token)
    assert payload["userErrors"] == []
    assert [d["key"] for d in await definitions(tenant)] == ["shoeSize"]


# --- required fields --------------------------------------------------------------------------------------------


async def test_required_without_default_is_refused_when_customers_exist(tenant: Tenant) -> None:
    await add_customer(tenant, "Ada")
    await add_customer(tenant, "Bob")
    payload = await create(tenant, "region", "TEXT", required=True)
    assert payload["customField"] is None
    (error,) = payload["userErrors"]
    assert (error["code"], error["field"]) == ("REQUIRED", ["input", "required"])
    assert "2 records" in error["message"]
    assert await definitions(tenant, include_archived=True) == []
    assert await type_fields(tenant, "CustomerCustomFields") is None
    # The key is free for a second try.
    assert (await create(tenant, "region", "TEXT", required=True, default="North"))["userErrors"] == []


async def test_required_ignores_deleted_customers(tenant: Tenant) -> None:
    ada = await add_customer(tenant, "Ada")
    await tenant.mutate(
        "mutation($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code } } }", {"id": ada["id"]}
    )
    assert (await create(tenant, "region", "TEXT", required=True))["userErrors"] == []


@pytest.mark.parametrize(
    ("type_", "given", "default", "stored"),
    [
        ("TEXT", {}, "North", "North"),
        ("INTEGER", {}, 7, 7),
        ("DECIMAL", {}, "1.50", "1.5"),
        ("BOOLEAN", {}, False, False),
        ("DATE", {}, "2024-05-01", "2024-05-01"),
        ("SELECT", {"options": TIERS}, "SILVER", "option:SILVER"),
        ("MULTI_SELECT", {"options": TIERS}, ["SILVER", "GOLD"], "options:GOLD,SILVER"),
    ],
)
async def test_required_with_default_backfills_existing_customers(
    tenant: Tenant, type_: str, given: dict[str, Any], default: Any, stored: Any
) -> None:
    ada = await add_customer(tenant, "Ada")
    bob = await add_customer(tenant, "Bob", customFields={})
    definition = await created(tenant, "someField", type_, required=True, default=default, **given)
    ids = {o["value"]: o["id"] for o in definition["options"]}
    if isinstance(stored, str) and stored.startswith("option:"):
        stored = ids[stored.removeprefix("option:")]
    elif isinstance(stored, str) and stored.startswith("options:"):
        stored = [ids[v] for v in stored.removeprefix("options:").split(",")]
    assert definition["default"] == stored
    for c in (ada, bob):
        assert (await customer(tenant, c["id"]))["customFields"] == {"someField": stored}
    carl = await add_customer(tenant, "Carl")
    assert carl["customFields"] == {"someField": stored}


async def test_making_a_field_required_later(tenant: Tenant) -> None:
    definition = await created(tenant, "region", "TEXT")
    ada = await add_customer(tenant, "Ada", custom={"region": "West"})
    bob = await add_customer(tenant, "Bob")
    refused = await update(tenant, definition["id"], required=True)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("REQUIRED", ["input", "required"])]
    assert (await definitions(tenant))[0]["required"] is False

    payload = await update(tenant, definition["id"], required=True, default="North")
    assert payload["userErrors"] == []
    assert payload["customField"]["required"] is True
    assert (await customer(tenant, ada["id"]))["customFields"] == {"region": "West"}  # kept
    assert (await customer(tenant, bob["id"]))["customFields"] == {"region": "North"}  # filled

    optional = await update(tenant, definition["id"], required=False)
    assert optional["customField"]["required"] is False
    assert optional["customField"]["config"] == {"default": "North"}


# --- the definitions query ----------------------------------------------------------------------------------------


async def test_definitions_are_listed_in_position_order(tenant: Tenant) -> None:
    await created(tenant, "third", "TEXT", position=30)
    await created(tenant, "first", "TEXT", position=10)
    second = await created(tenant, "second", "INTEGER", position=20)
    last = await created(tenant, "appended", "BOOLEAN")  # after the highest position
    assert last["position"] == 31
    assert [d["key"] for d in await definitions(tenant)] == ["first", "second", "third", "appended"]
    assert list(await type_fields(tenant, "CustomerCustomFields") or {}) == ["first", "second", "third", "appended"]
    await tenant.mutate(ARCHIVE, {"id": second["id"]})
    assert [d["key"] for d in await definitions(tenant)] == ["first", "third", "appended"]
    assert [d["key"] for d in await definitions(tenant, include_archived=True)] == [
        "first",
        "second",
        "third",
        "appended",
    ]
    moved = await update(tenant, last["id"], position=1)
    assert moved["customField"]["position"] == 1
    assert [d["key"] for d in await definitions(tenant)] == ["appended", "first", "third"]
    assert list(await type_fields(tenant, "CustomerCustomFields") or {}) == ["appended", "first", "third"]


async def test_definitions_query_without_entity_lists_every_entity(tenant: Tenant) -> None:
    assert await definitions(tenant, entity=None) == []
    await created(tenant, "b", "TEXT")
    data = await tenant.data(CREATE, {"input": {**field_input("a", "TEXT"), "entity": "CONTACT"}})
    assert data["customFieldCreate"]["userErrors"] == []
    listed = await definitions(tenant, entity=None)
    assert [(d["entity"], d["key"]) for d in listed] == [("CONTACT", "a"), ("CUSTOMER", "b")]
