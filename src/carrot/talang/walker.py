"""The reference evaluator: walks the checked tree node by node, no folding, no shortcuts.

It defines what an expression means as plainly as possible; the property tests check that
compiled closures give exactly what this gives. It is not meant to be fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carrot.talang.calls import arithmetic_error, invoke, select
from carrot.talang.checker import (
    DEFAULT_LIMITS,
    BlockNode,
    Call,
    Checker,
    Const,
    ExprNode,
    Limits,
    Node,
    PairNode,
    Seq,
    TemplateNode,
)
from carrot.talang.errors import (
    FunctionError,
    StepLimitError,
    TalangCheckError,
    TalangRuntimeError,
)
from carrot.talang.registry import BLOCK, EXPR, LAZY, PAIR, TEMPLATE, Registry, default_registry
from carrot.talang.runtime import (
    RUN,
    BlockArg,
    CallSite,
    ExprArg,
    Frame,
    Lazy,
    PairArg,
    Run,
    TemplateBody,
    Thunk,
    plain_result,
)


def walk(node: Node, frame: Frame) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Seq):
        value = None
        for item in node.items:
            value = walk(item, frame)
        return value
    if isinstance(node, Call):
        return walk_call(node, frame)
    # Placeholders live only in template bodies, which are substituted, never walked.
    raise AssertionError(f"cannot walk {type(node).__name__} at {node.path}")


def walk_call(node: Call, frame: Frame) -> Any:
    args = [_argument(arg, form, frame) for arg, form in zip(node.args, node.forms, strict=True)]
    try:
        overload = select(node, args)
        return invoke(node, overload, frame, args)
    except FunctionError as error:
        raise error.at(node.path) from None
    except ArithmeticError as error:
        raise arithmetic_error(node.function.name, error, node.path) from None


def _thunk(node: Node) -> Thunk:
    return lambda frame: walk(node, frame)


def _argument(arg: Any, form: str, frame: Frame) -> Any:
    if form == BLOCK:
        assert isinstance(arg, BlockNode)
        # The walk always keeps one budget per evaluation, so `limit` is never consulted.
        return BlockArg(arg.var, _thunk(arg.body), arg.body.size, DEFAULT_LIMITS.max_steps)
    if form == PAIR:
        assert isinstance(arg, PairNode)
        return PairArg(arg.key, _thunk(arg.value))
    if form == TEMPLATE:
        assert isinstance(arg, TemplateNode)
        return TemplateBody(arg.expr)
    if form == EXPR:
        assert isinstance(arg, ExprNode)
        return ExprArg(arg.expr, arg.node.kinds)
    assert isinstance(arg, Node)
    if form == LAZY:
        return Lazy(_thunk(arg), arg.kinds)
    return walk(arg, frame)


class Walker:
    """Evaluates expressions by walking them; the counterpart of `Compiled`."""

    def __init__(self, registry: Registry | None = None, limits: Limits | None = None) -> None:
        self.registry = registry or default_registry()
        self.limits = limits or DEFAULT_LIMITS

    def check(self, expr: Any) -> Node:
        return Checker(self.registry, self.limits).check(expr)

    def evaluate(
        self,
        expr: Any,
        scope: Mapping[str, Any] | None = None,
        *,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Any:
        node = self.check(expr)
        frame: Frame = dict(scope or {})
        steps = self.limits.max_steps if max_steps is None else max_steps
        frame[RUN] = Run(steps, context, now, self.expand)
        return plain_result(walk(node, frame))

    def expand(self, frame: Frame, expr: Any, site: CallSite, name: str) -> Any:
        run: Run = frame[RUN]
        base = run.depth_base + site.depth + 1
        try:
            node = Checker(self.registry, self.limits, depth_base=base).check(expr)
        except TalangCheckError as error:
            raise FunctionError(
                f"template `{name}`: {error.message} (at {error.path} of its body)"
            ) from None
        run.charge(node.size)
        saved = run.depth_base
        run.depth_base = base
        try:
            return walk(node, frame)
        except StepLimitError:
            raise
        except TalangRuntimeError as error:
            raise FunctionError(
                f"template `{name}`: {error.message} (at {error.path} of its body)"
            ) from None
        finally:
            run.depth_base = saved
