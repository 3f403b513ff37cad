"""Where carrot keeps its data: read once from the environment."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///carrot.db"


def database_url() -> str:
    """The database URL from `CARROT_DATABASE_URL`, normalised for SQLAlchemy's drivers."""
    return normalise_database_url(os.environ.get("CARROT_DATABASE_URL") or DEFAULT_DATABASE_URL)


def normalise_database_url(url: str) -> str:
    # Users write the libpq form; carrot talks to PostgreSQL through psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
