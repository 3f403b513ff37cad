"""`carrot talang eval` and `carrot talang check`: try an expression from the shell.

EXPR may be in either notation: a JSON array is the JSON form, anything else is text.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

import typer

from carrot.talang.compiler import compile_expr
from carrot.talang.errors import TalangError
from carrot.talang.text import parse_text, to_text
from carrot.talang.types import kinds_name, parse_rfc3339, to_json

talang_app = typer.Typer(no_args_is_help=True, help="Evaluate and check Talang expressions.")


@talang_app.command("eval")
def eval_command(
    expr: str = typer.Argument(..., help="The expression, in JSON or text form."),
    scope: str = typer.Option(
        None, "--scope", help="Bindings as a JSON object; RFC 3339 strings become times."
    ),
    now: str = typer.Option(None, "--now", help="The current time (RFC 3339) for `days`."),
) -> None:
    """Evaluate EXPR and print the result as JSON."""
    try:
        tree = read_expr(expr)
        bindings = read_scope(scope) if scope else None
        clock = read_time(now) if now else None
        result = compile_expr(tree).evaluate(bindings, now=clock)
    except (TalangError, ValueError) as error:
        fail(error)
    typer.echo(to_json(result))


@talang_app.command("check")
def check_command(
    expr: str = typer.Argument(..., help="The expression, in JSON or text form."),
) -> None:
    """Check EXPR without running it; print what it gives and both notations."""
    try:
        tree = read_expr(expr)
        compiled = compile_expr(tree)
    except TalangError as error:
        fail(error)
    typer.echo(f"ok: gives {kinds_name(compiled.result_kinds)}")
    typer.echo(f"text: {to_text(tree)}")
    typer.echo(f"json: {to_json(tree)}")


def fail(error: Exception) -> NoReturn:
    if isinstance(error, TalangError):
        typer.echo(f"error at {error.path}: {error.message}", err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    raise typer.Exit(1)


def read_expr(text: str) -> Any:
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        return parse_text(text)
    return parsed if isinstance(parsed, list) else parse_text(text)


def read_scope(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise ValueError(f"--scope is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ValueError("--scope must be a JSON object")
    converted: dict[str, Any] = _with_times(parsed)
    return converted


def _with_times(value: Any) -> Any:
    if isinstance(value, str):
        time = parse_rfc3339(value)
        return value if time is None else time
    if isinstance(value, list):
        return [_with_times(item) for item in value]
    if isinstance(value, dict):
        return {key: _with_times(item) for key, item in value.items()}
    return value


def read_time(text: str) -> datetime:
    time = parse_rfc3339(text)
    if time is None:
        raise ValueError(f"--now {text!r} is not an RFC 3339 time")
    return time
