"""Skipping Verilog strings and comments in one left-to-right pass (linear in the text's length)."""

from __future__ import annotations

import re


def skip_string(text: str, i: int) -> int:
    """Index after the string literal starting at ``text[i] == '"'`` (a newline also ends it)."""
    n = len(text)
    i += 1
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"' or c == "\n":
            return i + 1
        i += 1
    return n


def skip_trivia(text: str, i: int) -> int | None:
    """If a string or comment starts at ``i``, the index after it; else None."""
    if text[i] == '"':
        return skip_string(text, i)
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        j = text.find("*/", i + 2)
        return len(text) if j < 0 else j + 2
    return None


# A string, a line comment or a block comment, exactly as ``skip_trivia`` ends each: a string at an unescaped
# quote or a newline (a backslash takes the next character, whatever it is), a line comment before its newline,
# a block comment after the first ``*/`` that follows its ``/*``; each runs to the end of the text if unclosed.
TRIVIA = r'"(?:[^"\\\n]|\\[\s\S]?)*+(?:["\n]|\Z)|//[^\n]*+|/\*(?:[\s\S]*?\*/|[\s\S]*+)'


_TRIVIA = re.compile(TRIVIA)


def blank_trivia(text: str) -> str:
    """``text`` with every string and comment replaced by as many spaces: offsets stay, only code is left."""
    return _TRIVIA.sub(lambda m: " " * len(m.group(0)), text)


def next_code(text: str, i: int) -> int:
    """The first index at or after ``i`` that is not inside a string or comment starting there."""
    while i < len(text):
        skipped = skip_trivia(text, i)
        if skipped is None:
            return i
        i = skipped
    return len(text)


# Only what every simulator takes as white space: Python's \s also takes a vertical tab, which to Icarus is part of
# an escaped name (\q<VT>=1'b0,y is one identifier, not \q =1'b0,y). Anything rarer stays as it is (two designs
# differing there are simply not merged).
_WHITE = " \t\n\r"
# an escaped identifier (a backslash, then anything up to white space: \a/*b is one name, not a comment) or trivia
_VERBATIM_OR_TRIVIA = re.compile(r"\\[^" + _WHITE + r"]*+|" + TRIVIA)
_SPACE = re.compile(r"[" + _WHITE + r"]++")


def normalize(text: str) -> str:
    """``text`` without comments and with every whitespace run between tokens one space; strings and escaped
    identifiers kept exactly (``"x  y"`` is not ``"x y"``): two designs with the same normal form are the same
    program, judged once."""
    out: list[str] = []
    code: list[str] = []  # the code since the last verbatim token, comments as spaces

    def flush() -> None:
        out.append(_SPACE.sub(" ", "".join(code)))
        code.clear()

    last = 0
    for m in _VERBATIM_OR_TRIVIA.finditer(text):
        code.append(text[last:m.start()])
        if text[m.start()] in '"\\':
            flush()
            out.append(m.group(0))
        elif "`" in text[text.rfind("\n", 0, m.start()) + 1:m.start()]:  # on a directive's line: Icarus may
            flush()                                                      # refuse it there (`timescale ... /* */)
            out.append(m.group(0))
        else:  # a comment
            code.append(" ")
        last = m.end()
    code.append(text[last:])
    flush()
    return "".join(out).strip(_WHITE)
