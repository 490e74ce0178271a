"""Model backends (``hf:``, ``openai:``, ``scripted:``; ``golden`` lives in the benchmark runners), prompt
building (``rtlgen.llm.prompts``) and code extraction (``rtlgen.llm.extract``).

    from rtlgen.llm import load_model, SamplingParams, ChatMessage
    model = load_model("openai:qwen2.5-coder@http://127.0.0.1:8000/v1")
    texts = model.generate([[ChatMessage("user", "Write a 4-bit counter in Verilog.")]], SamplingParams.greedy())
"""

from rtlgen.llm.base import ChatMessage, ModelBackend, Prompt, SamplingParams
from rtlgen.llm.registry import SCHEMES, load_model
from rtlgen.llm.spec import ModelSpec, parse_spec

__all__ = ["SCHEMES", "ChatMessage", "ModelBackend", "ModelSpec", "Prompt", "SamplingParams", "load_model",
           "parse_spec"]
