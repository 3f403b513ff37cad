"""Persistence: SQLAlchemy Core tables, queries and migrations. Imports only `domain`."""
