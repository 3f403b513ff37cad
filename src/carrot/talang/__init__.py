"""Talang, the rule language. Draft init."""

from carrot.talang.compiler import Compiled, compile_expr
from carrot.talang.errors import TalangError
from carrot.talang.text import parse_text, to_text

__all__ = ["Compiled", "TalangError", "compile_expr", "parse_text", "to_text"]
