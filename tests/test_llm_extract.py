"""Code extraction: upstream's line rules (bug-compatible) and the robust extractor."""

from __future__ import annotations

import random
import re

from rtlgen.llm import extract as ex
from rtlgen.llm.extract import (
    CODE_COMPLETE,
    SPEC_TO_RTL,
    blank_comments_and_strings,
    extract_robust,
    extract_upstream,
    module_body,
)

MOD = "module TopModule(output zero);\n  assign zero = 1'b0;\nendmodule"
IFC = "\nmodule TopModule (\n  output zero\n);\n\n"


def test_upstream_begin_done():
    ext = extract_upstream(SPEC_TO_RTL, f"Sure!\n[BEGIN]\n{MOD}\n[DONE]\nbye")
    assert MOD in ext.code and "Sure" not in ext.code and "bye" not in ext.code
    assert "VERILOG-EVAL" not in ext.code


def test_upstream_begin_without_done_gives_no_code():
    ext = extract_upstream(SPEC_TO_RTL, f"[BEGIN]\n{MOD}\n")
    assert "module" not in ext.code and ext.empty


def test_upstream_spec_falls_back_to_backticks_with_marker():
    ext = extract_upstream(SPEC_TO_RTL, f"Here:\n```verilog\n{MOD}\n```\nDone.")
    assert MOD in ext.code and "Here:" not in ext.code
    assert "// VERILOG-EVAL: response did not use <CODE></CODE> correctly" in ext.code


def test_upstream_code_complete_prepends_interface_when_header_missing():
    ext = extract_upstream(CODE_COMPLETE, "  assign zero = 1'b0;\nendmodule\n", IFC)
    assert ext.code.startswith("\n" + IFC)
    assert "assign zero" in ext.code and "errant inclusion" not in ext.code


def test_upstream_code_complete_keeps_response_module_and_marks_it():
    ext = extract_upstream(CODE_COMPLETE, MOD + "\nsome prose after\n", IFC)
    assert ext.code.count("module TopModule") == 1
    assert "some prose after" not in ext.code
    assert "// VERILOG-EVAL: errant inclusion of module definition" in ext.code


def test_upstream_code_complete_marks_missing_endmodule_and_odd_backticks():
    ext = extract_upstream(CODE_COMPLETE, "```\n  assign zero = 0;\n", IFC)
    assert "abnormal backticks count" in ext.code and "endmodule not found" in ext.code


def test_robust_prose_and_several_modules():
    resp = f"Let me think.\nmodule Sub(output y); assign y = 0; endmodule\nThen:\n{MOD}\nHope this helps."
    ext = extract_robust(resp)
    assert "Let me think" not in ext.code and "Hope" not in ext.code
    assert "module Sub" in ext.code and "module TopModule" in ext.code and not ext.truncated


def test_robust_fenced_and_begin_done():
    assert extract_robust(f"```systemverilog\n{MOD}\n```").code.strip() == MOD
    assert extract_robust(f"[BEGIN]\n{MOD}\n[DONE]").code.strip() == MOD


def test_robust_truncated_and_empty():
    ext = extract_robust("module TopModule(output zero);\n  assign zero =")
    assert ext.truncated and not ext.empty
    assert extract_robust("I cannot help with that.").empty


def test_robust_body_gets_header():
    ext = extract_robust("  assign zero = 1'b0;\nendmodule", header=IFC)
    assert ext.code.lstrip().startswith("module TopModule (") and "assign zero" in ext.code


def test_module_body():
    assert module_body("module top_module(input a, output b);\nassign b = a;\nendmodule", "top_module") == \
        "\nassign b = a;\nendmodule"


# -- the linear rewrites give what the old (quadratic) patterns gave ----------------------------
OLD_FENCE = re.compile(r"^\s*```[^\n]*\n(.*?)(?:^\s*```|\Z)", re.M | re.S)
OLD_BEGIN_DONE = re.compile(r"\[BEGIN\](.*?)(?:\[DONE\]|\Z)", re.S)
OLD_MODULE_LINE = re.compile(r"^\s*module\b", re.M)
OLD_MODULE = re.compile(r"^[ \t]*(?:module|macromodule)\s+([A-Za-z_][A-Za-z0-9_$]*)(.*?)(?:\bendmodule\b|\Z)",
                        re.M | re.S)
OLD_COMMENTS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.S)
OLD_COMMENTS_RAW = re.compile(r"//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"", re.S)


def _random_texts(tokens: list[str], count: int = 3000, length: int = 24):
    rng = random.Random(1234)
    return ["".join(rng.choice(tokens) for _ in range(rng.randint(0, length))) for _ in range(count)]


def test_fences_and_module_lines_match_the_old_patterns():
    tokens = ["```", "```v", "\n", "\n", " ", "\t", "\r", "x", "module", "\x0b", "\x1c", "\u2028", "`", "modulex"]
    for text in _random_texts(tokens):
        assert ex._fenced_blocks(text) == OLD_FENCE.findall(text), repr(text)
        assert (ex._MODULE_LINE.search(text) is None) == (OLD_MODULE_LINE.search(text) is None), repr(text)


def test_begin_done_and_modules_match_the_old_patterns():
    for text in _random_texts(["[BEGIN]", "[DONE]", "x", "\n", "[", "]"]):
        m = OLD_BEGIN_DONE.search(text)
        assert ex._begin_done(text) == (m.group(1) if m else None), repr(text)
    for text in _random_texts(["module", "macromodule", " ", "\n", "\t", "a", "b$", "1", "endmodule", "x", ";"]):
        assert [m.group(0, 1) for m in ex._MODULE.finditer(text)] == [m.group(0, 1) for m in OLD_MODULE.finditer(text)]


def test_comment_blanking_matches_the_old_patterns():
    for text in _random_texts(["/", "*", '"', "\\", "\n", "a", " ", "//", "/*", "*/", '\\"']):
        assert blank_comments_and_strings(text) == OLD_COMMENTS.sub(" ", text), repr(text)
        assert blank_comments_and_strings(text, escapes=False) == OLD_COMMENTS_RAW.sub(" ", text), repr(text)
