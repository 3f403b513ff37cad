"""The ASGI application: routers, error handlers and the database handle."""

from __future__ import annotations

from fastapi import FastAPI

from carrot import __version__
from carrot.api import errors
from carrot.api.integration import router as integration_router
from carrot.api.management import router as management_router
from carrot.config import database_url
from carrot.store.db import Database


def create_app(db: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="carrot",
        version=__version__,
        description="Promotion, coupon, referral and loyalty engine speaking Talon.One's API.",
    )
    app.state.db = db or Database(database_url())
    errors.install(app)
    app.include_router(integration_router)
    app.include_router(management_router)
    return app
