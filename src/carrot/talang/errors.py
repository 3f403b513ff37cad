"""Errors of the Talang language: every failure names the JSON path of the node at fault.

A path is written like JSONPath: `$` is the whole expression, `$[1][2]` the third element
of its second element.
"""

from __future__ import annotations

from collections.abc import Callable


class TalangError(Exception):
    """An expression that cannot be read, checked or evaluated.

    `message` is a sentence a rule author can act on; `path` locates the node at fault.
    """

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.message} (at {self.path})"


class TalangSyntaxError(TalangError):
    """The text form could not be read."""


class TalangCheckError(TalangError):
    """The expression is malformed or ill-typed; found before it runs."""


class TalangRuntimeError(TalangError):
    """Evaluation failed. `catch` and `.|` recover from these."""

    _word: Callable[[], TalangRuntimeError] | None = None

    @classmethod
    def deferred(cls, word: Callable[[], TalangRuntimeError]) -> TalangRuntimeError:
        """An error worded only when its message or path is first read: most failures of a
        read are a screen's, which only needs to know that it failed. `word` makes the
        error from what it captured when it was raised."""
        error = cls.__new__(cls)
        error._word = word
        return error

    def __getattr__(self, name: str) -> str:
        # Reached only for what an instance lacks: a deferred error's message and path.
        if self._word is None or name not in ("message", "path"):
            raise AttributeError(name)
        worded = self._word()
        TalangError.__init__(self, worded.message, worded.path)
        return str(getattr(self, name))


class StepLimitError(TalangRuntimeError):
    """Evaluation used up its step budget. Nothing recovers from this."""


class FunctionError(Exception):
    """Raised by a builtin or host function; the evaluator adds the path of the call.

    `argument` (1-based, as in the JSON list) points the path at one argument of the call.
    """

    def __init__(self, message: str, argument: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.argument = argument

    def at(self, path: str) -> TalangRuntimeError:
        return TalangRuntimeError(self.message, self._path(path))

    def _path(self, path: str) -> str:
        return path if self.argument is None else f"{path}[{self.argument}]"


class StepLimitReached(FunctionError):
    """A function found the step budget exhausted."""

    def at(self, path: str) -> TalangRuntimeError:
        return StepLimitError(self.message, self._path(path))
