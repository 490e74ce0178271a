r"""Get Verilog out of a model response: upstream VerilogEval's rules, and a more robust extractor.

``extract_upstream`` reproduces the line rules of ``scripts/sv-generate`` (v2, c498220d), marker
comments included, so official scores match published ones. ``extract_robust`` is ours: it prefers
``[BEGIN]``/``[DONE]``, then fenced blocks, then ``module ... endmodule`` spans in prose, keeps every
module, and marks the code truncated when ``endmodule`` is missing.

Responses are hostile (a model can emit 100k newlines or fences), so every rule here runs in time
linear in the response: line scans and ``str.find`` instead of patterns that rescan (``^\s*`` under
``re.M`` restarts its scan at every line of a blank run, ``.*?X`` at every unclosed opener), and
possessive quantifiers elsewhere. Each rewrite gives what the old pattern gave, quirks included; the
tests compare them on random text. A response over ``MAX_RESPONSE_CHARS`` is cut there first and the
extraction marked truncated, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_RESPONSE_CHARS = 1_000_000  # ~250k tokens, far past any generation limit; more is a bomb, not an answer

SPEC_TO_RTL = "spec-to-rtl"
CODE_COMPLETE = "code-complete-iccad2023"


@dataclass(frozen=True)
class Extraction:
    code: str
    method: str  # "upstream" or "robust"
    truncated: bool = False  # a module was opened but its endmodule never came
    empty: bool = False  # no Verilog found at all
    reason: str | None = None  # why the response was cut before extraction (over MAX_RESPONSE_CHARS); else None


def _cap(response: str) -> tuple[str, str | None]:
    """The response cut to ``MAX_RESPONSE_CHARS``, and the reason when it was cut."""
    if len(response) <= MAX_RESPONSE_CHARS:
        return response, None
    return response[:MAX_RESPONSE_CHARS], (f"the response is {len(response)} characters; only the first "
                                           f"{MAX_RESPONSE_CHARS} (MAX_RESPONSE_CHARS) were read")


# -- upstream ----------------------------------------------------------------------------------
def _module_exists(lines: list[str]) -> tuple[int, bool]:
    """First pass of sv-generate: backtick-fence count, and whether a TopModule header precedes any endmodule."""
    ticks, exists, endmodule_first = 0, False, False
    for line in lines:
        if line.startswith("```"):
            ticks += 1
        elif line.startswith("endmodule"):
            endmodule_first = endmodule_first or not exists
        elif line.startswith("module TopModule"):
            exists = True
    return ticks, exists and not endmodule_first


def _echo_lines(lines: list[str], ticks: int, module_exists: bool) -> tuple[list[str], bool, bool]:
    """Second pass of sv-generate: which lines are kept; also (found_module, found_endmodule)."""
    out: list[str] = []
    first_ticks = second_ticks = found_module = found_endmodule = False
    for line in lines:
        echo = True
        if line.strip().startswith("module TopModule"):
            found_module = True
        if ticks >= 2:
            echo = first_ticks and not second_ticks
        else:
            if found_endmodule or (module_exists and not found_module):
                echo = False
        if line.startswith("```"):
            second_ticks = first_ticks
            first_ticks = True
            echo = False
        elif line.strip().startswith("endmodule"):
            found_endmodule = True
        if echo:
            out.append(line)
    return out, found_module, found_endmodule


def _upstream_code_complete(response: str, ifc: str) -> list[str]:
    lines = response.splitlines()
    ticks, exists = _module_exists(lines)
    out = [""] + ([ifc + "\n"] if not exists else [])
    body, found_module, found_endmodule = _echo_lines(lines, ticks, exists)
    out += body + [""]
    if ticks == 1 or ticks > 2:
        out += ["// VERILOG-EVAL: abnormal backticks count", ""]
    if found_module:
        out += ["// VERILOG-EVAL: errant inclusion of module definition", ""]
    if not found_endmodule:
        out += ["// VERILOG-EVAL: endmodule not found", ""]
    return out


def _upstream_spec_to_rtl(response: str) -> list[str]:
    lines = response.splitlines()
    ticks, exists = _module_exists(lines)
    code: list[str] = []
    start = end = False
    for line in lines:
        if not start:
            if line.strip() == "[BEGIN]":
                start = True
            elif line.lstrip().startswith("[BEGIN]"):
                code.append(line.lstrip().replace("[BEGIN]", ""))
                start = True
        elif not end:
            if line.strip() == "[DONE]":
                end = True
            elif line.rstrip().endswith("[DONE]"):
                code.append(line.rstrip().replace("[DONE]", ""))
                end = True
            else:
                code.append(line)
    out = [""]
    if start and end:
        out += code
    if not start and not end:
        body, _, _ = _echo_lines(lines, ticks, exists)
        out += body + ["", "// VERILOG-EVAL: response did not use <CODE></CODE> correctly"]
    return out  # [BEGIN] without [DONE] yields no code at all, as upstream


# r"^\s*module\b" (re.M) rescans a blank run from each of its lines; a line whose own indent is followed
# by "module" is the same test (a run that spans lines ends in one that starts with its last part)
_MODULE_LINE = re.compile(r"^[^\S\n]*+module\b", re.M)


def extract_upstream(task: str, response: str, ifc: str = "") -> Extraction:
    """The exact text sv-generate writes to ``<sample>.sv`` for ``response``."""
    response, cut = _cap(response)
    lines = _upstream_code_complete(response, ifc) if task == CODE_COMPLETE else _upstream_spec_to_rtl(response)
    code = "\n".join(lines) + "\n\n"
    has_module = _MODULE_LINE.search(code) is not None
    truncated = has_module and re.search(r"\bendmodule\b", code) is None
    return Extraction(code=code, method="upstream", truncated=truncated or cut is not None, empty=not has_module,
                      reason=cut)


# -- robust ------------------------------------------------------------------------------------
# Linear as it stands (each match ends at an endmodule or the end; a failed header only scans its own
# blanks); the possessive quantifiers only give up what could never match anyway.
_MODULE = re.compile(r"^[ \t]*+(?:module|macromodule)\s++([A-Za-z_][A-Za-z0-9_$]*+)(.*?)(?:\bendmodule\b|\Z)",
                     re.M | re.S)
_PAREN_OR_SEMI = re.compile(r"[();]")


def split_modules(code: str) -> list[tuple[str, str]]:
    """(name, text) for every ``module ... endmodule`` in ``code``, in order; the last may be unclosed."""
    return [(m.group(1), m.group(0).strip("\n") + "\n") for m in _MODULE.finditer(code)]


def _module_spans(text: str) -> tuple[str, bool]:
    """Every ``module ... endmodule`` span in ``text`` (prose dropped); truncated if the last is unclosed."""
    spans = [span for _, span in split_modules(text)]
    if not spans:
        return "", False
    truncated = not spans[-1].rstrip().endswith("endmodule")
    return "\n\n".join(s.strip("\n") for s in spans) + "\n", truncated


def _begin_done(response: str) -> str | None:
    """The text after the first ``[BEGIN]`` up to the next ``[DONE]`` (or the end); None without [BEGIN]."""
    begin = response.find("[BEGIN]")
    if begin < 0:
        return None
    done = response.find("[DONE]", begin + 7)
    return response[begin + 7:] if done < 0 else response[begin + 7:done]


def _is_fence(line: str) -> bool:
    return line.lstrip().startswith("```")


def _fenced_blocks(text: str) -> list[str]:
    r"""The bodies of ``` fenced blocks, exactly as ``re.findall(r"^\s*```[^\n]*\n(.*?)(?:^\s*```|\Z)", text,
    re.M | re.S)`` gives them, in one pass over the lines (that pattern is quadratic on blank runs).

    Its quirks, kept: a fence may be indented; the opening line needs a newline after it; blank lines
    just before a closing fence are not part of the body; an unclosed block runs to the end.
    """
    lines = text.split("\n")  # "^" under re.M knows no other line break
    blocks: list[str] = []
    i = 0
    while i < len(lines) - 1:
        if not _is_fence(lines[i]):
            i += 1
            continue
        k = i + 1
        while k < len(lines) and not _is_fence(lines[k]):
            k += 1
        if k == len(lines):
            blocks.append("\n".join(lines[i + 1:]))
            break
        end = k
        while end > i + 1 and not lines[end - 1].strip():  # "^\s*```" also matches from a blank line above
            end -= 1
        blocks.append("".join(line + "\n" for line in lines[i + 1:end]))
        i = k + 1  # the closing fence's line can open nothing: the match ended inside it
    return blocks


def _candidate_text(response: str) -> str:
    """The part of the response that holds code: [BEGIN]/[DONE], else fenced blocks with a module, else all."""
    inside = _begin_done(response)
    if inside is not None and re.search(r"\bmodule\b", inside):
        return inside
    blocks = [b for b in _fenced_blocks(response) if re.search(r"\b(module|endmodule|assign|always)\b", b)]
    if blocks:
        return "\n".join(blocks)
    return response


def extract_robust(response: str, top: str = "TopModule", header: str = "") -> Extraction:
    """Code from a chatty response. ``header`` (a module header ending in ``;``) is prepended when the
    response holds only a module body, as code-complete and v1 expect."""
    response, cut = _cap(response)
    text = _candidate_text(response)
    code, truncated = _module_spans(text)
    has_top = re.search(rf"\bmodule\s+{re.escape(top)}\b", code) is not None
    if header and not has_top:
        body = text.strip("\n")
        if not body.strip():
            return Extraction(code="", method="robust", empty=True, truncated=cut is not None, reason=cut)
        body_code = header.rstrip() + "\n" + body + "\n"
        truncated = re.search(r"\bendmodule\b", body) is None
        return Extraction(code=body_code, method="robust", truncated=truncated or cut is not None, reason=cut)
    if not code.strip():
        return Extraction(code="", method="robust", empty=True, truncated=cut is not None, reason=cut)
    return Extraction(code=code, method="robust", truncated=truncated or cut is not None, reason=cut)


def module_body(code: str, top: str) -> str:
    """What follows the ``top`` module's header (its first ``;`` at depth 0 after the port list).

    v1 completions are bodies appended to the prompt's header; a response that repeats the header is cut here.
    """
    m = re.search(rf"\bmodule\s+{re.escape(top)}\b", code)
    if not m:
        return code
    depth = 0
    for tok in _PAREN_OR_SEMI.finditer(code, m.end()):  # only these three characters matter
        ch = tok.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            return code[tok.end():]
    return code


# -- comments and strings ----------------------------------------------------------------------
_SCAN_START = re.compile(r'//|/\*|"')
_STRING_ESCAPED = re.compile(r'"(?:\\.|[^"\\\n])*+', re.S)  # the part before the closing quote
_STRING_RAW = re.compile(r'"[^"\n]*+')


def blank_comments_and_strings(text: str, *, escapes: bool = True) -> str:
    r"""Each comment and string literal replaced by one space, exactly as
    ``re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', " ", text, flags=re.S)`` does (with
    ``escapes=False`` the string rule is ``"[^"\n]*"``), but in linear time: that pattern rescans to
    the end from every ``/*`` that is never closed and from every quote of an unclosed ``"\"\"\"...``.

    Its quirks, kept: an unclosed ``/*`` or string is no comment or string at all, and the scan goes
    on one character after its opener (so a ``//`` inside an unclosed string still starts a comment).
    """
    string = _STRING_ESCAPED if escapes else _STRING_RAW
    out: list[str] = []
    copied = pos = 0
    blocks_close = True  # False once a /* had no */ after it: no later one has either
    dead_quotes_until = -1  # a quote before here lies inside a string known not to close
    while (m := _SCAN_START.search(text, pos)) is not None:
        start, token = m.start(), m.group()
        if token == "//":
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
        elif token == "/*":
            close = text.find("*/", start + 2) if blocks_close else -1
            if close < 0:
                blocks_close, pos = False, start + 1
                continue
            end = close + 2
        else:
            if start < dead_quotes_until:  # it was an escaped quote of that string: its scan ends the same way
                pos = start + 1
                continue
            end = string.match(text, start).end()
            if end == len(text) or text[end] != '"':
                dead_quotes_until, pos = end, start + 1
                continue
            end += 1
        out += (text[copied:start], " ")
        copied = pos = end
    out.append(text[copied:])
    return "".join(out)
