"""Authentication (bearer tokens) and role-based permissions."""
