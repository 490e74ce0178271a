"""Training: LoRA/full SFT, GRPO on the judge's rewards, ITERTL rounds, and a from-scratch tiny LM.

The only room that imports torch, transformers, trl and peft at module level (``sft``, ``grpo``,
``iterate``); ``configs``, ``data``, ``evaluate`` and this package stay importable without them, so the
CLI can check a config before anything heavy loads. Commands: ``rtlgen train sft|grpo|iterate|tiny``.
"""
