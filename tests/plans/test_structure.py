"""The structure grammar: how a cell's tokens split into parts, and that no split is a guess."""

from __future__ import annotations

import itertools

from lark import Tree
from lark.exceptions import LarkError

from plans.grammar.lexer import normalize, tokens
from plans.grammar.structure import _PARSER, classes, structure


def shape(text: str):
    return structure(classes(tokens(normalize(text))))


def test_separators_split_a_cell_into_parts_and_parentheses_keep_one_part():
    assert len(shape("sơ kết năm 2027, tổng kết năm 2030").parts) == 2
    assert len(shape("Quý II/2025; năm 2026 và năm 2027").parts) == 3
    assert len(shape("02 đợt (tháng 5 và tháng 11)").parts) == 1


def test_an_ad_hoc_tail_is_set_apart_from_the_regular_parts():
    found = shape("hằng quý hoặc đột xuất khi có yêu cầu")
    assert len(found.parts) == 1 and found.ad_hoc is not None
    assert shape("Hằng năm (hoặc theo đề nghị)").ad_hoc is not None


def test_no_token_string_has_two_parses():
    """Exhaustively, up to four tokens: a parse is unique or there is none."""
    alphabet = "x,;&>|!()oc"
    for length in range(1, 5):
        for letters in itertools.product(alphabet, repeat=length):
            try:
                tree = _PARSER.parse("".join(letters))
            except LarkError:
                continue
            assert not any(isinstance(t, Tree) and t.data == "_ambig" for t in tree.iter_subtrees())
