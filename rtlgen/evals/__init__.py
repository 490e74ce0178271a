"""Benchmarks for RTL models: VerilogEval v1/v2 with upstream-compatible and forgery-proof scoring.

    from rtlgen.evals import EvalConfig, Mode, run_eval
    summary = run_eval(EvalConfig(task="verilogeval-v2-spec-to-rtl", model="golden", mode=Mode.STRICT))

Tasks live in ``registry`` (one module per family under ``tasks/``); ``scoring`` holds upstream's
pass rules, ``strict`` the hardened ones, ``runner`` the resumable orchestration, ``report`` the outputs.
"""

from rtlgen.evals.registry import EvalTask, available_tasks, get_task
from rtlgen.evals.results import Mode
from rtlgen.evals.runner import EvalConfig, run_eval

__all__ = ["EvalConfig", "EvalTask", "Mode", "available_tasks", "get_task", "run_eval"]
