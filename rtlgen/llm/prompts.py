"""Prompt building as VerilogEval does it, shared by the benchmarks, the agent and the data pipelines.

v2 (NVlabs/verilog-eval ``scripts/sv-generate`` at c498220d): the same system messages, an optional
in-context-learning prefix (``icl-examples/verilog-example-prefix_<task>_<k>-shot.txt``), the
``Question:``/``Answer:`` frame with the ``[BEGIN]``/``[DONE]`` instruction for spec-to-rtl, and for
code-complete the description turned into ``//`` comments up to the ``module TopModule`` line.
v1 ships no generation script; ``v1_prompt`` uses the code-complete system message with the v1
description as comments followed by the module header, so the completion is the module body.
"""

from __future__ import annotations

from pathlib import Path

from rtlgen.errors import DataMissingError, InputError
from rtlgen.llm.base import ChatMessage, Prompt

SPEC_TO_RTL = "spec-to-rtl"
CODE_COMPLETE = "code-complete-iccad2023"
MAX_SHOTS = 4

# Verbatim from upstream, leading and trailing newlines included: they reach the model.
SYSTEM_MESSAGES = {
    CODE_COMPLETE: "\nYou only complete chats with syntax correct Verilog code. End the Verilog module code completion "
                   "with 'endmodule'. Do not include module, input and output definitions.\n",
    SPEC_TO_RTL: "\nYou are a Verilog RTL designer that only writes code using correct Verilog syntax.\n",
}
PROMPT_PREFIXES = {
    CODE_COMPLETE: "\n// Implement the Verilog module based on the following description. Assume that signals are "
                   "positive clock/clk triggered unless otherwise stated.\n",
    SPEC_TO_RTL: "",
}
RULES_SUFFIX = """
Here are some additional rules and coding conventions.

 - Declare all ports and signals as logic; do not to use wire or reg.

 - For combinational logic with an always block do not explicitly specify
   the sensitivity list; instead use always @(*).

 - All sized numeric constants must have a size greater than zero
   (e.g, 0'b0 is not a valid expression).

 - An always block must read at least one signal otherwise it will never
   be executed; use an assign statement instead of an always block in
   situations where there is no need to read any signals.

 - if the module uses a synchronous reset signal, this means the reset
   signal is sampled with respect to the clock. When implementing a
   synchronous reset signal, do not include posedge reset in the
   sensitivity list of any sequential always block.
"""
NO_EXPLAIN_SUFFIX = """
Enclose your code with [BEGIN] and [DONE]. Only output the code snippet
and do NOT output anything else.
"""


def icl_prefix(icl_dir: Path, task: str, shots: int) -> str:
    """The k-shot in-context prefix upstream prepends to the user message ("" for 0 shots)."""
    if not isinstance(shots, int) or not 0 <= shots <= MAX_SHOTS:
        raise InputError(f"--shots must be an integer from 0 to {MAX_SHOTS}, not {shots!r}")
    if shots == 0:
        return ""
    path = Path(icl_dir) / f"verilog-example-prefix_{task}_{shots}-shot.txt"
    try:
        return path.read_text()
    except OSError as exc:
        raise DataMissingError(f"in-context examples {path} not readable ({exc.strerror}); "
                               "run `rtlgen data fetch verilogeval` or pass --data-dir") from exc


def comment_description(prompt: str) -> str:
    """Code-complete prompt body: lines before ``module TopModule`` become ``//`` comments, a blank line before it."""
    out: list[str] = []
    in_description = True
    for line in prompt.splitlines():
        if "module TopModule" in line:
            out.append("")
            in_description = False
        out.append("// " + line if in_description else line)
    return "\n".join(out)


def v2_user_message(task: str, prompt: str, prefix: str = "", *, rules: bool = False, explain: bool = False) -> str:
    """The user message sv-generate builds for one problem (``prefix`` is the ICL prefix)."""
    if task == CODE_COMPLETE:
        return prefix + PROMPT_PREFIXES[task] + comment_description(prompt)
    if task != SPEC_TO_RTL:
        raise InputError(f"unknown VerilogEval v2 task {task!r}; available: {CODE_COMPLETE}, {SPEC_TO_RTL}")
    text = prefix + "\nQuestion:\n" + prompt.strip() + "\n"
    if rules:
        text += RULES_SUFFIX
    if not explain:
        text = text.rstrip() + "\n" + NO_EXPLAIN_SUFFIX
    return text + "\nAnswer:\n"


def v2_prompt(task: str, prompt: str, *, icl_dir: Path | None = None, shots: int = 0, rules: bool = False) -> Prompt:
    """System + user messages for a v2 problem, as upstream sends them."""
    prefix = icl_prefix(icl_dir, task, shots) if shots else ""
    return [ChatMessage("system", SYSTEM_MESSAGES[task]),
            ChatMessage("user", v2_user_message(task, prompt, prefix, rules=rules))]


def v1_prompt(description: str, header: str) -> Prompt:
    """A v1 problem: description as comments, then the module header; the model writes the body."""
    commented = "\n".join("// " + line for line in description.strip().splitlines())
    user = PROMPT_PREFIXES[CODE_COMPLETE] + commented + "\n\n" + header
    return [ChatMessage("system", SYSTEM_MESSAGES[CODE_COMPLETE]), ChatMessage("user", user)]
