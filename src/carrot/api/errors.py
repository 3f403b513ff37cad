"""Every error leaves carrot in Talon.One's ErrorResponse shape:
`{"message": ..., "errors": [{"title", "details", "source": {"pointer" | "parameter"}}]}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carrot.domain.errors import (
    BadRequest,
    CarrotError,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
)

log = logging.getLogger("carrot.api")

STATUS: dict[type[CarrotError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
}


def error_body(message: str, problems: list[Problem]) -> dict[str, Any]:
    errors = []
    for problem in problems or [Problem(title=message)]:
        source: dict[str, str] = {}
        if problem.pointer is not None:
            source["pointer"] = problem.pointer
        if problem.parameter is not None:
            source["parameter"] = problem.parameter
        error: dict[str, Any] = {"title": problem.title, "details": problem.details or message}
        if source:
            error["source"] = source
        errors.append(error)
    return {"message": message, "errors": errors}


def validation_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        where, path = (location[0], location[1:]) if location else ("body", [])
        message = _describe(error)
        if where == "body":
            pointer = "/" + "/".join(_escape(part) for part in path)
            problems.append(Problem(title="Invalid value", details=message, pointer=pointer))
        else:
            parameter = path[0] if path else where
            problems.append(
                Problem(title="Invalid parameter", details=message, parameter=parameter)
            )
    return problems


def _describe(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    return message[0].upper() + message[1:] + "."


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def install(app: FastAPI) -> None:
    @app.exception_handler(CarrotError)
    async def carrot_error(_: Request, exc: CarrotError) -> JSONResponse:
        status = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
        return JSONResponse(error_body(exc.message, exc.problems), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc)
        return JSONResponse(
            error_body("The request is invalid: " + problems[0].details, problems),
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        return JSONResponse(
            error_body(message, [Problem(title=message)]),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("Internal server error.", [Problem(title="Internal server error")]),
            status_code=500,
        )
