"""The syntax of the expression language: precedence, literals, names, positions, errors, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metacrm.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, parse
from metacrm.formula import nodes as n


def show(node: n.Node) -> str:
    """A tree as a Lisp-like string, to compare shapes: ``(+ a (* b c))``."""
    if isinstance(node, n.Literal):
        return repr(node.value) if isinstance(node.value, str) else str(node.value)
    if isinstance(node, n.FieldRef):
        return ".".join(node.path)
    if isinstance(node, n.ListLiteral):
        return "[" + " ".join(show(i) for i in node.items) + "]"
    if isinstance(node, n.Negate):
        return f"(neg {show(node.operand)})"
    if isinstance(node, n.Not):
        return f"(not {show(node.operand)})"
    if isinstance(node, (n.Binary, n.Compare)):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, n.In):
        return f"({'notin' if node.negated else 'in'} {show(node.left)} {show(node.right)})"
    if isinstance(node, n.Logical):
        return f"({node.op} " + " ".join(show(o) for o in node.operands) + ")"
    if isinstance(node, n.Concat):
        return "(& " + " ".join(show(p) for p in node.parts) + ")"
    if isinstance(node, n.Call):
        return f"{node.name}(" + " ".join(show(a) for a in node.args) + ")"
    raise AssertionError(node)


def shape(source: str) -> str:
    return show(parse(source))


def syntax_error(source) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse(source)
    return info.value


# -- precedence ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    # or < and < not < comparison
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a or b or c", "(or a b c)"),
    ("a and b and c", "(and a b c)"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("not a and b", "(and (not a) b)"),
    ("not a or not b", "(or (not a) (not b))"),
    ("not not a", "(not (not a))"),
    ("not (a and b)", "(not (and a b))"),
    ("not a == b", "(not (== a b))"),
    ("not a in [1]", "(not (in a [1]))"),
    ("a == b and c != d", "(and (== a b) (!= c d))"),
    ("a < b or c >= d", "(or (< a b) (>= c d))"),
    # comparison < &
    ("a & b == c & d", "(== (& a b) (& c d))"),
    ("a & b in ['x']", "(in (& a b) ['x'])"),
    ("a & b & c", "(& a b c)"),
    # & < + -
    ("a & b + c", "(& a (+ b c))"),
    ("a - b & c", "(& (- a b) c)"),
    # + - < * /
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b * c", "(* (/ a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("(a + b) * c", "(* (+ a b) c)"),
    ("a + 1 < b * 2", "(< (+ a 1) (* b 2))"),
    # * / < unary minus
    ("-a * b", "(* (neg a) b)"),
    ("a * -b", "(* a (neg b))"),
    ("-a.b", "(neg a.b)"),
    ("- -a", "(neg (neg a))"),
    ("-(a + b)", "(neg (+ a b))"),
    ("-f(a)", "(neg f(a))"),
    # a minus sign on a number literal folds into the literal
    ("-5", "-5"),
    ("-2.50", "-2.50"),
    ("-(5)", "-5"),
    ("- -5", "5"),
    ("2 - -3", "(- 2 -3)"),
    ("2--3", "(- 2 -3)"),
    ("2-3", "(- 2 3)"),
    # in / not in
    ("a in [1, 2] and b", "(and (in a [1 2]) b)"),
    ("a not in ['x']", "(notin a ['x'])"),
    ("a not in b or c", "(or (notin a b) c)"),
    ("a + 1 in [2]", "(in (+ a 1) [2])"),
    # calls and lists nest anything
    ("if(a > 1, b & c, -d)", "if((> a 1) (& b c) (neg d))"),
    ("coalesce(a, b, c)", "coalesce(a b c)"),
    ("today()", "today()"),
    ("[]", "[]"),
    ("[a + 1, 'x', null]", "[(+ a 1) 'x' None]"),
])
def test_precedence(source, expected):
    assert shape(source) == expected


@pytest.mark.parametrize("source", ["a < b < c", "a == b == c", "a == b != c", "a in [1] in [2]",
                                    "a < b in [true]"])
def test_comparisons_do_not_chain(source):
    assert syntax_error(source).message.startswith("unexpected ")


# -- literals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, value", [
    ("12", 12),
    ("0", 0),
    ("007", 7),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("3.5", Decimal("3.5")),
    ("0.1", Decimal("0.1")),
    ("1.50", Decimal("1.50")),
    ("-0.25", Decimal("-0.25")),
    ('"text"', "text"),
    ("'text'", "text"),
    ('""', ""),
    ("''", ""),
    ('"it\'s"', "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    (r'"a\"b"', 'a"b'),
    (r"'it\'s'", "it's"),
    (r'"tab\there"', "tab\there"),
    (r'"line\nbreak"', "line\nbreak"),
    (r'"cr\r"', "cr\r"),
    (r'"back\\slash"', "back\\slash"),
    (r'"\\n"', "\\n"),
    (r'"\q"', "q"),  # an unknown escape keeps the character
    ('"Ünïcødé ✓"', "Ünïcødé ✓"),
    ('"  spaced  "', "  spaced  "),
    ("true", True),
    ("false", False),
    ("null", None),
    ("TRUE", True),
    ("False", False),
    ("NULL", None),
])
def test_literals(source, value):
    node = parse(source)
    assert isinstance(node, n.Literal)
    assert node.value == value
    assert type(node.value) is type(value)


def test_decimal_literals_are_exact():
    node = parse("0.1")
    assert node.value == Decimal("0.1")
    assert not isinstance(node.value, float)


def test_list_literals():
    node = parse('["a", "b"]')
    assert isinstance(node, n.ListLiteral)
    assert [i.value for i in node.items] == ["a", "b"]
    assert parse("[]").items == ()
    assert shape("[[1], 2]") == "[[1] 2]"  # nesting parses; the type checker refuses it


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_round_trips_through_escaping(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "\\r")
    assert parse(f'"{escaped}"').value == text


@given(st.integers(min_value=0, max_value=10**30))
def test_integer_literals(value):
    assert parse(str(value)).value == value
    assert parse(f"-{value}").value == -value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4,
                   min_value=-10**12, max_value=10**12))
def test_decimal_literals(value):
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    assert parse(text).value == value


# -- names and keywords -------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("a AND b", "(and a b)"),
    ("a And b", "(and a b)"),
    ("a OR b", "(or a b)"),
    ("NOT a", "(not a)"),
    ("Not a", "(not a)"),
    ("a IN [1]", "(in a [1])"),
    ("a NOT IN [1]", "(notin a [1])"),
    ("a Not In [1]", "(notin a [1])"),
])
def test_keywords_are_case_insensitive(source, expected):
    assert shape(source) == expected


@pytest.mark.parametrize("name", ["android", "order", "notes", "inside", "index", "true_flag",
                                  "falsey", "nullable", "orphan", "_private", "a1", "x_2_y"])
def test_names_that_start_with_a_keyword_are_names(name):
    node = parse(f"{name} > 1")
    assert node.left == n.FieldRef((name,))


@pytest.mark.parametrize("source, name", [
    ("IS_BLANK(x)", "is_blank"),
    ("Is_Blank(x)", "is_blank"),
    ("If(a, 1, 2)", "if"),
    ("TODAY()", "today"),
    ("CoAlEsCe(a, b)", "coalesce"),
])
def test_function_names_are_case_insensitive(source, name):
    assert parse(source).name == name


def test_field_names_keep_their_case():
    assert parse("Amount").path == ("Amount",)  # fields are lower case; the checker says so


def test_paths_and_whitespace():
    assert parse("owner.manager.email").path == ("owner", "manager", "email")
    assert parse("account . name").path == ("account", "name")
    assert shape("\n\tamount\n  >\t1\n") == "(> amount 1)"


def test_field_paths():
    tree = parse('account.owner.email & name == "x" or is_blank(amount) and owner.id in [a]')
    assert tree.field_paths() == {("account", "owner", "email"), ("name",), ("amount",),
                                  ("owner", "id"), ("a",)}
    assert parse("1 + 2").field_paths() == set()


# -- positions ----------------------------------------------------------------------------------

def test_positions_of_leaves():
    tree = parse('amount >= 10 and stage == "Won"')
    first, second = tree.operands
    # a logical node is where its first operand is (here: that comparison's operator)
    assert (tree.line, tree.column) == (first.line, first.column)
    assert first.column == 8  # a comparison is at its operator
    assert first.left.column == 1
    assert first.right.column == 11
    assert second.column == 24
    assert second.left.column == 18
    assert second.right.column == 27


def test_positions_of_paths():
    node = parse("  account.owner.email")
    assert node.column == 3
    assert node.columns == (3, 11, 17)
    spaced = parse("account . name")
    assert spaced.columns == (1, 11)


def test_positions_of_operators():
    assert parse("a + b").column == 3
    assert parse("a*b").column == 2
    assert parse("x & y & z").column == 1  # concatenation: its first part
    assert parse("  x in [1, 2]").column == 3  # in: its left side
    assert parse("x not in [1]").column == 1
    assert parse("  -x").column == 3  # negation: the sign
    assert parse("  -5").column == 3
    assert parse("  not x").column == 3
    assert parse("  f(x)").column == 3  # a call: its name
    assert parse("x in  [1]").right.column == 7  # a list: its bracket
    assert parse("  true").column == 3
    assert parse("  null").column == 3


def test_positions_across_lines():
    tree = parse('amount > 1\n  and stage == "x"\n  and\n    -close')
    assert [(o.line, o.column) for o in tree.operands] == [(1, 8), (2, 13), (4, 5)]
    assert (tree.operands[1].left.line, tree.operands[1].left.column) == (2, 7)


# -- syntax errors ------------------------------------------------------------------------------

ANY = "'(', '-', '[', a name, a number or a text in quotes"


@pytest.mark.parametrize("source, line, column, message", [
    # the end comes too soon: the column is just past the last character
    ("amount >", 1, 9, "the expression ends too early; expected an expression"),
    ("(amount", 1, 8, "the expression ends too early; expected ')'"),
    ("f(a", 1, 4, "the expression ends too early; expected ')' or ','"),
    ("a.", 1, 3, "the expression ends too early; expected a name"),
    ("x in", 1, 5, "the expression ends too early; expected an expression"),
    ("not", 1, 4, "the expression ends too early; expected an expression"),
    ("-", 1, 2, "the expression ends too early; expected an expression"),
    ("a &", 1, 4, "the expression ends too early; expected an expression"),
    ("a and\n", 1, 6, "the expression ends too early; expected an expression"),
    ("a and\n  ", 2, 3, "the expression ends too early; expected an expression"),
    # characters that are no token at all
    ("amount = 5", 1, 8, "unexpected character '=' (compare with '==')"),
    ("amount => 5", 1, 8, "unexpected character '=' (compare with '==')"),
    ("amount # 5", 1, 8, "unexpected character '#'"),
    ("a ! b", 1, 3, "unexpected character '!'"),
    ("@", 1, 1, "unexpected character '@'"),
    ('name == "abc', 1, 9, "unexpected character '\"' (a text is missing its closing quote)"),
    ("'abc", 1, 1, "unexpected character \"'\" (a text is missing its closing quote)"),
    ('"a\\"', 1, 1, "unexpected character '\"' (a text is missing its closing quote)"),
    ('"two\nlines"', 1, 1, "unexpected character '\"' (a text is missing its closing quote)"),
    # tokens in the wrong place
    ("amount amount", 1, 8, "unexpected 'amount'; expected an expression"),
    ("1 +* 2", 1, 4, f"unexpected '*'; expected {ANY}"),
    ("f(a,)", 1, 5, f"unexpected ')'; expected {ANY}"),
    ("[1,,2]", 1, 4, f"unexpected ','; expected {ANY}"),
    ("()", 1, 2, f"unexpected ')'; expected {ANY}"),
    (".5", 1, 1, f"unexpected '.'; expected {ANY}"),
    ("a..b", 1, 3, "unexpected '.'; expected a name"),
    ("a.1", 1, 3, "unexpected '1'; expected a name"),
    ("1.5.2", 1, 4, "unexpected '.'; expected an expression"),
    ("1e5", 1, 2, "unexpected 'e5'; expected an expression"),
    ("amount > 5)", 1, 11, "unexpected ')'; expected the end"),
    ("x not y", 1, 7, "unexpected 'y'; expected 'in'"),
    ("f(1 2)", 1, 5, "unexpected '2'; expected an expression"),
    ("a\n  + * b", 2, 5, f"unexpected '*'; expected {ANY}"),
])
def test_syntax_errors(source, line, column, message):
    error = syntax_error(source)
    assert (error.message, error.line, error.column) == (message, line, column)
    assert error.source == source


@pytest.mark.parametrize("source", ["a < b < c", "a == b == c"])
def test_chained_comparison_points_at_the_second_operator(source):
    error = syntax_error(source)
    assert error.column == source.rindex(source.split()[3]) + 1
    assert error.message.startswith(f"unexpected '{source.split()[3]}'; expected ")
    assert "'and', 'or' or the end" in error.message


def test_error_text_and_pointer():
    error = syntax_error("amount = 5")
    assert str(error) == "column 8: unexpected character '=' (compare with '==')"
    assert error.pointer() == "amount = 5\n       ^"
    multi = syntax_error("a\n  + * b")
    assert str(multi).startswith("line 2, column 5: unexpected '*'")
    assert multi.pointer() == "  + * b\n    ^"


@pytest.mark.parametrize("source", ["", " ", "\n\t  \n"])
def test_empty_expression(source):
    error = syntax_error(source)
    assert (error.message, error.column) == ("the expression is empty", 1)


@pytest.mark.parametrize("value, kind", [(None, "NoneType"), (5, "int"), (b"x", "bytes")])
def test_non_text_is_refused(value, kind):
    assert syntax_error(value).message == f"an expression must be text, not {kind}"


def test_leading_keyword_where_none_fits_is_an_error():
    # 'and' where an expression must start: an error, never a tree (the lexer reads a keyword
    # that cannot come next as a name; the type checker then refuses that name)
    syntax_error("and a")
    syntax_error("a and not")


# -- limits -------------------------------------------------------------------------------------

def test_length_limit():
    assert MAX_LENGTH == 8_000
    at_limit = "1" + " " * (MAX_LENGTH - 1)
    assert parse(at_limit).value == 1
    error = syntax_error("1" + " " * MAX_LENGTH)
    assert error.message == (f"the expression is {MAX_LENGTH + 1} characters long; "
                             f"at most {MAX_LENGTH} are allowed")
    assert error.column == 1


def depth_error(source: str) -> str:
    return syntax_error(source).message


def test_depth_limit_on_nesting():
    assert MAX_DEPTH == 64
    ok = "-(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)  # 63 negations + the field
    assert shape(ok).count("neg") == MAX_DEPTH - 1
    too_deep = "-(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert depth_error(too_deep) == f"the expression is nested more than {MAX_DEPTH} levels deep"
    assert depth_error("not " * MAX_DEPTH + "x").startswith("the expression is nested")
    parse("not " * (MAX_DEPTH - 1) + "x")
    assert depth_error("f(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH).startswith("the expression is")


def test_parentheses_alone_do_not_nest():
    assert parse("(" * 200 + "x" + ")" * 200) == n.FieldRef(("x",))


def test_depth_limit_counts_left_associative_chains():
    # a + b + c ... is a left-leaning tree: 64 terms are fine, 65 are "too deep"
    parse(" + ".join(["1"] * MAX_DEPTH))
    assert depth_error(" + ".join(["1"] * (MAX_DEPTH + 1))).startswith("the expression is nested")
    # flat operators are not chains: 500 operands of 'and', 'or' or '&' are one level
    parse(" and ".join(["a"] * 500))
    parse(" & ".join(["a"] * 500))


def test_parse_is_cached_and_trees_are_values():
    assert parse("a + 1") is parse("a + 1")
    assert parse("a+1") == parse("a + 1")  # positions do not take part in equality
