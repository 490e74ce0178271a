"""Mutation operators for repair data: small, realistic bugs planted in verified code.

    m = mutate(code, Operator.FLIP_OPERATOR, random.Random(0))   # a Mutation, or None: no site for it
    m.code, m.line, m.description

Syntactic operators should make a compiler complain (drop a semicolon, misspell an identifier, drop an
``end``, a wrong keyword); semantic ones should compile and behave differently (flip an operator, a
constant off by one, swap if/else branches, the other clock edge, an inverted condition). Whether
they did is for the tools to say (``rtlgen.datasets.repair`` keeps a mutant only when they do).
The text is tokenised once, comments and strings skipped (``rtlgen.sim.judge.lexing``), so no site
lies in a comment or a string; each operator edits one token span and leaves the rest byte for byte.
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from rtlgen.sim.judge.lexing import next_code

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|\d*'[sS]?[bBoOdDhH]\s*[0-9a-fA-FxXzZ_?]+|\d[\d_]*|"
                    r"&&|\|\||==|!=|<=|>=|<<|>>|\S")
KEYWORDS = frozenset("""module endmodule input output inout wire reg logic integer parameter localparam assign always
always_ff always_comb always_latch initial begin end if else case casez casex endcase default for while
posedge negedge or and not generate endgenerate genvar function endfunction task endtask signed unsigned""".split())
_FLIP = {"+": "-", "-": "+", "&": "|", "|": "&", "^": "&", "==": "!=", "!=": "==", "&&": "||", "||": "&&",
         "<<": ">>", ">>": "<<"}
_WRONG_KEYWORD = {"reg": "wire", "endcase": "end", "always": "alway", "assign": "asign", "else": "els",
                  "output": "ouput"}


class MutationKind(enum.StrEnum):
    SYNTACTIC = "syntactic"  # kept when the compiler complains
    SEMANTIC = "semantic"  # kept when it compiles and the judge fails it


class Operator(enum.StrEnum):
    DROP_SEMICOLON = "drop_semicolon"
    MISSPELL_IDENTIFIER = "misspell_identifier"
    UNBALANCED_BEGIN_END = "unbalanced_begin_end"
    WRONG_KEYWORD = "wrong_keyword"
    FLIP_OPERATOR = "flip_operator"
    OFF_BY_ONE = "off_by_one_constant"
    SWAP_IF_ELSE = "swap_if_else"
    WRONG_EDGE = "wrong_edge"
    INVERT_CONDITION = "invert_condition"

    @property
    def kind(self) -> MutationKind:
        syntactic = {Operator.DROP_SEMICOLON, Operator.MISSPELL_IDENTIFIER, Operator.UNBALANCED_BEGIN_END,
                     Operator.WRONG_KEYWORD}
        return MutationKind.SYNTACTIC if self in syntactic else MutationKind.SEMANTIC


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    depth: int  # inside how many [ ] brackets (declared widths and selects are left alone)


@dataclass(frozen=True)
class Mutation:
    operator: Operator
    code: str
    line: int  # 1-based line of the edit
    description: str

    @property
    def kind(self) -> MutationKind:
        return self.operator.kind


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, depth = 0, 0
    while (i := next_code(text, i)) < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        tok = m.group(0)
        depth = max(0, depth - 1) if tok == "]" else depth
        out.append(Token(m.start(), m.end(), tok, depth))
        depth += tok == "["
        i = m.end()
    return out


def _edit(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _matching(toks: list[Token], i: int, open_: str, close: str) -> int:
    """Index of the token closing ``toks[i]`` (``open_``), or -1."""
    depth = 0
    for k in range(i, len(toks)):
        depth += (toks[k].text == open_) - (toks[k].text == close)
        if depth == 0:
            return k
    return -1


def _statement_end(toks: list[Token], i: int) -> int:
    """Index of the last token of the simple statement or begin/end block at ``i``; -1 if not one of those."""
    if toks[i].text == "begin":
        return _matching(toks, i, "begin", "end")
    if toks[i].text in ("if", "case", "casez", "casex", "for", "while", "fork", "else"):
        return -1
    for k in range(i, len(toks)):
        if toks[k].text == ";":
            return k
        if toks[k].text in ("begin", "end", "endcase", "endmodule"):
            return -1
    return -1


def _if_sites(toks: list[Token]) -> list[tuple[int, int]]:
    """(index of ``if``, index of its condition's closing paren)."""
    sites = []
    for i, t in enumerate(toks[:-1]):
        if t.text == "if" and toks[i + 1].text == "(":
            close = _matching(toks, i + 1, "(", ")")
            if close > 0:
                sites.append((i, close))
    return sites


def _swap_if_else(text: str, toks: list[Token], rng: random.Random) -> Mutation | None:
    options = []
    for _, close in _if_sites(toks):
        if close + 1 >= len(toks):
            continue
        then_end = _statement_end(toks, close + 1)
        if then_end < 0 or then_end + 2 >= len(toks) or toks[then_end + 1].text != "else":
            continue
        else_end = _statement_end(toks, then_end + 2)
        if else_end > 0:
            options.append((close + 1, then_end, then_end + 2, else_end))
    if not options:
        return None
    a0, a1, b0, b1 = rng.choice(options)
    first, second = text[toks[a0].start:toks[a1].end], text[toks[b0].start:toks[b1].end]
    new = text[:toks[a0].start] + second + text[toks[a1].end:toks[b0].start] + first + text[toks[b1].end:]
    return Mutation(Operator.SWAP_IF_ELSE, new, _line(text, toks[a0].start), "if and else branches swapped")


def _number_change(tok: str, rng: random.Random) -> str | None:
    m = re.fullmatch(r"(\d*)'([sS]?)([bBoOdDhH])\s*([0-9a-fA-F_]+)", tok)
    delta = rng.choice((-1, 1))
    if m:
        width, signed, base, digits = m.groups()
        value = int(digits.replace("_", ""), {"b": 2, "o": 8, "d": 10, "h": 16}[base.lower()])
        new = value + delta if value + delta >= 0 else value + 1
        if width and new >= 1 << int(width):
            new = value - 1
        return f"{width}'{signed}d{new}" if new != value else None
    if re.fullmatch(r"\d[\d_]*", tok):
        value = int(tok.replace("_", ""))
        return str(value + delta if value + delta >= 0 else value + 1)
    return None


def mutate(code: str, operator: Operator, rng: random.Random) -> Mutation | None:
    """One mutation of ``code`` by ``operator`` at a random site; None when the code offers no site."""
    toks = tokens(code)
    if operator is Operator.SWAP_IF_ELSE:
        return _swap_if_else(code, toks, rng)
    if operator is Operator.INVERT_CONDITION:
        sites = _if_sites(toks)
        if not sites:
            return None
        i, close = rng.choice(sites)
        a, b = toks[i + 1].end, toks[close].start
        new = code[:a] + "!(" + code[a:b] + ")" + code[b:]
        return Mutation(operator, new, _line(code, a), f"condition of the if on line {_line(code, a)} inverted")
    idents = [t.text for t in toks if t.text[0].isalpha() or t.text[0] == "_"]
    counts = {n: idents.count(n) for n in set(idents)}
    previous = [None, *toks[:-1]]
    pick: dict[Operator, Callable[[Token, Token | None], str | None]] = {
        Operator.DROP_SEMICOLON: lambda t, p: "" if t.text == ";" else None,
        Operator.UNBALANCED_BEGIN_END: lambda t, p: "" if t.text == "end" else None,
        Operator.WRONG_KEYWORD: lambda t, p: _WRONG_KEYWORD.get(t.text),
        Operator.WRONG_EDGE: lambda t, p: {"posedge": "negedge", "negedge": "posedge"}.get(t.text),
        Operator.FLIP_OPERATOR: lambda t, p: _FLIP.get(t.text) if t.depth == 0 and p is not None and (
            p.text[-1].isalnum() or p.text in (")", "]", "}")) else None,
        Operator.OFF_BY_ONE: lambda t, p: _number_change(t.text, rng) if t.depth == 0 and (
            p is None or p.text not in ("#", "'")) else None,
        Operator.MISSPELL_IDENTIFIER: lambda t, p: _misspell(t.text, counts) if (
            t.text not in KEYWORDS and counts.get(t.text, 0) >= 2 and p is not None
            and p.text not in ("module", ".")) else None,
    }
    sites = [(t, new) for t, p in zip(toks, previous, strict=True) if (new := pick[operator](t, p)) is not None]
    if operator is Operator.UNBALANCED_BEGIN_END and not sites:  # no block to break: close one that never opened
        sites = [(t, "; end") for t in toks if t.text == ";"]
    if operator is Operator.MISSPELL_IDENTIFIER:  # not the declaration: the first use
        seen: set[str] = set()
        later = []
        for t, new in sites:
            (later.append((t, new)) if t.text in seen else seen.add(t.text))
        sites = later
    if not sites:
        return None
    t, new = rng.choice(sites)
    line = _line(code, t.start)
    what = f"'{t.text}' removed" if not new else f"'{t.text}' became '{new}'"
    return Mutation(operator, _edit(code, t.start, t.end, new), line, f"line {line}: {what}")


def _misspell(name: str, counts: dict[str, int]) -> str | None:
    """A plausible typo of ``name`` that names nothing else in the code."""
    for new in (name[:-1] if len(name) > 2 else name + name[-1], name + "_", name[0] + name):
        if new and new not in counts and new not in KEYWORDS:
            return new
    return None
