"""The agent's prompts: write RTL, write a self-checking testbench, repair with tool feedback.

Every prompt asks for complete modules in one fenced ```verilog block, which is what the extractor in
``rtlgen.agent.testbench`` reads back. A repair prompt shows the previous answer as the assistant turn
and the exact, trimmed tool messages (with the offending source lines, numbered) as the next user turn.
"""

from __future__ import annotations

from rtlgen.llm.base import ChatMessage, Prompt

SYSTEM = ("You are an expert digital design engineer. You write synthesizable Verilog-2005/SystemVerilog that "
          "compiles with Icarus Verilog (iverilog -g2012). Answer with complete code in one ```verilog block.")

TB_NAME = "tb"  # module name the agent asks generated testbenches to use


def _top_clause(top: str | None) -> str:
    return f"The top module must be named `{top}`." if top else "Name the top module as the specification says."


def rtl_prompt(spec: str, top: str | None) -> Prompt:
    """Round 1: write the design from the specification."""
    text = (f"Implement this specification in Verilog.\n\n<specification>\n{spec.strip()}\n</specification>\n\n"
            f"{_top_clause(top)} Return the complete module (and any submodules it needs) in one ```verilog block, "
            "with no testbench.")
    return [ChatMessage("system", SYSTEM), ChatMessage("user", text)]


def testbench_prompt(spec: str, top: str, ports: str | None) -> Prompt:
    """Ask for a self-checking testbench; its pass/fail convention is one the judge reads (``rtlgen.sim.judge``)."""
    interface = f"\n\nThe design's ports are:\n{ports}" if ports else ""
    text = (f"Write a self-checking Verilog testbench for a module `{top}` that implements this specification."
            f"\n\n<specification>\n{spec.strip()}\n</specification>{interface}\n\n"
            f"Name the testbench module `{TB_NAME}`; instantiate `{top}`; drive the inputs through the cases the "
            "specification describes (and corner cases); compare every output with the value the specification "
            "requires, counting wrong samples. At the end print exactly `Mismatches: <count> in <samples> samples` "
            "and call $finish. Print a line starting with FAIL for each mismatch. Do not write the design itself. "
            "Return only the testbench in one ```verilog block.")
    return [ChatMessage("system", SYSTEM), ChatMessage("user", text)]


def repair_prompt(spec: str, top: str | None, previous: str, feedback: str, *, may_fix_testbench: bool,
                  testbench: str | None = None) -> Prompt:
    """Next round: the previous answer, then the verification feedback, then what to return."""
    ask = f"Return the complete corrected `{top or 'top'}` module in one ```verilog block."
    tb_text = ""
    if may_fix_testbench and testbench:
        tb_text = f"\n\nThe testbench used (self-generated, it may be wrong too):\n```verilog\n{testbench.strip()}\n```"
        ask += (f" If the testbench is wrong rather than the design, also include a corrected `module {TB_NAME}` "
                "in the same block.")
    text = f"Verification of your design failed.\n\n{feedback.strip()}{tb_text}\n\n{ask}"
    return [*rtl_prompt(spec, top), ChatMessage("assistant", previous), ChatMessage("user", text)]
