"""Hostile text against everything that reads it: extraction, log parsing, slang, and the bounded worker.

Each crafted input comes with the outcome it must have. Hang checks are no speed assertions: each
text-reading function runs under ``call_bounded`` with a 20 s watchdog on inputs that a quadratic
scan would take hours over, and the test asserts it finished.
"""

from __future__ import annotations

import os
import random
import re
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rtlgen.agent.loop import _instantiated_types, find_testbench_top, guess_top, guess_top_from_testbench
from rtlgen.errors import InputError
from rtlgen.llm import extract
from rtlgen.llm.extract import CODE_COMPLETE, MAX_RESPONSE_CHARS, SPEC_TO_RTL
from rtlgen.rewards.completions import completion_code, completion_text
from rtlgen.sandbox import bounded
from rtlgen.sandbox.bounded import BoundedCallError, BoundedFailure, RemoteError, call_bounded
from rtlgen.sim import slang
from rtlgen.sim.classify import classify_upstream, is_truncated
from rtlgen.sim.verdict import _MISMATCHES, mismatch_counts

WATCHDOG_S = 20.0  # every input here is linear-time work of well under a second; quadratic would be hours
N = 100_000
IFC = "module TopModule(input a, output y);"


# -- extraction and log parsing: every entry point on every crafted input ------------------------
def _ext(e) -> tuple:
    return ("empty" if e.empty else "code", e.truncated, e.reason is not None)


ENTRIES = {  # name -> (function of the text, summary of its result small enough to send back)
    "upstream_spec": (lambda t: extract.extract_upstream(SPEC_TO_RTL, t), _ext),
    "upstream_complete": (lambda t: extract.extract_upstream(CODE_COMPLETE, t, IFC), _ext),
    "robust": (extract.extract_robust, _ext),
    "robust_header": (lambda t: extract.extract_robust(t, header=IFC), _ext),
    "completion": (lambda t: completion_code([{"role": "assistant", "content": t}]), _ext),
    "split_modules": (extract.split_modules, len),
    "module_body": (lambda t: extract.module_body(t, "TopModule"), len),
    "blank_comments": (extract.blank_comments_and_strings, len),
    "is_truncated": (is_truncated, bool),
    "classify_upstream": (classify_upstream, lambda r: r.value),
    "mismatch_counts": (mismatch_counts, lambda r: r),
    "guess_top": (guess_top, lambda r: r),
    "guess_top_from_testbench": (guess_top_from_testbench, lambda r: r),
    "find_testbench_top": (lambda t: find_testbench_top(t, "TopModule"), lambda r: r),
}


def _summary(entry: str, text: str):
    """Runs in a bounded worker: the entry point on the text, summarised."""
    fn, summarise = ENTRIES[entry]
    return summarise(fn(text))


