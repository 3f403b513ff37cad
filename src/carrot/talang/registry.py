"""The function registry: every Talang function is declared here once, builtin or host.

A declaration carries the name, one or more typed signatures (overloads) with their Python
implementation, a doc sentence and examples. The checker, both evaluators and the generated
reference (`docs/talang.md`) all read the same declarations.

Signatures use a small notation::

    "(value: Decimal, bound: Decimal, bounds: Decimal...) -> Boolean"
    "(list: List, block: Block[Boolean]) -> List"
    "(fallback: lazy Any, body: lazy Any) -> Any"

Kinds are `Decimal String Boolean Time Null List Map` and the unions `Atom` (the five
single-value kinds), `Collection` (List|Map) and `Any`; join them with `|`. A trailing `...`
repeats the last parameter zero or more times. Parameter forms other than a plain value:

* `lazy K`   the function receives a thunk and decides whether and when to evaluate it;
* `Block[K]` a block, written `[["Item"], body]`, `"Item", body` or `["fn", "Item", body]`;
  the function receives a `BlockArg` whose body gives a K;
* `Pair`     a `["Key", value]` pair (for `kv`);
* `Template` a template body with `["#", i]` placeholders (for `setTemplate`);
* `Expr`     the argument's expression itself, unevaluated (for `!`).

Calling conventions (`style`): "values" calls `impl(*values)`; "context" calls
`impl(context, *values)` with the host's per-evaluation context object; "frame" calls
`impl(frame, *args)` and "site" `impl(frame, site, *args)`; those two are reserved for the
special forms of the core library. Lazy arguments arrive as `Lazy` objects, blocks as
`BlockArg`, pairs as `PairArg` (see runtime.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from carrot.talang.types import ANY, kinds_name, parse_kinds

VALUE = "value"
LAZY = "lazy"
BLOCK = "block"
PAIR = "pair"
TEMPLATE = "template"
EXPR = "expr"

STYLE_VALUES = "values"
STYLE_CONTEXT = "context"
STYLE_FRAME = "frame"
STYLE_SITE = "site"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kinds: int
    form: str = VALUE

    def describe(self) -> str:
        if self.form == BLOCK:
            return f"{self.name}: Block[{kinds_name(self.kinds)}]"
        if self.form in (PAIR, TEMPLATE, EXPR):
            return f"{self.name}: {self.form.capitalize()}"
        prefix = "lazy " if self.form == LAZY else ""
        return f"{self.name}: {prefix}{kinds_name(self.kinds)}"


@dataclass(frozen=True, slots=True)
class Overload:
    """One typed signature of a function with the Python code that implements it."""

    params: tuple[Param, ...]
    variadic: bool
    returns: int
    impl: Callable[..., Any]
    style: str = STYLE_VALUES
    infer: Callable[[Sequence[int]], int] | None = None

    @property
    def min_args(self) -> int:
        return len(self.params) - (1 if self.variadic else 0)

    def signature(self) -> str:
        parts = [param.describe() for param in self.params]
        if self.variadic:
            parts[-1] += "..."
        return f"({', '.join(parts)}) -> {kinds_name(self.returns)}"


@dataclass(frozen=True, slots=True)
class Example:
    """A documented example; the test suite evaluates every one of them."""

    text: str
    result: Any = None
    scope: dict[str, Any] | None = None
    error: str | None = None
    note: str = ""
    now: datetime | None = None


@dataclass(frozen=True)
class FunctionDef:
    """A function, declared once: all its overloads, its doc and its examples.

    pure:      same arguments give the same result and nothing else happens, so a call with
               constant arguments is computed once, when the expression is compiled.
    needs_run: the function uses per-evaluation state (templates, clock, host context),
               so the evaluator must set it up.
    loops:     the function runs a block once per item of a list; loops nested in loops
               share one step budget per evaluation.
    writes:    the function changes bindings (`set`, `setTemplate`).
    host:      declared by the host; its results are checked against the declared kinds.
    """

    name: str
    overloads: tuple[Overload, ...]
    doc: str
    family: str
    examples: tuple[Example, ...] = ()
    pure: bool = True
    needs_run: bool = False
    loops: bool = False
    writes: bool = False
    host: bool = False
    key: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.overloads:
            raise ValueError(f"function `{self.name}` declares no signature")
        object.__setattr__(self, "key", self.name.lower())
        if any(o.style in (STYLE_CONTEXT, STYLE_SITE) for o in self.overloads):
            # Reaching the host context or expanding code needs the per-run state.
            object.__setattr__(self, "needs_run", True)
            object.__setattr__(self, "pure", False)


_PARAM = re.compile(r"^\s*(\w+)\s*:\s*(lazy\s+)?(.+?)\s*$")
_BLOCK = re.compile(r"^Block(?:\[(.+)\])?$")


def parse_signature(text: str) -> tuple[tuple[Param, ...], bool, int]:
    """`"(a: Decimal, b: Decimal...) -> Decimal"` -> (params, variadic, returns)."""
    match = re.fullmatch(r"\s*\((.*)\)\s*->\s*(.+?)\s*", text)
    if match is None:
        raise ValueError(f"signature {text!r} is not of the form `(name: Kind, ...) -> Kind`")
    body, returns = match.groups()
    params: list[Param] = []
    variadic = False
    pieces = [piece for piece in body.split(",") if piece.strip()] if body.strip() else []
    for index, piece in enumerate(pieces):
        if variadic:
            raise ValueError(f"signature {text!r}: only the last parameter may repeat")
        piece = piece.strip()
        if piece.endswith("..."):
            piece = piece[:-3]
            variadic = True
        params.append(_parse_param(piece, text))
        if variadic and index != len(pieces) - 1:
            raise ValueError(f"signature {text!r}: only the last parameter may repeat")
    return tuple(params), variadic, parse_kinds(returns)


def _parse_param(piece: str, signature: str) -> Param:
    match = _PARAM.match(piece)
    if match is None:
        raise ValueError(f"signature {signature!r}: cannot read parameter {piece!r}")
    name, lazy, kind_text = match.groups()
    block = _BLOCK.match(kind_text)
    if block is not None:
        return Param(name, parse_kinds(block.group(1) or "Any"), BLOCK)
    if kind_text in ("Pair", "Template", "Expr"):
        return Param(name, ANY, kind_text.lower())
    return Param(name, parse_kinds(kind_text), LAZY if lazy else VALUE)


def overload(
    signature: str,
    impl: Callable[..., Any],
    *,
    style: str = STYLE_VALUES,
    infer: Callable[[Sequence[int]], int] | None = None,
) -> Overload:
    """Declare one signature of a function and the code that implements it."""
    params, variadic, returns = parse_signature(signature)
    return Overload(params, variadic, returns, impl, style, infer)


def host_function(
    name: str,
    signature: str,
    impl: Callable[..., Any],
    *,
    doc: str,
    takes_context: bool = False,
    pure: bool = False,
    examples: Sequence[Example] = (),
    family: str = "host",
) -> FunctionDef:
    """Declare a host function, e.g. `couponValid` or the effect `setDiscount`.

    With `takes_context=True` the implementation is called as `impl(context, *args)`, where
    `context` is the object passed to `Compiled.evaluate(..., context=...)`; effects are
    recorded through it. `pure=True` lets the compiler fold calls with constant arguments.
    Raise `FunctionError` to fail the evaluation with a message; return None for Null.
    """
    style = STYLE_CONTEXT if takes_context else STYLE_VALUES
    return FunctionDef(
        name=name,
        overloads=(overload(signature, impl, style=style),),
        doc=doc,
        family=family,
        examples=tuple(examples),
        pure=pure and not takes_context,
        needs_run=takes_context,
        host=True,
    )


class Registry:
    """An immutable set of functions, looked up by case-insensitive name."""

    def __init__(self, functions: Iterable[FunctionDef] = ()) -> None:
        self._functions: dict[str, FunctionDef] = {}
        for function in functions:
            if function.key in self._functions:
                raise ValueError(f"function `{function.name}` is declared twice")
            self._functions[function.key] = function

    def lookup(self, name: str) -> FunctionDef | None:
        return self._functions.get(name.lower())

    def extend(self, *functions: FunctionDef, replace: bool = False) -> Registry:
        """A new registry with these functions added; the original is unchanged.

        Adding a name that exists is an error unless `replace=True`.
        """
        merged = dict(self._functions)
        for function in functions:
            if function.key in merged and not replace:
                raise ValueError(
                    f"function `{function.name}` already exists; pass replace=True to override it"
                )
            merged[function.key] = function
        return Registry(merged.values())

    def names(self) -> list[str]:
        return sorted(function.name for function in self._functions.values())

    def __iter__(self) -> Iterator[FunctionDef]:
        return iter(self._functions.values())

    def __len__(self) -> int:
        return len(self._functions)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._functions


_DEFAULT: list[Registry] = []


def default_registry() -> Registry:
    """The core library of Talang (built once, shared; registries are immutable)."""
    if not _DEFAULT:
        from carrot.talang.builtins import all_functions

        _DEFAULT.append(Registry(all_functions()))
    return _DEFAULT[0]
