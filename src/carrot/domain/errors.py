"""Errors the use cases raise; the API maps each to an HTTP status and Talon.One's error shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: what, and where (a JSON pointer into the body, or a parameter)."""

    title: str
    details: str = ""
    pointer: str | None = None
    parameter: str | None = None


@dataclass
class CarrotError(Exception):
    message: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)


class BadRequest(CarrotError):
    """400: the input is wrong; nothing was changed."""


class NotFound(CarrotError):
    """404: the entity does not exist (or the caller may not know it exists)."""


class Conflict(CarrotError):
    """409: the request clashes with the current state."""


class Unauthorized(CarrotError):
    """401: missing, unknown, expired or revoked key."""


class Forbidden(CarrotError):
    """403: the key is valid but not for this."""


def bad_parameter(parameter: str, details: str) -> BadRequest:
    return BadRequest(details, [Problem("Invalid parameter", details, parameter=parameter)])


def bad_request(details: str, pointer: str | None = None, title: str = "Bad request") -> BadRequest:
    return BadRequest(details, [Problem(title=title, details=details, pointer=pointer)])
