"""Database access: connection URLs, the embedded server, engines and the per-request tenant transaction."""
