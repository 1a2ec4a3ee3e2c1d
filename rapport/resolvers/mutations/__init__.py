"""Create / update / delete for every entity (``crud``), with per-entity rules in their own modules."""

from rapport.auth.permissions import CanWrite
from rapport.resolvers.mutations import contact, customer
from rapport.resolvers.mutations.crud import create_resolver, delete_resolver, update_resolver

__all__ = ["CanWrite", "contact", "create_resolver", "customer", "delete_resolver", "update_resolver"]
