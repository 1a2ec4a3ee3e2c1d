"""GraphQL schema: declarations, the base schema built from them once, and per-tenant copies with custom fields."""
