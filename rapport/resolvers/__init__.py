"""Query and mutation resolvers, and the per-request dataloaders they read through."""
