"""The ASGI application: routers, error handlers and the database handle."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carrot import __version__
from carrot.api import errors
from carrot.api.integration import router as integration_router
from carrot.api.management import router as management_router
from carrot.config import database_url
from carrot.store.db import Database


def create_app(db: Database | None = None, *, freeze_startup_objects: bool = False) -> FastAPI:
    app = FastAPI(
        title="carrot",
        version=__version__,
        description="Promotion, coupon, referral and loyalty engine speaking Talon.One's API.",
        lifespan=_frozen_after_startup if freeze_startup_objects else None,
    )
    app.state.db = db or Database(database_url())
    errors.install(app)
    app.include_router(integration_router)
    app.include_router(management_router)
    return app


def create_served_app() -> FastAPI:
    """The application as `carrot serve` runs it, in its own process."""
    return create_app(freeze_startup_objects=True)


@asynccontextmanager
async def _frozen_after_startup(_app: FastAPI) -> AsyncIterator[None]:
    """Move everything alive once the server has started (modules, routes, models, about
    200,000 objects) out of reach of the garbage collector's full collections: each of them
    walked all of it, 125 ms with the event loop stopped, every 1,500 session updates or so.
    What is alive once the server has started stays alive as long as it runs; should some of
    it become garbage later, reference counting still frees it unless it is in a cycle."""
    gc.collect()
    gc.freeze()
    yield
