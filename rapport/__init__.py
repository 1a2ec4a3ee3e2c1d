"""Rapport: a multi-tenant CRM served as a GraphQL API with per-tenant typed custom fields."""

__version__ = "0.1.0"
