"""Prompt building matches upstream sv-generate (system messages, ICL prefix, [BEGIN]/[DONE], header comments)."""

from __future__ import annotations

import pytest

from rtlgen.errors import InputError
from rtlgen.llm import prompts as pr

SPEC = "I would like you to implement a module named TopModule.\n\n - output zero\n"
CC = "\nBuild a circuit that always outputs a LOW.\n\nmodule TopModule (\n  output zero\n);\n\n"


def test_spec_to_rtl_user_message_frame():
    msg = pr.v2_user_message(pr.SPEC_TO_RTL, SPEC)
    assert msg.startswith("\nQuestion:\nI would like you")
    assert "Enclose your code with [BEGIN] and [DONE]." in msg
    assert msg.endswith("\nAnswer:\n")
    assert "additional rules" not in msg
    assert "additional rules" in pr.v2_user_message(pr.SPEC_TO_RTL, SPEC, rules=True)


def test_code_complete_comments_description_until_header():
    msg = pr.v2_user_message(pr.CODE_COMPLETE, CC)
    assert msg.startswith(pr.PROMPT_PREFIXES[pr.CODE_COMPLETE])
    assert "// Build a circuit that always outputs a LOW." in msg
    assert "\n\nmodule TopModule (\n  output zero\n);" in msg
    assert "// module" not in msg


def test_system_messages_are_upstreams():
    p = pr.v2_prompt(pr.SPEC_TO_RTL, SPEC)
    assert [m.role for m in p] == ["system", "user"]
    assert p[0].content == "\nYou are a Verilog RTL designer that only writes code using correct Verilog syntax.\n"
    assert "Do not include module, input and output definitions." in pr.SYSTEM_MESSAGES[pr.CODE_COMPLETE]


@pytest.mark.requires_data
@pytest.mark.parametrize("task", [pr.SPEC_TO_RTL, pr.CODE_COMPLETE])
def test_icl_prefix_is_prepended(shared, task):
    icl = shared / "verilog-eval" / "v2" / "icl-examples"
    prompt = CC if task == pr.CODE_COMPLETE else SPEC
    for shots in range(1, 5):
        p = pr.v2_prompt(task, prompt, icl_dir=icl, shots=shots)
        prefix = (icl / f"verilog-example-prefix_{task}_{shots}-shot.txt").read_text()
        assert p[1].content.startswith(prefix)
    assert pr.v2_prompt(task, prompt, icl_dir=icl, shots=0)[1].content == pr.v2_user_message(task, prompt)


def test_bad_shots():
    with pytest.raises(InputError, match="--shots"):
        pr.icl_prefix(None, pr.SPEC_TO_RTL, 5)


def test_v1_prompt_ends_with_header():
    p = pr.v1_prompt("Build a NOT gate.", "module top_module(input in, output out);\n")
    assert p[1].content.endswith("module top_module(input in, output out);\n")
    assert "// Build a NOT gate." in p[1].content
