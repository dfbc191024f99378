"""The composition root: settings, the embedded PostgreSQL, process wiring and the CLI.

It builds the pieces of `domain`, `projections`, `reconciler` and `graphql_api` and runs them; no
business rule lives here.
"""
