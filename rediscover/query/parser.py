"""Keyword syntax -> a small AST every backend compiles.

Grammar (operators are uppercase; lowercase "and"/"or"/"not" are plain words)::

    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*          # juxtaposition is AND
    unary  := ("NOT" | "-") unary | atom      # "-" directly before a word, phrase or "("
    atom   := word | word* | "quoted phrase" | "(" or ")"

Terms and phrases are folded (lowercase, accents stripped), so "Zoë" and "ZOE" are the same
term. Words without a letter or digit (a lone "&", "-" or "*") carry nothing searchable and
are skipped. Bad syntax raises ``InvalidQuery(field="query")`` saying what is wrong.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rediscover.indexer.text import fold
from rediscover.query.errors import InvalidQuery

MAX_LEAVES = 32  # terms + phrases + prefixes; each costs a full-text lookup
OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Term:
    """A single word (folded)."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words that must appear together, in order (folded)."""

    text: str


@dataclass(frozen=True)
class Prefix:
    """Any word starting with ``text`` (folded), written ``text*``."""

    text: str


@dataclass(frozen=True)
class And:
    """All items match."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one item matches."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The item does not match."""

    item: Node


Leaf = Term | Phrase | Prefix
Node = Term | Phrase | Prefix | And | Or | Not


def parse_query(text: str | None) -> Node | None:
    """Parse keyword syntax; None when there is nothing to search for."""
    tokens = _tokenize(text or "")
    if not tokens:
        return None
    parser = _Parser(tokens)
    node = parser.parse()
    if len(leaves(node)) > MAX_LEAVES:
        raise InvalidQuery(f"The query has more than {MAX_LEAVES} terms.", field="query")
    return node


def leaves(node: Node) -> list[Leaf]:
    """The node's terms, phrases and prefixes, left to right."""
    if isinstance(node, (And, Or)):
        return [leaf for item in node.items for leaf in leaves(item)]
    if isinstance(node, Not):
        return leaves(node.item)
    return [node]


def positive_leaves(node: Node, negated: bool = False) -> list[Leaf]:
    """Leaves not under a NOT: the ones that say why a result matched (used for ranking)."""
    if isinstance(node, (And, Or)):
        return [leaf for item in node.items for leaf in positive_leaves(item, negated)]
    if isinstance(node, Not):
        return positive_leaves(node.item, not negated)
    return [] if negated else [node]


def evaluate(node: Node, matches: Callable[[Leaf], bool]) -> bool:
    """Whether ``node`` holds given which leaves match."""
    if isinstance(node, And):
        return all(evaluate(item, matches) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, matches) for item in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, matches)
    return matches(node)


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PREFIX PHRASE AND OR NOT MINUS ( )
    text: str = ""


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise InvalidQuery("The query has an unclosed quote (\").", field="query")
            _add_leaf(tokens, "PHRASE", text[i + 1 : end])
            i = end + 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            tokens.append(_Token("MINUS"))
            i += 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in '()"':
                end += 1
            _add_word(tokens, text[i:end])
            i = end
    return tokens


def _add_word(tokens: list[_Token], word: str) -> None:
    if word in OPERATORS:
        tokens.append(_Token(word))
    elif word.endswith("*"):
        _add_leaf(tokens, "PREFIX", word.rstrip("*"))
    else:
        _add_leaf(tokens, "WORD", word)


def _add_leaf(tokens: list[_Token], kind: str, raw: str) -> None:
    text = fold(raw)
    if any(c.isalnum() for c in text):
        tokens.append(_Token(kind, text))


# --------------------------------------------------------------------------- grammar


class _Parser:
    """Recursive descent over the tokens; precedence NOT > AND > OR."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or()
        if self.peek() == ")":
            raise _error("The query has a ')' without a matching '('.")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            self.expect_operand("OR")
            items.append(self.parse_and())
        return _combine(Or, items)

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
                self.expect_operand("AND")
            items.append(self.parse_unary())
        return _combine(And, items)

    def expect_operand(self, op: str) -> None:
        if self.peek() in (None, ")", "AND", "OR"):
            raise _error(f"{op} needs a term on both sides.")

    def parse_unary(self) -> Node:
        if self.peek() in ("NOT", "MINUS"):
            op = self.take()
            if self.peek() in (None, ")", "AND", "OR"):
                name = "NOT" if op.kind == "NOT" else "'-'"
                raise _error(f"{name} needs a term after it.")
            item = self.parse_unary()
            return item.item if isinstance(item, Not) else Not(item)
        return self.parse_atom()

    def parse_atom(self) -> Node:
        kind = self.peek()
        if kind is None:
            raise _error("The query ends where a term was expected.")
        if kind in ("AND", "OR"):
            raise _error(f"{kind} needs a term on both sides.")
        if kind == ")":
            raise _error("The query has a ')' without a matching '(' or an empty group.")
        token = self.take()
        if kind == "(":
            if self.peek() == ")":
                raise _error("The query has an empty group '()'.")
            node = self.parse_or()
            if self.peek() != ")":
                raise _error("The query has a '(' without a matching ')'.")
            self.take()
            return node
        return {"WORD": Term, "PREFIX": Prefix, "PHRASE": Phrase}[kind](token.text)


def _combine(cls: type[And] | type[Or], items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def _error(message: str) -> InvalidQuery:
    return InvalidQuery(message, field="query")
