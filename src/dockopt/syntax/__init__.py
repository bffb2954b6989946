"""Lossless Dockerfile syntax: lexer, the lark grammar's LALR table, tree nodes, printer."""

from .errors import ParseError
from .nodes import Directive, Dockerfile, Flag, Heredoc, Instruction, Stage, Trivia
from .parser import parse, parse_instructions

__all__ = [
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "ParseError",
    "Stage",
    "Trivia",
    "parse",
    "parse_instructions",
]
