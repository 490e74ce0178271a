"""A tiny causal LM built from scratch: a byte-level BPE tokenizer and a randomly initialised Llama.

    rtlgen train tiny runs/tiny --corpus /work/shared/rtl-corpus --set hidden=256 --set layers=4

Nothing is downloaded. The tokenizer is trained with ``tokenizers`` on a sample of the RTL corpus and on
texts the caller adds (the correct-by-construction family specs and solutions), so common Verilog
(``endmodule``, ``always @(posedge clk)``, ``assign``) becomes few tokens and a 256-token budget holds a
whole small module. Both are saved with ``save_pretrained``, so ``hf:DIR`` loads them. There is no chat
template on purpose: prompts are rendered plainly (``rtlgen.llm.hf_backend.render_plain``), the same way at
training and at evaluation.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.errors import InputError

EOS, PAD = "<|endoftext|>", "<|pad|>"
_CORPUS_FALLBACK = """module counter(input clk, input reset, output reg [3:0] q);
  always @(posedge clk) if (reset) q <= 4'd0; else q <= q + 4'd1;
endmodule
module mux2(input a, input b, input sel, output out); assign out = sel ? b : a; endmodule
"""


@dataclass(frozen=True)
class TinySpec:
    vocab_size: int = field(default=2048, metadata=help_("BPE vocabulary (small: the model is small)"))
    hidden: int = field(default=256, metadata=help_("model width"))
    layers: int = field(default=4, metadata=help_("transformer blocks"))
    heads: int = field(default=4, metadata=help_("attention heads"))
    kv_heads: int = field(default=4, metadata=help_("key/value heads (grouped-query attention when < heads)"))
    intermediate: int = field(default=768, metadata=help_("MLP width"))
    max_positions: int = field(default=2048, metadata=help_("longest prompt + completion, in tokens"))
    corpus_chars: int = field(default=3_000_000, metadata=help_("characters of the RTL corpus the BPE reads"))
    seed: int = field(default=0, metadata=help_("initialisation and corpus-sampling seed"))
    split_digits: bool = field(default=True, metadata=help_(
        "every digit its own token, in prose and code alike, so a width or constant is copied from the spec "
        "digit by digit (with merged digits ' 27' in the spec and 'd27' in code share no token)"))


def corpus_texts(corpus_dir: Path | None, max_chars: int, seed: int = 0) -> Iterator[str]:
    """Verilog sources from ``corpus_dir`` (``files/`` of the shared corpus, or any folder), read in place,
    a seeded sample of files up to ``max_chars`` characters in all."""
    if corpus_dir is None or not Path(corpus_dir).is_dir():
        yield _CORPUS_FALLBACK
        return
    root = Path(corpus_dir)
    files = sorted(p for p in root.rglob("*") if p.suffix in (".v", ".sv") and p.is_file())
    random.Random(seed).shuffle(files)
    left = max_chars
    for path in files:
        if left <= 0:
            break
        text = path.read_text(encoding="utf-8", errors="replace")[:min(left, 40_000)]
        left -= len(text)
        yield text


def build_tokenizer(texts: Iterable[str], vocab_size: int, *, split_digits: bool = True):
    """A byte-level BPE (every byte representable: no unknown token) with ``<|endoftext|>`` as EOS;
    ``split_digits`` keeps digits out of merges."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 300:
        raise InputError(f"vocab_size must be at least 300 (256 bytes + merges), not {vocab_size}")
    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level]) \
        if split_digits else byte_level
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS, PAD], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=PAD, bos_token=None,
                                   unk_token=None, model_max_length=1_000_000)


def build_tiny_model(out_dir: str | Path, spec: TinySpec = TinySpec(), *, corpus_dir: str | Path | None = None,
                     extra_texts: Iterable[str] = (), extra_repeat: int = 1) -> Path:
    """Train the tokenizer, initialise the model, save both to ``out_dir``; returns ``out_dir``.

    ``extra_texts`` (family specs and solutions) are read ``extra_repeat`` times so their vocabulary
    outweighs the corpus's long comments."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if spec.hidden % spec.heads or spec.heads % spec.kv_heads:
        raise InputError(f"hidden ({spec.hidden}) must divide by heads ({spec.heads}), heads by kv_heads "
                         f"({spec.kv_heads})")
    extra = list(extra_texts)
    texts = itertools.chain(corpus_texts(Path(corpus_dir) if corpus_dir else None, spec.corpus_chars, spec.seed),
                            *([extra] * max(1, extra_repeat)))
    tokenizer = build_tokenizer(texts, spec.vocab_size, split_digits=spec.split_digits)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=spec.hidden, intermediate_size=spec.intermediate,
                         num_hidden_layers=spec.layers, num_attention_heads=spec.heads,
                         num_key_value_heads=spec.kv_heads, max_position_embeddings=spec.max_positions,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    model.generation_config.save_pretrained(out)
    return out


def parameter_count(model_dir: str | Path) -> int:
    from transformers import AutoModelForCausalLM

    return sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(model_dir).parameters())


__all__ = ["TinySpec", "build_tiny_model", "build_tokenizer", "corpus_texts", "parameter_count"]
