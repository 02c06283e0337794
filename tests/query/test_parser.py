"""Keyword syntax -> AST, as a table; bad syntax -> InvalidQuery(field="query")."""
from __future__ import annotations

import pytest

from rediscover.query.errors import InvalidQuery
from rediscover.query.parser import (
    MAX_LEAVES,
    And,
    Not,
    Or,
    Phrase,
    Prefix,
    Term,
    evaluate,
    parse_query,
    positive_leaves,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", None),
        ("   ", None),
        ("python", Term("python")),
        ("Python", Term("python")),
        ("Zoë", Term("zoe")),
        ("ÅNGSTRÖM", Term("angstrom")),
        ("python kafka", And((Term("python"), Term("kafka")))),
        ("python AND kafka", And((Term("python"), Term("kafka")))),
        ("python and kafka", And((Term("python"), Term("and"), Term("kafka")))),
        ("python OR kafka", Or((Term("python"), Term("kafka")))),
        ("a b OR c", Or((And((Term("a"), Term("b"))), Term("c")))),
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("a AND (b OR c)", And((Term("a"), Or((Term("b"), Term("c")))))),
        ("a OR b OR c", Or((Term("a"), Term("b"), Term("c")))),
        ("NOT java", Not(Term("java"))),
        ("python NOT java", And((Term("python"), Not(Term("java"))))),
        ("python -java", And((Term("python"), Not(Term("java"))))),
        ("-(a OR b)", Not(Or((Term("a"), Term("b"))))),
        ('-"machine learning"', Not(Phrase("machine learning"))),
        ("NOT NOT a", Term("a")),
        ("e-commerce", Term("e-commerce")),
        ("python - java", And((Term("python"), Term("java")))),  # a lone "-" is not an operator
        ('"Machine  Learning"', Phrase("machine learning")),
        ('"a" "b"', And((Phrase("a"), Phrase("b")))),
        ('""', None),
        ("pyth*", Prefix("pyth")),
        ("Pyth**", Prefix("pyth")),
        ("*", None),
        ("c++ & go", And((Term("c++"), Term("go")))),
        ("(a)", Term("a")),
        ("((a OR b))", Or((Term("a"), Term("b")))),
    ],
)
def test_parse(text, expected):
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ('"unclosed', "unclosed quote"),
        ('python "machine learning', "unclosed quote"),
        ("(python", "without a matching ')'"),
        ("python)", "without a matching '('"),
        ("()", "empty group"),
        ("AND", "both sides"),
        ("python AND", "both sides"),
        ("AND python", "both sides"),
        ("python OR", "both sides"),
        ("OR python", "both sides"),
        ("python AND OR java", "both sides"),
        ("NOT", "NOT needs a term"),
        ("python NOT", "NOT needs a term"),
        ("(NOT)", "NOT needs a term"),
    ],
)
def test_bad_syntax(text, message):
    with pytest.raises(InvalidQuery) as err:
        parse_query(text)
    assert err.value.field == "query"
    assert message in err.value.message


def test_too_many_terms():
    with pytest.raises(InvalidQuery, match="more than"):
        parse_query(" ".join(f"t{i}" for i in range(MAX_LEAVES + 1)))


def test_positive_leaves_and_evaluate():
    node = parse_query("a (b OR NOT c) -d")
    assert positive_leaves(node) == [Term("a"), Term("b")]
    assert evaluate(node, lambda leaf: leaf.text in {"a"}) is True
    assert evaluate(node, lambda leaf: leaf.text in {"a", "c"}) is False
    assert evaluate(node, lambda leaf: leaf.text in {"a", "b", "c", "d"}) is False
