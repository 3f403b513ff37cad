"""The `carrot` command: serve, migrate, mint keys, run the demo, check the ledgers."""

from __future__ import annotations

import typer

from carrot.config import database_url
from carrot.coupons_cli import coupons_app
from carrot.store.db import Database
from carrot.talang.cli import talang_app

app = typer.Typer(
    no_args_is_help=True, help="carrot: promotion, coupon, referral and loyalty engine."
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
key_app = typer.Typer(no_args_is_help=True, help="Management API keys.")
app.add_typer(db_app, name="db")
app.add_typer(key_app, name="management-key")
app.add_typer(talang_app, name="talang")
app.add_typer(coupons_app, name="coupons")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Migrate the database, then serve the Integration and Management APIs."""
    import uvicorn

    Database(database_url()).upgrade()
    uvicorn.run(
        "carrot.api.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Create (once) a demo application with sample customers, print its keys, then serve."""
    from carrot.service.demo import prepare_demo

    db = Database(database_url())
    db.upgrade()
    setup = prepare_demo(db)
    base = f"http://{host}:{port}"
    typer.echo(f"Demo application {setup.application_id} is ready.")
    typer.echo(f"Integration API key: {setup.integration_key}")
    typer.echo(f"Management API key:  {setup.management_key}")
    typer.echo("Try (in another terminal):")
    typer.echo(
        f"  curl -s -X PUT {base}/v2/customer_sessions/demo-cart-5 \\\n"
        f"    -H 'Authorization: ApiKey-v1 {setup.integration_key}' \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        """    -d '{"customerSession": {"profileId": "demo-alice", "cartItems": ["""
        """{"sku": "POT-02", "name": "Tea pot", "price": 29, "quantity": 2, "category": "Kitchen"}, """
        """{"sku": "CUP-03", "name": "Cup", "price": 6.5, "quantity": 4, "category": "Kitchen"}], """
        """"additionalCosts": {"shipping": {"price": 4.9}}}, """
        """"responseContent": ["customerSession", "triggeredCampaigns", "ruleFailureReasons"]}'"""
    )
    typer.echo(f"Serving on {base} (Ctrl-C stops).")
    serve(host=host, port=port, workers=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    Database(database_url()).upgrade()
    typer.echo("database is up to date", err=True)


@key_app.command("create")
def management_key_create(
    name: str = typer.Option(..., help="What the key is for."),
    application_id: list[int] = typer.Option(
        None, "--application-id", help="Limit the key to these applications (repeatable)."
    ),
) -> None:
    """Print a new Management API key on stdout, and nothing else."""
    from carrot.service.keys import create_management_key

    db = Database(database_url())
    db.upgrade()
    typer.echo(create_management_key(db, name, allowed_application_ids=application_id or None))


@app.command("check-ledgers")
def check_ledgers(
    application_id: int = typer.Option(
        None, "--application-id", help="Check only this application (default: all)."
    ),
) -> None:
    """Recompute every coupon, referral and budget counter from its ledger and every
    coupon's reservationCounter from its reservations; print each difference and end with
    `N differences` (exit status 1 when N > 0)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from carrot.service import ledgers

    db = Database(database_url())
    db.upgrade()
    size = ledgers.ledger_size(db, application_id)
    progress = Progress(
        TextColumn("ledger rows"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=size < 100_000,
    )
    with progress:
        task = progress.add_task("rows", total=size)
        differences = ledgers.check_ledgers(db, application_id, lambda n: progress.advance(task, n))
    for difference in differences:
        typer.echo(str(difference))
    typer.echo(f"{len(differences)} differences")
    if differences:
        raise typer.Exit(1)
