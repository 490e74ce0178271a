"""Code extraction: upstream's line rules (bug-compatible) and the robust extractor."""

from __future__ import annotations

from rtlgen.llm.extract import CODE_COMPLETE, SPEC_TO_RTL, extract_robust, extract_upstream, module_body

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
