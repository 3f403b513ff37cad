"""Templates: `setTemplate` stores a body with `(# 0)`, `(# 1)`… placeholders under a
signature; `!` substitutes its arguments, unevaluated, and evaluates the result in the
caller's scope (talang.md §4.9).

Expansion happens at run time, so it is bounded like everything else: each expansion is
checked and charged, and expansions nest no deeper than the expression depth limit
(counting from the `!` that started them), which stops a template that calls itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_FRAME, STYLE_SITE, Example, FunctionDef, overload
from carrot.talang.runtime import TEMPLATES, CallSite, ExprArg, Frame, TemplateBody, run_of
from carrot.talang.types import kinds_name, parse_kinds

FAMILY = "templates"
_SIGNATURE = re.compile(r"\s*([^\s(]+)\s*\((.*)\)\s*([\w|]*)\s*")


@dataclass(frozen=True, slots=True)
class TemplateSignature:
    name: str
    slots: tuple[int, ...]
    variadic: bool
    returns: int

    def accepts(self, kinds: list[int]) -> bool:
        count = len(self.slots)
        if self.variadic:
            if len(kinds) < count - 1:
                return False
        elif len(kinds) != count:
            return False
        for index, kind in enumerate(kinds):
            slot = self.slots[min(index, count - 1)]
            if not kind & slot:
                return False
        return True

    def describe(self) -> str:
        slots = [kinds_name(slot) for slot in self.slots]
        if self.variadic:
            slots[-1] += "..."
        return f"{self.name}({', '.join(slots)}){kinds_name(self.returns)}"


@dataclass(frozen=True, slots=True)
class Template:
    signature: TemplateSignature
    body: Any


def parse_template_signature(text: str) -> TemplateSignature:
    """`"plus(Decimal, Decimal)Decimal"`; a trailing `...` makes the last slot repeat."""
    match = _SIGNATURE.fullmatch(text)
    if match is None:
        raise ValueError(
            f'{text!r} is not a template signature; write it like "plus(Decimal, Decimal)Decimal"'
        )
    name, slot_text, returns = match.groups()
    slots: list[int] = []
    variadic = False
    parts = [part.strip() for part in slot_text.split(",")] if slot_text.strip() else []
    for index, part in enumerate(parts):
        if part.endswith("..."):
            if index != len(parts) - 1:
                raise ValueError(f"in {text!r} only the last parameter may repeat")
            variadic = True
            part = part[:-3].strip()
        slots.append(parse_kinds(part))
    return TemplateSignature(name, tuple(slots), variadic, parse_kinds(returns or "Any"))


def define_template(frame: Frame, signature: str, body: TemplateBody) -> None:
    try:
        parsed = parse_template_signature(signature)
    except ValueError as error:
        raise FunctionError(str(error), argument=1) from None
    templates: dict[str, tuple[Template, ...]] = frame.get(TEMPLATES) or {}
    key = parsed.name.lower()
    existing = templates.get(key, ())
    for template in existing:
        old = template.signature
        if (old.slots, old.variadic) == (parsed.slots, parsed.variadic):
            raise FunctionError(f"template `{parsed.describe()}` is already registered")
    frame[TEMPLATES] = {**templates, key: (*existing, Template(parsed, body.expr))}


def expand_template(frame: Frame, site: CallSite, name: str, *args: ExprArg) -> Any:
    template = _find(frame, name, [arg.kinds for arg in args])
    expanded = substitute(template.body, [arg.expr for arg in args])
    return run_of(frame).expand(frame, expanded, site, template.signature.name)


def _find(frame: Frame, name: str, kinds: list[int]) -> Template:
    templates: dict[str, tuple[Template, ...]] = frame.get(TEMPLATES) or {}
    named = templates.get(name.lower(), ())
    for template in named:
        if template.signature.accepts(kinds):
            return template
    shapes = ", ".join(kinds_name(kind) for kind in kinds) or "no arguments"
    if not named:
        raise FunctionError(f"template `{name}` not found; define it first with setTemplate")
    known = "; ".join(t.signature.describe() for t in named)
    raise FunctionError(f"template `{name}` not found for ({shapes}); there is {known}")


def substitute(body: Any, args: list[Any]) -> Any:
    """Replace `["#", i]` with the i-th argument. One pass suffices: an argument cannot hold
    a placeholder, since `#` is refused outside a template body."""
    if not isinstance(body, list | tuple) or not body:
        return body
    index = _placeholder(body)
    if index is not None and index < len(args):
        return args[index]
    return [substitute(item, args) for item in body]


def _placeholder(expr: list[Any] | tuple[Any, ...]) -> int | None:
    if len(expr) != 2 or expr[0] != "#":
        return None
    raw = expr[1]
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal) and raw >= 0 and raw == int(raw):
        return int(raw)
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None


FUNCTIONS = (
    FunctionDef(
        name="setTemplate",
        overloads=(
            overload(
                "(signature: String, body: Template) -> Null", define_template, style=STYLE_FRAME
            ),
        ),
        doc="Defines a template in the current scope. The signature reads "
        '`"name(Kind, Kind...)Result"`; in the body `(# 0)`, `(# 1)`… stand for the '
        "arguments. Gives Null.",
        family=FAMILY,
        pure=False,
        writes=True,
        examples=(
            Example(
                '((setTemplate "plus(Decimal, Decimal)Decimal" (+ (# 0) (# 1))) (! plus 1 2))',
                Decimal(3),
            ),
            Example('(setTemplate "plus" (+ (# 0) (# 1)))', error="is not a template signature"),
        ),
    ),
    FunctionDef(
        name="!",
        overloads=(
            overload(
                "(name: String, arguments: Expr...) -> Any", expand_template, style=STYLE_SITE
            ),
        ),
        doc="Uses a template: finds it by name, argument count and argument kinds, puts the "
        "arguments (unevaluated) in place of its placeholders and evaluates the result in "
        "the caller's scope.",
        family=FAMILY,
        pure=False,
        needs_run=True,
        writes=True,
        examples=(
            Example(
                '((setTemplate "double(Decimal)Decimal" (* 2 (# 0))) (+ 1 (! double 4)))',
                Decimal(9),
            ),
            Example(
                '((setTemplate "greet(String)String" (+ "Hello " (# 0))) (! greet (. Name)))',
                "Hello Ada",
                scope={"Name": "Ada"},
            ),
            Example("(! missing 1)", error="template `missing` not found"),
        ),
    ),
)
