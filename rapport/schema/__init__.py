"""GraphQL schema: shared scalars and inputs, and the per-tenant schema factory and cache."""
