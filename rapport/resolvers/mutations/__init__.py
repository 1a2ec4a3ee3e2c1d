"""Create / update / delete for every entity (``crud``), with per-entity rules in their own modules."""

from rapport.auth.permissions import CanWrite
from rapport.resolvers.mutations import (
    contact,
    customer,
    interaction,
    lead,
    opportunity,
    order,
    service_case,
    simple,
)
from rapport.resolvers.mutations.crud import create_resolver, delete_resolver, update_resolver

RULE_MODULES = (contact, customer, interaction, lead, opportunity, order, service_case, simple)

__all__ = ["RULE_MODULES", "CanWrite", "create_resolver", "delete_resolver", "update_resolver"]
