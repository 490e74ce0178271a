"""Rewrite a trusted testbench for one run so that only its own output can decide the verdict.

* Every module the bench defines, and every instance name it gives, gets a random suffix: the design
  cannot name ``tb``, ``RefModule`` or ``stimulus_gen`` (``%m`` can print the suffix: it is not secret).
* Every print of the bench (``$display``, ``$write``, ``$strobe``, ``$monitor`` and their b/h/o forms,
  ``$error``, ``$warning``, ``$info``) gets a secret per-run tag as its first argument, so each thing
  the bench says starts with the tag; the design does not know the tag, so nothing it prints counts.
* Every ``$finish``/``$stop`` of the bench first prints a tagged end marker: a simulation that ended
  any other way (the design stopping it early, a crash) has no end marker.
* A `` `resetall `` closes the bench, so no directive of the bench (``default_nettype none``,
  ``timescale``) reaches the design, which is compiled after it, as upstream's harness compiles it first.

The text is scanned once, left to right, skipping comments and strings: linear in its length.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from rtlgen.errors import InputError
from rtlgen.sim.judge.bench import Bench, BenchProtocol
from rtlgen.sim.judge.lexing import TRIVIA, blank_trivia

_PRINTS = frozenset(f"${base}{radix}" for base in ("display", "write", "strobe", "monitor") for radix in ("", "b", "h", "o"))
_SEVERITY = {"$error": "ERROR ", "$warning": "WARNING ", "$info": "INFO "}
_ENDS = frozenset({"$finish", "$stop"})
_SYSNAME = re.compile(r"\$[A-Za-z_][A-Za-z0-9_$]*")
# the scans below run in the regex engine: trivia is matched (and stepped over) in one piece, so every match
# outside it starts where the character-by-character scan (``lexing.next_code``) would look
_SYSNAME_OR_TRIVIA = re.compile(TRIVIA + r"|\$[A-Za-z_][A-Za-z0-9_$]*")
_PAREN_OR_TRIVIA = re.compile(TRIVIA + r"|[()]")


@dataclass(frozen=True)
class HardenedBench:
    """A bench rewritten for one run. ``tag`` is secret; ``suffix`` is not."""

    files: dict[str, str]  # compiled before the design, in order
    top: str  # the renamed testbench top
    tag: str  # every line of the bench's own output starts with it
    protocol: BenchProtocol
    has_end: bool  # the bench ends with $finish/$stop, so its tagged end marker must be seen
    reference_top: str | None  # the renamed reference module, if any


def _matching_paren(text: str, i: int) -> int:
    """Index after the ``)`` matching ``text[i] == '('`` (strings and comments skipped), or -1."""
    depth = 0
    for m in _PAREN_OR_TRIVIA.finditer(text, i):
        c = text[m.start()]
        if c == "(" and m.end() - m.start() == 1:
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def tag_prints(text: str, tag: str) -> tuple[str, int, int]:
    """(text with every print tagged and every end marked, prints tagged, ends marked)."""
    out: list[str] = []
    i = last = 0
    prints = ends = 0
    n = len(text)
    while (m := _SYSNAME_OR_TRIVIA.search(text, i)) is not None:
        if text[m.start()] != "$":  # a string or a comment
            i = m.end()
            continue
        i = m.start()
        name, after = m.group(0), m.end()
        j = _skip_space(text, after)
        if name in _PRINTS or name in _SEVERITY:
            label = f'"{tag}{_SEVERITY.get(name, "")}"'
            if j < n and text[j] == "(":
                k = _skip_space(text, j + 1)
                sep = "" if k < n and text[k] == ")" else ", "
                out.append(text[last:j + 1] + label + sep)
                last = j + 1
            else:
                out.append(text[last:after] + f"({label})")
                last = after
            prints += 1
            i = after
            continue
        if name in _ENDS:
            stmt_end = _matching_paren(text, j) if j < n and text[j] == "(" else after
            k = _skip_space(text, stmt_end) if stmt_end > 0 else -1
            if k >= 0 and k < n and text[k] == ";":
                out.append(text[last:i] + f'begin $display("{tag}END"); {text[i:k + 1]} end')
                last = i = k + 1
                ends += 1
                continue
        i = after
    out.append(text[last:])
    return "".join(out), prints, ends


_WORD = re.compile(r"\w++")
_WS = r"[ \t\r\n]"
_PARENS = r"\((?:[^()]++|\((?:[^()]++|\([^()]*+\))*+\))*+\)"  # (...) with parentheses nested twice inside
_PARAMS = r"#" + _WS + r"*+" + _PARENS  # #(.W(8), .D(f(2)))
# TYPE [#(...)] NAME [[range]...] (  possessive throughout: a failed match stops at the next parenthesis
_INSTANCE = re.compile(r"\b(\w++)(?:" + _WS + "*+" + _PARAMS + _WS + "*+|" + _WS + r"++)(\w++)" + _WS
                       + r"*+(?:\[[^\[\]]*+\]" + _WS + r"*+)*+\(")


# a task's name, a named block's (begin : x, fork : x), a function's header up to its name: the scopes a call or a
# dotted name from inside the design could reach by looking upward
_SCOPE_NAME = re.compile(r"\btask" + _WS + r"++(?:(?:automatic|static)" + _WS + r"++)?+(\w++)"
                         r"|\b(?:begin|fork)" + _WS + r"*+:" + _WS + r"*+(\w++)|\bfunction\b([^;(]{0,300}+)[;(]")
_MEMBER = re.compile(r"\." + _WS + r"*+(\w++)")  # .port(...) and a.b: names of the design's side, kept as they are
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*+"')


def _bench_names(files: dict[str, str], dut_top: str) -> set[str]:
    """Modules the bench defines, the instance names it gives them, and its tasks, functions and named blocks:
    what an upward lookup from the design could reach. Not renamed: a name the bench also uses after a dot (a
    port of the design, a member) or inside a string (what it prints stays as it was). One linear pass per file:
    a model-written bench (spec2rtl) is untrusted text too."""
    modules = {n for text in files.values() for n in re.findall(r"^[ \t]*+module[ \t\r\n]++(\w++)", text, re.M)}
    modules -= {dut_top}
    instances = {m.group(2) for text in files.values() for m in _INSTANCE.finditer(text)
                 if m.group(1) in modules or m.group(1) == dut_top}
    scopes = set()
    for text in files.values():
        for m in _SCOPE_NAME.finditer(text):
            words = m.group(1) or m.group(2) or (re.findall(r"\w++", m.group(3) or "") or [""])[-1]
            scopes.add(words)
    kept = {n for text in files.values() for n in _MEMBER.findall(text)}
    kept |= {w for text in files.values() for lit in _STRING.findall(text) for w in re.findall(r"\w++", lit)}
    return modules | instances | (scopes - kept - {"", dut_top} - modules)


_FEW_NAMES = 64  # up to this many, one regex of the names; beyond, a dict lookup per word (linear whatever they are)


def _renamer(renamed: dict[str, str]) -> Callable[[str], str]:
    """Whole words of ``renamed``'s keys replaced by its values. A bench names a handful of modules and instances:
    one alternation over them passes over the rest of the text in C, not with a Python call per word."""
    if len(renamed) > _FEW_NAMES:
        return lambda text: _WORD.sub(lambda m: renamed.get(m.group(0), m.group(0)), text)
    names = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(renamed, key=len, reverse=True))) + r")(?!\w)")
    return lambda text: names.sub(lambda m: renamed[m.group(0)], text)


def harden(bench: Bench) -> HardenedBench:
    """Rewrite ``bench`` for one run (a fresh secret each call); InputError for a bench the judge cannot use."""
    suffix, tag = secrets.token_hex(6), "RTLGEN" + secrets.token_hex(16) + ":"
    names = _bench_names(dict(bench.files), bench.dut_top)
    if bench.top not in names:
        raise InputError(f"the testbench defines no module {bench.top!r}; pass the testbench's top module")
    code = [blank_trivia(text) for text in bench.files.values()]  # an instance in a comment or string is none
    if not any(m.group(1) == bench.dut_top for text in code for m in _INSTANCE.finditer(text)):
        raise InputError(f"the testbench never instantiates the design's top module {bench.dut_top!r}, so nothing "
                         "it says is about the design")
    renamed = {n: f"{n}_{suffix}" for n in names}
    rename = _renamer(renamed)
    protocol = bench.resolved_protocol()
    out: dict[str, str] = {}
    total_ends = 0
    for fname, text in bench.files.items():
        text = rename(text)
        text, _prints, ends = tag_prints(text, tag)
        total_ends += ends
        out["bench_" + fname] = text
    last = list(out)[-1]
    out[last] = out[last] + "\n`resetall\n"
    if protocol is BenchProtocol.MISMATCH_COUNT and not any(f"{tag}\", \"Mismatches: " in t for t in out.values()):
        raise InputError(f"testbench {bench.name or bench.top!r} prints no 'Mismatches:' line; use another protocol")
    ref = f"{bench.reference_top}_{suffix}" if bench.reference_top in names else None
    return HardenedBench(files=out, top=f"{bench.top}_{suffix}", tag=tag, protocol=protocol, has_end=total_ends > 0,
                         reference_top=ref)