EMPTY = ("empty", False, False)
CASES = {  # name -> (text, {entry: the outcome it must have}); entries not named must just finish
    "newlines": (lambda: "\n" * N, {"robust": EMPTY, "upstream_spec": EMPTY, "split_modules": 0,
                                    "mismatch_counts": None, "guess_top_from_testbench": None}),
    "whitespace": (lambda: " \t\r\n\x0b" * N, {"robust": EMPTY, "robust_header": EMPTY, "completion": EMPTY,
                                              "classify_upstream": "R"}),
    "unterminated_comments": (lambda: "module a;\n" + "/* x\n" * N, {"is_truncated": True, "split_modules": 1,
                                                                     "robust": ("code", True, False)}),
    "unterminated_strings": (lambda: "module a;\n" + '"\\' * N, {"is_truncated": True}),
    "module_words": (lambda: "module " * N, {"split_modules": 1, "robust": ("code", True, False),
                                             "find_testbench_top": "module"}),
    "module_lines": (lambda: "module\n" * N, {"split_modules": 1, "guess_top": None}),
    "module_no_name": (lambda: "module 1 (\n" * (N // 2), {"split_modules": 0, "robust": EMPTY}),
    "fences": (lambda: "```\n" * N, {"robust": EMPTY, "upstream_spec": EMPTY}),
    "open_fence_then_blanks": (lambda: "```verilog\n" + "\n" * N + "module TopModule; endmodule\n",
                               {"robust": ("code", False, False), "split_modules": 1}),
    "begin_without_done": (lambda: "[BEGIN]\n" + "module m;\n" * (N // 2), {"upstream_spec": EMPTY,
                                                                       "robust": ("code", True, False)}),
    "begin_words": (lambda: "[BEGIN]" * N, {"robust": EMPTY}),
    "instance_params_unclosed": (lambda: "module tb;\n" + "a #(\n" * N, {"guess_top_from_testbench": None}),
    "mismatch_then_blanks": (lambda: "Mismatches:" + " \n" * N, {"mismatch_counts": None}),
    "many_modules": (lambda: "module a endmodule\n" * (N // 5), {"split_modules": N // 5,
                                                                 "find_testbench_top": "a"}),
    "many_dollar_modules": (lambda: "".join(f"module a${i} endmodule\n" for i in range(N // 5)),
                            {"split_modules": N // 5}),
    "deep_parens": (lambda: "module TopModule(" + "(" * N + ";", {"module_body": N + 18}),  # no header end: all
    "oversized": (lambda: "module TopModule;\n" + "x" * (MAX_RESPONSE_CHARS + MAX_RESPONSE_CHARS // 2) + "\nendmodule\n",
                  {"robust": ("code", True, True), "upstream_spec": ("code", True, True),
                   "completion": ("code", True, True)}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_extraction_entry_points_finish_with_their_outcome(case):
    make, expected = CASES[case]
    text = make()
    for entry in ENTRIES:
        try:
            got = call_bounded(_summary, entry, text, timeout_s=WATCHDOG_S, memory_mb=4096)
        except BoundedCallError as exc:
            pytest.fail(f"{entry} on {case}: {exc}")
        if entry in expected:
            assert got == expected[entry], f"{entry} on {case}"


def test_oversized_response_is_cut_with_a_reason():
    ext = extract.extract_robust("module TopModule;\n" + "x" * (2 * MAX_RESPONSE_CHARS))
    assert ext.truncated and "MAX_RESPONSE_CHARS" in ext.reason and len(ext.code) <= MAX_RESPONSE_CHARS + 1
    assert extract.extract_robust("module TopModule; endmodule").reason is None


def test_completion_of_odd_shape_gives_text_not_an_exception():
    assert completion_text([{"content": None}, "junk", {"content": [{"type": "text", "text": "a"}, 3]},
                            {"content": 7}, {"content": "b"}]) == "ab"


# The linear rewrites in the agent and in log parsing give what the old patterns gave, quirks included.
OLD_INSTANCES = re.compile(r"^\s*([A-Za-z_]\w*)\s+(?:#\s*\(.*?\)\s*)?[A-Za-z_]\w*\s*\(", re.M | re.S)
OLD_MISMATCHES = re.compile(r"^\s*Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples\s*$", re.M)


def _old_find_testbench_top(tb: str, design_top: str) -> str | None:
    names = [n for n, _ in extract.split_modules(tb) if n != design_top]
    roots = [n for n in names if len(re.findall(rf"\b{re.escape(n)}\b", tb)) == 1]
    return (roots or names or [None])[-1]


def _random_texts(tokens: list[str], count: int = 3000, length: int = 24):
    rng = random.Random(99)
    return ["".join(rng.choice(tokens) for _ in range(rng.randint(0, length))) for _ in range(count)]


def test_linear_rewrites_match_the_old_patterns():
    for text in _random_texts(["a", "b_1", " ", "\n", "#", "(", ")", ";", "\t", "#(", ") u (", "é", "x(", " \n "]):
        assert _instantiated_types(text) == OLD_INSTANCES.findall(text), repr(text)
    for text in _random_texts(["Mismatches:", "Mismatches: ", " ", "\n", "3", "10", " in ", "in", "samples",
                               " samples", "\t", "x", "\r"]):
        assert _MISMATCHES.findall(text) == OLD_MISMATCHES.findall(text), repr(text)
    for text in _random_texts(["module ", "tb", "TopModule", "a$b", "sub", " ", "\n", "endmodule", "(", ";", "$"]):
        assert find_testbench_top(text, "TopModule") == _old_find_testbench_top(text, "TopModule"), repr(text)


# -- slang ---------------------------------------------------------------------------------------
def _macro_bomb(depth: int) -> str:
    lines = ["`define A0(x) x x"] + [f"`define A{i}(x) `A{i - 1}(x) `A{i - 1}(x)" for i in range(1, depth)]
    return "\n".join(lines) + f"\nmodule a; localparam P = `A{depth - 1}(1); endmodule\n"


def _aborted(text: str) -> str:
    diags = slang.parse_diagnostics(text)
    assert len(diags) == 1 and diags[0].severity == "fatal" and diags[0].code == "ParseAborted", diags
    assert "\n" not in diags[0].message
    return diags[0].message


@pytest.mark.parametrize("path", ["/dev/zero", "/etc/passwd"])
def test_slang_include_is_refused_without_reading(path):
    diags = slang.parse_diagnostics(f'`include "{path}"\nmodule a; endmodule\n')
    assert diags[0].message == slang.INCLUDE_MESSAGE and "root:" not in " ".join(d.message for d in diags)
    assert slang.module_names(f'`include "{path}"\nmodule a; endmodule\n') == ["a"]


@pytest.mark.parametrize("text", [
    "module a(output y);\n  assign y = " + "(" * 50_000 + "1" + ")" * 50_000 + ";\nendmodule\n",
    "module a;\n  initial " + "begin " * 50_000 + "end " * 50_000 + "\nendmodule\n",
], ids=["parens", "begin_end"])
def test_slang_deep_nesting_is_one_fatal_diagnostic(text):
    assert "nesting" in _aborted(text)
    with pytest.raises(InputError, match="could not parse"):
        slang.module_names(text)


def test_slang_crash_costs_only_that_call():
    chain = "module a; localparam P = " + "1+" * 200_000 + "1; endmodule\n"  # slang recurses until SIGSEGV
    assert "crashed" in _aborted(chain)
    assert slang.parse_diagnostics("module a; endmodule\n") == []


def test_slang_macro_bomb_hits_the_memory_limit(monkeypatch):
    monkeypatch.setattr(slang, "MEMORY_MB", 256)  # the same outcome as at the default, in a quarter of the time
    assert "more than 256 MiB" in _aborted(_macro_bomb(30))


def test_slang_timeout(monkeypatch):
    monkeypatch.setattr(slang, "TIMEOUT_S", 0.3)
    assert "longer than 0.3 s" in _aborted(_macro_bomb(30))
    with pytest.raises(InputError, match="longer than 0.3 s"):
        slang.module_ports(_macro_bomb(30), "a")


def test_slang_refuses_oversized_input_with_a_reason():
    text = "module a;\n" + "wire w;\n" * 700_000 + "endmodule\n"  # 5 MB
    assert "MAX_SOURCE_BYTES" in _aborted(text)
    with pytest.raises(InputError, match="MAX_SOURCE_BYTES"):
        slang.module_names(text)


def test_slang_from_many_threads_while_others_crash():
    good = "module a(input x, output y);\n  assign y = x;\nendmodule\n"
    chain = "module a; localparam P = " + "1+" * 200_000 + "1; endmodule\n"
    texts = [good if i % 8 else chain for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(slang.parse_diagnostics, texts))
    for text, diags in zip(texts, results, strict=True):
        assert (diags == []) if text is good else diags[0].code == "ParseAborted"


# -- call_bounded --------------------------------------------------------------------------------
def _add(a, b=0):
    return a + b


def _sleep_forever():
    while True:
        time.sleep(60)


def _allocate(gigabytes):
    return len(bytearray(gigabytes << 30))


def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def _raise_value_error():
    raise ValueError("from the worker")


class _Unrebuildable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


def _raise_unrebuildable():
    raise _Unrebuildable(1, 2)


def _exit():
    raise SystemExit(3)


def _big_result():
    return b"x" * (bounded.MAX_PAYLOAD_BYTES + 1)


def _whoami():
    return {"pid": os.getpid(), "sid": os.getsid(0), "pgid": os.getpgid(0), "ppid": os.getppid(),
            "core": resource.getrlimit(resource.RLIMIT_CORE), "as": resource.getrlimit(resource.RLIMIT_AS)[0],
            "threads": threading.active_count()}


def _spawn_and_hang(pid_file):
    child = subprocess.Popen(["sleep", "1000"])
    Path(pid_file).write_text(str(child.pid))
    _sleep_forever()


def test_worker_is_isolated_and_limited():
    me = call_bounded(_whoami, memory_mb=777)
    assert me["pid"] != os.getpid() and me["ppid"] == os.getpid()
    assert me["sid"] == me["pid"] == me["pgid"]  # its own session and process group
    assert me["core"] == (0, 0) and me["as"] == 777 << 20 and me["threads"] == 1
    assert call_bounded(_whoami)["as"] == 2048 << 20  # each call sets its own limit


def test_memory_bomb_gives_memory_and_the_caller_survives():
    with pytest.raises(BoundedCallError) as err:
        call_bounded(_allocate, 10, memory_mb=512)
    assert err.value.kind is BoundedFailure.MEMORY and "512 MiB" in str(err.value)
    assert call_bounded(_add, 1, b=2) == 3


def test_sleeping_forever_gives_timeout():
    start = time.monotonic()
    with pytest.raises(BoundedCallError) as err:
        call_bounded(_sleep_forever, timeout_s=1)
    assert err.value.kind is BoundedFailure.TIMEOUT and "1 s" in str(err.value)
    assert time.monotonic() - start < WATCHDOG_S  # the limit was enforced, not merely reported
    assert call_bounded(_add, 2) == 2


def test_timeout_kills_the_workers_process_group(tmp_path):
    pid_file = tmp_path / "pid"
    with pytest.raises(BoundedCallError, match="limit"):
        call_bounded(_spawn_and_hang, str(pid_file), timeout_s=2)
    pid = int(pid_file.read_text())
    for _ in range(100):  # the orphan is reaped by init once killed
        if not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker's child outlived the timeout")


def test_segfault_gives_crash():
    with pytest.raises(BoundedCallError) as err:
        call_bounded(_segfault)
    assert err.value.kind is BoundedFailure.CRASH and "SIGSEGV" in str(err.value)
    assert "\n" not in str(err.value)


def test_exceptions_come_back():
    with pytest.raises(ValueError, match="from the worker") as err:
        call_bounded(_raise_value_error)
    assert "_raise_value_error" in str(err.value.__cause__)  # the worker's traceback
    with pytest.raises(RemoteError, match="_Unrebuildable: 1/2"):
        call_bounded(_raise_unrebuildable)
    with pytest.raises(BoundedCallError, match="SystemExit") as exit_err:
        call_bounded(_exit)
    assert exit_err.value.kind is BoundedFailure.CRASH


def test_bad_calls_are_input_errors(monkeypatch):
    with pytest.raises(InputError, match="picklable"):
        call_bounded(lambda: 1)
    with pytest.raises(InputError, match="timeout_s"):
        call_bounded(_add, 1, timeout_s=0)
    with pytest.raises(InputError, match="memory_mb"):
        call_bounded(_add, 1, memory_mb=-1)
    with pytest.raises(BoundedCallError) as err:
        call_bounded(_big_result)
    assert err.value.kind is BoundedFailure.TOO_LARGE
    monkeypatch.setattr(bounded, "MAX_PAYLOAD_BYTES", 1000)
    with pytest.raises(BoundedCallError) as err:
        call_bounded(_add, "x" * 2000, "")
    assert err.value.kind is BoundedFailure.TOO_LARGE


def test_concurrent_calls_from_eight_threads():
    def one(i):
        if i % 20 == 3:
            with pytest.raises(BoundedCallError):
                call_bounded(_sleep_forever, timeout_s=0.5)
            return None
        return call_bounded(_add, i, b=1)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(80)))
    assert results == [None if i % 20 == 3 else i + 1 for i in range(80)]


_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from rtlgen.sandbox.bounded import call_bounded
    print(call_bounded(os.getpid), flush=True)
    if sys.argv[1] == "hang":
        time.sleep(1000)
""")


def _gone(pid: int) -> bool:
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", ["exit", "killed"])
def test_workers_do_not_outlive_the_parent(how):
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, "hang" if how == "killed" else "exit"],
                            stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    if how == "killed":
        proc.kill()  # SIGKILL: no atexit; the worker sees its socket close
    proc.wait(30)
    assert _gone(worker)


def _loaded(module: str) -> bool:
    return module in sys.modules


def test_prewarm_starts_one_worker_that_the_first_call_waits_for(monkeypatch):
    monkeypatch.setattr(bounded, "_POOL", None)  # a pool of this test's own
    pool = bounded._pool()
    try:
        bounded.prewarm("rtlgen.sim.judge.static")
        bounded.prewarm("rtlgen.sim.judge.static")  # one on its way already: nothing more
        assert pool.warming + len(pool.all) == 1
        assert call_bounded(_loaded, "rtlgen.sim.judge.static")  # the prewarmed worker, module imported
        assert len(pool.all) == 1 and pool.warming == 0
        bounded.prewarm("rtlgen.no_such_module")  # a worker is idle: nothing to do
        assert len(pool.all) == 1
    finally:
        pool.close()
    monkeypatch.setattr(bounded, "_POOL", None)
    pool = bounded._pool()
    try:
        bounded.prewarm("rtlgen.no_such_module")  # the import fails: the worker is dropped, calls still work
        assert call_bounded(_add, 2, b=3) == 5 and pool.warming == 0
    finally:
        pool.close()


def _pid():
    return os.getpid()


def test_a_worker_of_a_large_parent_is_kept_between_calls(monkeypatch):
    """Linux hands a spawned process the peak RSS of its parent's image (``ru_maxrss`` survives exec): a worker
    started by a large process (a training run) must still serve call after call, not be replaced each time."""
    ballast = bytearray(700 << 20)  # the parent grows past the retirement size
    ballast[::4096] = b"x" * len(ballast[::4096])
    monkeypatch.setattr(bounded, "_POOL", None)
    pool = bounded._pool()
    try:
        assert len({call_bounded(_pid) for _ in range(3)}) == 1
    finally:
        pool.close()
        del ballast
