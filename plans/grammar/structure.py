"""The structure of a cell: its parts, what joins them, and an ad hoc tail, by a lark grammar.

The grammar runs over the token classes of `plans.grammar.lexer` (one character per token), with
lark's Earley parser and explicit ambiguity: a token string with two parses is reported as
ambiguous instead of silently taking one. Inside parentheses nothing splits: "(tháng 5 và tháng 11)"
is one part. The parse depends only on the class string, so it is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from plans.grammar.lexer import Token as Lexeme

_CLASS_CHAR = {
    "SEMI": ";", "COMMA": ",", "AND": "&", "THEN": ">", "OR": "|", "AD_HOC": "!",
    "OPEN": "(", "CLOSE": ")", "ONGOING": "o", "CONDITION": "c",
}
_GRAMMAR = r"""
    start: part (sep part)* adhoc?
    sep: SEMI | COMMA | AND | THEN | COMMA AND | COMMA THEN | AND THEN | SEMI AND
    part: atom+
    atom: X | ONG | COND | OPEN inner CLOSE
    inner: (X | ONG | COND | SEMI | COMMA | AND | THEN | OR)*
    adhoc: COMMA? OR X* AD (X | AD | COND)*
         | COMMA? OPEN OR X* AD (X | AD | COND)* CLOSE

    SEMI: ";"
    COMMA: ","
    AND: "&"
    THEN: ">"
    OR: "|"
    AD: "!"
    OPEN: "("
    CLOSE: ")"
    ONG: "o"
    COND: "c"
    X: "x"
"""
_PARSER = Lark(_GRAMMAR, parser="earley", ambiguity="explicit", lexer="basic")


@dataclass(frozen=True)
class Structure:
    """Token index ranges [start, end) of each part, the separators between them, the ad hoc tail."""

    parts: tuple[tuple[int, int], ...]
    seps: tuple[str, ...]
    ad_hoc: tuple[int, int] | None


def classes(lexemes: list[Lexeme]) -> str:
    return "".join(_CLASS_CHAR.get(lexeme.kind, "x") for lexeme in lexemes)


@lru_cache(maxsize=4096)
def structure(kinds: str) -> Structure | None:
    """The parts of a class string, or None when it has no parse or more than one."""
    if not kinds:
        return None
    try:
        tree = _PARSER.parse(kinds)
    except LarkError:
        return None
    if any(isinstance(node, Tree) and node.data == "_ambig" for node in tree.iter_subtrees()):
        return None
    parts: list[tuple[int, int]] = []
    seps: list[str] = []
    ad_hoc = None
    for child in tree.children:
        assert isinstance(child, Tree)
        first, last = _extent(child)
        if child.data == "part":
            parts.append((first, last))
        elif child.data == "sep":
            seps.append("".join(str(t.type) for t in child.children if isinstance(t, Token)))
        elif child.data == "adhoc":
            ad_hoc = (first, last)
    return Structure(tuple(parts), tuple(seps), ad_hoc)


def _extent(tree: Tree[Token]) -> tuple[int, int]:
    positions = [token.start_pos or 0 for token in tree.scan_values(lambda v: isinstance(v, Token))]
    return min(positions), max(positions) + 1
