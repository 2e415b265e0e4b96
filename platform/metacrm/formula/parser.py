"""Source text -> expression tree, with positions, bounded in length and depth.

    >>> parse("amount * probability / 100").field_paths() == {("amount",), ("probability",)}
    True
"""

from __future__ import annotations

import functools
from decimal import Decimal
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import nodes as n
from .errors import FormulaError

#: an expression longer than this is refused before parsing (no rule needs more)
MAX_LENGTH = 8_000
#: nesting deeper than this is refused: the back-ends recurse over the tree
MAX_DEPTH = 64
#: lookups one field path may follow (``owner.manager.email`` follows two)
MAX_LOOKUPS = 10

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}

# what a person calls the grammar's terminals, for "expected ..." messages
_TERMINAL_NAMES = {
    "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "COMMA": "','", "DOT": "'.'",
    "NAME": "a name", "INTEGER": "a number", "DECIMAL": "a number", "STRING": "a text in quotes",
    "COMP_OP": "a comparison", "ADD_OP": "'+' or '-'", "MUL_OP": "'*' or '/'", "NEG": "'-'",
    "_AMP": "'&'", "_OR": "'or'", "_AND": "'and'", "NOT": "'not'", "_IN": "'in'",
    "TRUE": "true", "FALSE": "false", "NULL": "null", "$END": "the end",
}


def _at(token_or_meta) -> dict:
    return {"line": token_or_meta.line, "column": token_or_meta.column}


def quote(text: str) -> str:
    """``text`` as a string literal of the language (what ``_unquote`` reads back), for code
    that builds expressions from user input: ``f"name == {quote(value)}"``."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def _unquote(token: Token) -> str:
    body = token[1:-1]
    if "\\" not in body:
        return body
    out, chars = [], iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars)
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _first(items) -> dict:
    """The position of the first token or node among a rule's children."""
    return _at(next(i for i in items if i is not None))


class _ToNodes(Transformer):
    """Runs inside the LALR parser (no intermediate tree, no recursion)."""

    def or_(self, items):
        return n.Logical("or", tuple(items), **_first(items))

    def and_(self, items):
        return n.Logical("and", tuple(items), **_first(items))

    def not_(self, items):
        return n.Not(items[1], **_at(items[0]))

    def compare(self, items):
        left, op, right = items
        return n.Compare(str(op), left, right, **_at(op))

    def in_(self, items):
        return n.In(items[0], items[1], **_first(items))

    def not_in(self, items):
        return n.In(items[0], items[2], negated=True, **_first(items))

    def concat(self, items):
        return n.Concat(tuple(items), **_first(items))

    def binary(self, items):
        left, op, right = items
        return n.Binary(str(op), left, right, **_at(op))

    def negate(self, items):
        sign, operand = items
        if isinstance(operand, n.Literal) and isinstance(operand.value, (int, Decimal)) \
                and not isinstance(operand.value, bool):
            return n.Literal(-operand.value, **_at(sign))
        return n.Negate(operand, **_at(sign))

    def integer(self, items):
        try:
            return n.Literal(int(items[0]), **_at(items[0]))
        except ValueError:  # more digits than Python converts (4300): no value has that many
            raise FormulaError("the number has too many digits", **_at(items[0])) from None

    def decimal(self, items):
        return n.Literal(Decimal(str(items[0])), **_at(items[0]))

    def string(self, items):
        return n.Literal(_unquote(items[0]), **_at(items[0]))

    def true(self, items):
        return n.Literal(True, **_first(items))

    def false(self, items):
        return n.Literal(False, **_first(items))

    def null(self, items):
        return n.Literal(None, **_first(items))

    def list_(self, items):
        return n.ListLiteral(tuple(i for i in items[1:] if i is not None), **_at(items[0]))

    def call(self, items):
        name, *args = items
        return n.Call(str(name).lower(), tuple(a for a in args if a is not None), **_at(name))

    def field(self, items):
        if len(items) > MAX_LOOKUPS + 1:  # each step is a join: the databases cap them
            raise FormulaError(f"a field path may follow at most {MAX_LOOKUPS} lookups",
                               items[0].line, items[0].column)
        for token in items:
            # the contextual lexer reads a keyword as a name where no keyword may stand
            if token.lower() in KEYWORDS:
                raise FormulaError(f"unexpected '{token}': a keyword cannot be used as a name",
                                   token.line, token.column)
        return n.FieldRef(tuple(str(t) for t in items), columns=tuple(t.column for t in items),
                          **_at(items[0]))


@functools.cache
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", transformer=_ToNodes(),
                maybe_placeholders=True)


def _readable(expected: set[str]) -> str:
    names = sorted({_TERMINAL_NAMES.get(t, t.lower()) for t in expected})
    if len(names) > 6:
        return "an operator or the end" if "$END" in expected else "an expression"
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def _syntax_error(err: UnexpectedInput, source: str) -> FormulaError:
    line, column = getattr(err, "line", 1), getattr(err, "column", 1)
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        return FormulaError(f"the expression ends too early; expected {_readable(err.expected)}",
                            line, column, source)
    if isinstance(err, UnexpectedCharacters):
        char = source[err.pos_in_stream] if err.pos_in_stream < len(source) else ""
        hint = ""
        if char in "\"'":
            hint = " (a text is missing its closing quote)"
        elif char == "=":
            hint = " (compare with '==')"
        return FormulaError(f"unexpected character {char!r}{hint}", line, column, source)
    token = err.token
    return FormulaError(f"unexpected {str(token)!r}; expected {_readable(err.expected)}",
                        line, column, source)


def _depth(root: n.Node) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    return deepest


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> n.Node:
    """Parse an expression; raise :class:`FormulaError` pointing at the problem."""
    if not isinstance(source, str):
        raise FormulaError(f"an expression must be text, not {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"the expression is {len(source)} characters long; "
                           f"at most {MAX_LENGTH} are allowed", 1, 1, source)
    if not source.strip():
        raise FormulaError("the expression is empty", 1, 1, source)
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    except FormulaError as err:  # raised by the transformer, which has no source text
        raise FormulaError(err.message, err.line, err.column, source) from None
    if _depth(tree) > MAX_DEPTH:
        raise FormulaError(f"the expression is nested more than {MAX_DEPTH} levels deep",
                           1, 1, source)
    return tree
