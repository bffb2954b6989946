"""Run the LALR(1) tables lark builds from ``grammar/dockerfile.lark``, without importing lark.

Lark analyses the grammar: it checks it, resolves the repetitions into
rules and computes the parse table. Importing lark costs about 40 ms, four
times a bare Python start, and editors run ``dockopt`` on every save. The
table itself is plain data. So lark builds it once (on the first run, or
after the grammar changes) and it is kept in dockopt's cache folder
(:mod:`dockopt.cachefiles`, marshal: read without importing json) with the
grammar text and this module's source (which writes the table), and used only
while both are still exactly those. The few lines below run
it: shift a token, or reduce a rule and follow the goto. It is the same loop as lark's ``ParserState.feed_token``.
``tests/syntax/test_lalr.py`` checks that it builds the same trees as lark's
own parser.

Tree shape follows lark's conventions: a rule whose name starts with ``_``
(including lark's generated ``__x_star_n`` repetition rules) is inlined into
its parent, and every other rule becomes a :class:`Node` with its children.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from .. import cachefiles
from .tokens import Token

SHIFT = 0
REDUCE = 1


class Node:
    """A reduced grammar rule: its name and its children (tokens and nodes)."""

    __slots__ = ("children", "data")

    def __init__(self, data: str, children: list[Token | Node]) -> None:
        self.data = data
        self.children = children

    def __repr__(self) -> str:
        return f"Node({self.data!r}, {self.children!r})"


class _Inline(list):  # type: ignore[type-arg]
    """Children of an inlined rule, spliced into the parent's children."""

    __slots__ = ()


class UnexpectedToken(Exception):
    """A token the table has no action for (the lexer's tokens never cause it; kept as a guard)."""

    def __init__(self, token: Token, expected: Iterable[str]) -> None:
        super().__init__(f"unexpected {token.type} {str(token)!r}; expected one of {', '.join(sorted(expected))}")
        self.token = token


class Table:
    """The parse table: ``states[state][symbol] = (SHIFT, next state) | (REDUCE, rule index)``."""

    __slots__ = ("end", "rules", "start", "states")

    def __init__(self, data: dict[str, object]) -> None:
        raw_states = data["states"]
        assert isinstance(raw_states, list)
        self.states: list[dict[str, tuple[int, int]]] = [
            {sym: (a[0], a[1]) for sym, a in s.items()} for s in raw_states
        ]
        rules = data["rules"]
        assert isinstance(rules, list)
        self.rules: list[tuple[str, int, bool]] = [(r[0], r[1], r[0].startswith("_")) for r in rules]
        self.start = int(data["start"])  # type: ignore[call-overload]
        self.end = int(data["end"])  # type: ignore[call-overload]

    def parse(self, tokens: Iterable[Token]) -> Node:
        """Shift/reduce over ``tokens``; return the start rule's node."""
        states = self.states
        rules = self.rules
        accept = self.end
        state_stack = [self.start]
        value_stack: list[Token | Node | _Inline] = []
        push_state = state_stack.append
        push_value = value_stack.append
        end = Token("$END", "")
        state = self.start
        for token in chain(tokens, (end,)):  # chain: no Python generator frame per token
            kind = token.type
            while True:
                action = states[state].get(kind)
                if action is None:
                    raise UnexpectedToken(token, states[state])
                if action[0] == SHIFT:
                    state = action[1]
                    push_state(state)
                    push_value(token)
                    break
                origin, size, inline = rules[action[1]]
                if size:
                    popped = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                    # A left-recursive repetition (lark's `x*` helper rules) reduces once per item with the
                    # list so far as its first child: extend that list in place, or a file of n comment
                    # lines costs n^2 copies. It is off the stack, so nothing else holds it.
                    first = popped[0]
                    if inline and type(first) is _Inline:
                        children: list[Token | Node] = first
                        rest = popped[1:]
                    else:
                        children = []
                        rest = popped
                    for child in rest:
                        if type(child) is _Inline:
                            children.extend(child)
                        else:
                            children.append(child)  # type: ignore[arg-type]  # a token or a node
                else:
                    children = []
                value: Token | Node | _Inline
                if inline:
                    value = children if type(children) is _Inline else _Inline(children)
                else:
                    value = Node(origin, children)
                state = states[state_stack[-1]][origin][1]
                push_state(state)
                push_value(value)
                if state == accept and token is end:
                    result = value_stack[-1]
                    assert isinstance(result, Node)
                    return result
        raise AssertionError("unreachable: the end token always reduces to the start rule")


def build_table_data(grammar: str) -> dict[str, object]:
    """Let lark analyse the grammar and export its LALR table as plain data."""
    from lark import Lark
    from lark.lexer import Lexer

    class _OwnLexer(Lexer):  # the tokens come from dockopt's lexer; lark only analyses the grammar
        def __init__(self, conf: object) -> None:
            pass

        def lex(self, data: object) -> Iterable[Token]:  # type: ignore[override]
            raise NotImplementedError

    parser = Lark(grammar, parser="lalr", lexer=_OwnLexer)
    table = parser.parser.parser.parser.parse_table
    rules: list[object] = []
    index: dict[object, int] = {}
    states: list[dict[str, list[int]]] = []
    order = sorted(table.states)
    if order != list(range(len(order))):
        raise ValueError("lark's state numbers are not 0..n-1")
    for state in order:
        row: dict[str, list[int]] = {}
        for symbol, (action, arg) in table.states[state].items():
            if action.name == "Shift":
                row[symbol] = [SHIFT, arg]
            else:
                if arg not in index:
                    index[arg] = len(rules)
                    rules.append([str(arg.origin.name), len(arg.expansion)])  # a plain str: marshal takes no subclass
                row[symbol] = [REDUCE, index[arg]]
        states.append(row)
    return {"states": states, "rules": rules, "start": table.start_states["start"], "end": table.end_states["start"]}


def _builder_source() -> bytes:
    """This module's own source: a table cached by an older ``build_table_data`` must not be read."""
    try:
        with open(__file__, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


_CACHE_STEM = "lalr-table"


def load_table(grammar: str, cache: str | None = None) -> Table:
    """The table for ``grammar``, from the cache when it was built from this exact grammar by this module.

    ``cache`` is the folder (default: dockopt's cache folder). A missing,
    stale or broken file, or one that cannot be written, only costs lark's
    analysis again.
    """
    source = _builder_source()
    path = cachefiles.cache_path(_CACHE_STEM, folder=cache)
    kept = cachefiles.read_marshal(path)
    if isinstance(kept, tuple) and len(kept) == 3 and kept[0] == grammar and kept[1] == source:
        try:
            return Table(kept[2])
        except (LookupError, ValueError, TypeError, AssertionError, AttributeError):
            pass
    data = build_table_data(grammar)
    cachefiles.write_marshal(path, (grammar, source, data))
    return Table(data)
