"""The base schema: every core type and root field, with placeholders where custom fields go. Built once per
process; each tenant's schema is a cheap copy of it (``tenant.py``)."""
# mypy: disable-error-code="valid-type"

from functools import lru_cache
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig

from rapport.auth.permissions import role_at_least
from rapport.schema import naming, scalars
from rapport.schema.declarations import Entity
from rapport.schema.entities import ENTITIES
from rapport.schema.prepared import PreparedDocument
from rapport.schema.roots import RootField
from rapport.schema.types import TYPES, TypeRegistry


class RapportSchema(strawberry.Schema):
    """Errors are shaped and logged once, by the request executor (with the request id)."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None


def dict_or_attr(source: Any, name: str) -> Any:
    """Default resolver: records and objects by attribute, dicts (JSON values) by key."""
    if type(source) is dict:
        return source.get(name)
    return getattr(source, name)


def _entity_mutations(entity: Entity, registry: TypeRegistry) -> dict[str, Any]:
    from rapport.resolvers.mutations import create_resolver, delete_resolver, update_resolver

    types = registry.entities[entity.name]
    field_name = naming.lower_first(entity.name)
    writer: list[FieldExtension] = [
        PermissionExtension(permissions=[role_at_least(entity.write_role)()], use_directives=False)
    ]
    fields = {
        f"{field_name}_create": strawberry.mutation(
            resolver=create_resolver(entity, types.create_input, types.payloads["Create"], field_name),
            description=f"Create a {entity.name}.",
            extensions=writer,
        ),
        f"{field_name}_update": strawberry.mutation(
            resolver=update_resolver(entity, types.update_input, types.payloads["Update"], field_name),
            description=f"Change a {entity.name}. Pass the version you read as expectedVersion; a stale version "
            "is refused with CONFLICT.",
            extensions=writer,
        ),
    }
    if entity.deletable:
        fields[f"{field_name}_delete"] = strawberry.mutation(
            resolver=delete_resolver(entity, types.payloads["Delete"]),
            description=f"Delete a {entity.name}.",
            extensions=writer,
        )
    if entity.deletable and entity.soft_delete:
        from rapport.resolvers.mutations.restore import restore_resolver

        fields[f"{field_name}_restore"] = strawberry.mutation(
            resolver=restore_resolver(entity, types.payloads["Restore"], field_name),
            description=f"Bring back a deleted {entity.name} (within the retention period, "
            "RAPPORT_DELETE_RETENTION_DAYS, 30 days by default)."
            + (" Its contacts deleted with it come back too." if entity.name == "Customer" else ""),
            extensions=writer,
        )
    return fields


def _extension_modules() -> list[Any]:
    """Modules with hand-written root fields: ``query_fields(objects)`` / ``mutation_fields(objects)``."""
    from rapport.resolvers import audit, custom_fields, customer_figures, data_subject, reports, tenant
    from rapport.resolvers.mutations import lead_convert, ledger, opportunity_stage, shipment

    return [
        tenant,
        customer_figures,
        reports,
        custom_fields,
        lead_convert,
        opportunity_stage,
        shipment,
        ledger,
        audit,
        data_subject,
    ]


def _root_field(name: str, spec: RootField, *, mutation: bool) -> Any:
    extensions: list[FieldExtension] = []
    if spec.role != "VIEWER":
        extensions.append(PermissionExtension(permissions=[role_at_least(spec.role)()], use_directives=False))
    make = strawberry.mutation if mutation else strawberry.field
    return make(resolver=spec.resolver, description=spec.description, extensions=extensions)


def _root_fields(registry: TypeRegistry) -> tuple[dict[str, Any], dict[str, Any]]:
    from rapport.resolvers import queries

    query: dict[str, Any] = {
        "node": strawberry.field(resolver=queries.node, description="Fetch any object by its global ID."),
        "nodes": strawberry.field(resolver=queries.nodes, description="Fetch objects by global IDs (at most 100)."),
    }
    mutation: dict[str, Any] = {}
    for entity in ENTITIES.values():
        types = registry.entities[entity.name]
        if entity.root_field:
            query[entity.root_field] = strawberry.field(
                resolver=queries.root_resolver(entity, types.connection, types.filter, types.order),
                description=f"{entity.name} objects, filtered and ordered, a page at a time.",
            )
        if entity.inputs:
            mutation.update(_entity_mutations(entity, registry))
    objects = {name: t.object for name, t in registry.entities.items()}
    for module in _extension_modules():
        if hasattr(module, "query_fields"):
            for name, spec in module.query_fields(objects).items():
                query[name] = _root_field(name, spec, mutation=False)
        if hasattr(module, "mutation_fields"):
            for name, spec in module.mutation_fields(objects).items():
                mutation[name] = _root_field(name, spec, mutation=True)
    return query, mutation


def custom_field_types() -> list[Any]:
    from rapport.schema.filters import (
        BooleanFilter,
        DateFilter,
        DateTimeFilter,
        DecimalFilter,
        IDFilter,
        IntFilter,
        JSONFilter,
        MoneyFilter,
        StringFilter,
    )
    from rapport.schema.money import Money, MoneyInput

    return [
        Money,
        MoneyInput,
        MoneyFilter,
        JSONFilter,
        StringFilter,
        IntFilter,
        DecimalFilter,
        BooleanFilter,
        DateFilter,
        DateTimeFilter,
        IDFilter,
    ]


@lru_cache(maxsize=1)
def base_schema() -> RapportSchema:
    query_ns, mutation_ns = _root_fields(TYPES)
    query = strawberry.type(type("Query", (), query_ns), description="Everything a token of this tenant can read.")
    mutation = strawberry.type(
        type("Mutation", (), mutation_ns), description="Everything a token of this tenant can change."
    )
    return RapportSchema(
        query=query,
        mutation=mutation,
        # Execution reuses the document the request limits parsed (rapport.limits).
        extensions=[PreparedDocument],
        # Types only custom fields use (tenant schemas reference them by name).
        types=[*(t.object for t in TYPES.entities.values()), *custom_field_types()],
        config=StrawberryConfig(default_resolver=dict_or_attr, scalar_map={**scalars.SCALAR_MAP, **TYPES.scalar_map}),
    )
