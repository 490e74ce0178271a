"""Build a tiny, randomly initialised Qwen2-style model and a BPE tokenizer on the fly, for tests.

The tokenizer is trained with ``tokenizers`` on a few Verilog files read from the shared corpus (when it is
there; a built-in snippet otherwise) and nothing is copied into the repo. ``build_tiny_model(dir)`` saves
both with ``save_pretrained`` (with a chat template unless ``chat_template=False``); ``build_lora_adapter``
saves a randomly initialised peft LoRA adapter for it. Seconds on a CPU; nothing is downloaded.
"""

from __future__ import annotations

import itertools
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_FALLBACK = """module counter(input clk, input reset, output reg [3:0] q);
  always @(posedge clk) if (reset) q <= 4'd0; else q <= q + 4'd1;
endmodule
module mux2(input a, input b, input sel, output out); assign out = sel ? b : a; endmodule
"""


def corpus_texts(corpus_dir: Path | None, max_files: int = 12, max_chars: int = 200_000) -> list[str]:
    """A few Verilog sources to train the BPE on (read in place, never copied)."""
    texts: list[str] = []
    if corpus_dir is not None and corpus_dir.is_dir():
        files = (p for p in sorted(corpus_dir.rglob("*")) if p.suffix in (".v", ".sv") and p.is_file())
        for path in itertools.islice(files, max_files):
            texts.append(path.read_text(encoding="utf-8", errors="replace")[: max_chars // max_files])
    return texts or [_FALLBACK] * 20


def build_tokenizer(corpus_dir: Path | None, vocab_size: int = 512):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus_texts(corpus_dir), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None)


def build_tiny_model(out_dir: Path, corpus_dir: Path | None = None, *, chat_template: bool = True,
                     seed: int = 0) -> Path:
    """Save a ~0.1M-parameter Qwen2 model and its tokenizer to ``out_dir``; returns ``out_dir``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_tokenizer(corpus_dir)
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def build_lora_adapter(model_dir: Path, out_dir: Path, seed: int = 1) -> Path:
    """Save a LoRA adapter with random (non-zero) weights, so applying it visibly changes the model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(out_dir)
    return out_dir
