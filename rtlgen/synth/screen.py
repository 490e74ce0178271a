"""Refuse Verilog that could make Yosys read host files, before the text reaches Yosys.

    reason = screen_verilog(text)   # None when the text may go to Yosys, else a one-line reason

Yosys's preprocessor opens any path named by `` `include `` and its front end evaluates
``$readmemh``/``$readmemb`` in initial blocks; 0.23 has no option that confines either (``-nopp``
turns the whole preprocessor off and is used when the text has no backtick at all). So the text is
screened conservatively, comments and strings included, rather than parsed:

- every backtick must start a whitelisted directive or a macro that the text itself `` `define``\\ s.
  Never a macro's formal argument either (`` `define I(x) `x "f" `` then `` `I(include) `` builds an
  `` `include ``, even when a macro named ``x`` exists too).
  A lone backtick, `` `` `` (token pasting) or `` `" `` is refused, so no macro expansion can glue a
  backtick to a word that comes after it and build a directive the screen never saw;
- every ``$`` that does not continue an identifier (``a$b``) must start a whitelisted system
  function or task: none of them touches a file. A lone ``$`` is refused for the same reason.

The sandbox hides most of the host as well; this screen does not rely on it.
"""

from __future__ import annotations

import re

MAX_TEXT_BYTES = 2_000_000  # far above any generated module; bounds the preprocessor's work
DIRECTIVES = frozenset("""
timescale default_nettype define undef ifdef ifndef elsif else endif resetall celldefine endcelldefine
""".split())
SYSTEM_NAMES = frozenset("""
$signed $unsigned $clog2 $bits $size $high $low $left $right $increment $dimensions $countones $onehot $onehot0
$isunknown $display $displayb $displayh $displayo $write $strobe $monitor $finish $stop $time $stime $realtime
$error $warning $info $fatal $random $urandom $ln $log10 $exp $sqrt $pow $floor $ceil $rtoi $itor
""".split())
_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_BACKTICK = re.compile(r"`(" + _IDENT + r")?")
_DEFINE = re.compile(r"`define[ \t]+(" + _IDENT + r")")
_FORMALS = re.compile(r"`define[ \t]+" + _IDENT + r"\(([^)\n]*)\)")
_DOLLAR = re.compile(r"(?<![A-Za-z0-9_$])\$[A-Za-z0-9_$]*")


def screen_verilog(text: str) -> str | None:
    """None when ``text`` may be given to Yosys; otherwise why not, in one line."""
    if len(text.encode("utf-8", "replace")) > MAX_TEXT_BYTES:
        return f"design text is larger than {MAX_TEXT_BYTES} bytes"
    if "\0" in text:
        return "design text contains a NUL byte"
    macros = set(_DEFINE.findall(text))
    formals = {f.split("=", 1)[0].strip() for group in _FORMALS.findall(text) for f in group.split(",")}
    for m in _BACKTICK.finditer(text):
        name = m.group(1)
        if name is None:
            return f"a backtick not followed by a name at line {_line(text, m.start())} (token pasting is not allowed)"
        if name in formals:
            return (f"`{name} names a macro argument (line {_line(text, m.start())}): a macro could build a "
                    "directive from it")
        if name == "include":
            return f"`include is not allowed (line {_line(text, m.start())}): put the included text in the file itself"
        if name not in DIRECTIVES and name not in macros:
            return f"`{name} is not an allowed directive or a macro defined in the file (line {_line(text, m.start())})"
    for m in _DOLLAR.finditer(text):
        if m.group(0) not in SYSTEM_NAMES:
            what = m.group(0) if len(m.group(0)) > 1 else "a lone '$'"
            return f"{what} is not allowed in synthesised code (line {_line(text, m.start())})"
    return None


def uses_preprocessor(text: str) -> bool:
    """Whether Yosys must run its preprocessor; without a backtick it runs with ``-nopp``."""
    return "`" in text


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
