"""The one judge against a corpus of attacks (tests/judge_attacks/*.sv, one file per attack, its first line
saying the outcome it must have), through every consumer: the judge itself, the RL reward, the agent's
verify step, ``rtlgen sim run --judge`` and strict evaluation; plus defence in depth with the static check
switched off, and the sandbox driver's status channel."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rtlgen.cli.main import main
from rtlgen.rewards.simulation import SimulationReward
from rtlgen.sandbox import Job, Limits, Sandbox, SandboxConfig, Step
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.judge import Bench, BenchProtocol, Judge, JudgeConfig, JudgeLimits
from rtlgen.sim.judge.harden import _bench_names, harden
from rtlgen.sim.judge.jobs import SimulatorKind, simulation_job
from rtlgen.sim.judge.verdict import read_run

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

ATTACKS = Path(__file__).parent / "judge_attacks"
REF = "module RefModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n"
TB = """`timescale 1ps/1ps
module tb;
  reg [3:0] a; wire [3:0] y, y_ref; integer i, errors = 0;
  TopModule dut(.a(a), .y(y)); RefModule ref0(.a(a), .y(y_ref));
  task clear_errors; errors = 0; endtask
  initial begin : stim
    integer local_e;
    for (i = 0; i < 16; i = i + 1) begin a = i; #1; if (y !== y_ref) errors = errors + 1; end
    $display("Mismatches: %0d in %0d samples", errors, 16); $finish;
  end
endmodule
"""
BENCH = Bench({"test.sv": TB, "ref.sv": REF}, top="tb", dut_top="TopModule", reference_top="RefModule")
FAST = JudgeLimits(run_wall_s=5, compile_wall_s=10, memory_mb=1024, output_bytes=200_000, file_size_mb=8)
BOMBS = {"huge_array.sv", "generate_bomb.sv", "recursive_module.sv", "flood.sv", "zero_delay_loop.sv", "macro_bomb.sv"}


def corpus() -> dict[str, tuple[str, str]]:
    """name -> (expected outcome word, design)."""
    out = {}
    for path in sorted(ATTACKS.glob("*.sv")):
        text = path.read_text()
        expect = re.match(r"// expect: (\w+)", text).group(1)
        out[path.name] = (expect, text)
    return out


def _check(name: str, expect: str, passed: bool, category: str) -> None:
    if expect == "pass":
        assert passed, f"{name}: {category}"
    else:
        assert not passed, f"{name} passed"
    if expect == "forbidden":
        assert category in ("forbidden", "S", "C"), f"{name}: {category}"


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    jobs = tmp_path_factory.mktemp("jobs")
    return Judge(JudgeConfig(limits=FAST), sandbox=Sandbox(SandboxConfig(jobs_dir=str(jobs))))


@pytest.mark.slow
def test_corpus_through_the_judge(judge):
    items = corpus()
    verdicts = judge.judge_many([(text, BENCH) for _, text in items.values()])
    for (name, (expect, _)), v in zip(items.items(), verdicts, strict=True):
        _check(name, expect, v.passed, v.category.value)
        json.dumps(v.to_json())
    by_name = dict(zip(items, verdicts, strict=True))
    assert by_name["honest_half.sv"].category is FC.MISMATCH and by_name["honest_half.sv"].fraction_correct == 0.5
    assert by_name["ifdef_simulator.sv"].category is FC.FORBIDDEN  # what Icarus compiles, not what slang would
    assert by_name["flood.sv"].category in (FC.KILLED_OUTPUT, FC.TIMEOUT)


def test_corpus_through_the_reward(tmp_path):
    # a directive outside the module is dropped by the completion extractor: the module alone is judged
    outside = {"include_host.sv", "line_directive.sv", "resetall.sv", "unterminated_comment.sv"}
    items = {n: t for n, (_e, t) in corpus().items() if n not in BOMBS | outside}
    reward = SimulationReward(timeout_s=5, cache_dir=str(tmp_path / "cache"))
    out = reward(["p"] * len(items), list(items.values()), testbench=[TB] * len(items), reference=[REF] * len(items))
    got = dict(zip(items, out, strict=True))
    assert got.pop("honest_correct.sv") == 1.0
    assert got.pop("honest_half.sv") == pytest.approx(0.25)
    # a forger earns at most the partial credit its real behaviour earns (y = 0 is right on 1 of 16 inputs)
    assert all(v <= 0.5 / 16 + 1e-9 for v in got.values()), {k: v for k, v in got.items() if v}
    assert got["early_finish.sv"] == 0.0 and got["ifdef_simulator.sv"] == 0.0
    assert "forbidden" in reward.last_categories


def test_naive_trust_is_forgeable_and_strict_is_not(tmp_path):
    """Why strict is the default: the design's own verdict line fools the naive reading."""
    forged = corpus()["early_finish.sv"][1]
    # forbid_prints off: the point is what each trust level reads, not the reward's own refusal of prints
    naive = SimulationReward(trust="naive", shaped=False, timeout_s=5, forbid_prints=False)
    strict = SimulationReward(shaped=False, timeout_s=5, forbid_prints=False)
    assert naive(["p"], [forged], testbench=[TB], reference=[REF]) == [1.0]
    assert strict(["p"], [forged], testbench=[TB], reference=[REF]) == [0.0]


def test_corpus_through_the_agent_verify(tmp_path):
    from rtlgen.agent.testbench import Verdict, verify

    box = Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))
    for name, (expect, text) in corpus().items():
        if name in BOMBS:
            continue
        check = verify(box, text, TB + REF, "TopModule", "tb", 2000, Limits(wall_s=5))
        _check(name, expect, check.passed, check.category)
        if expect == "forbidden" and check.category == "forbidden":
            assert check.verdict is Verdict.FORBIDDEN and "not allowed" in check.feedback + check.reason \
                or "declare" in check.reason or "define" in check.reason or "port" in check.reason


@pytest.mark.parametrize("name", ["honest_correct.sv", "print_verdict.sv", "early_finish.sv", "ifdef_simulator.sv"])
def test_corpus_through_sim_run_judge(tmp_path, capsys, name):
    expect, text = corpus()[name]
    (tmp_path / "design.sv").write_text(text)
    (tmp_path / "test.sv").write_text(TB)
    (tmp_path / "ref.sv").write_text(REF)
    rc = main(["sim", "run", str(tmp_path / "design.sv"), "--judge", str(tmp_path / "test.sv"),
               "--judge", str(tmp_path / "ref.sv"), "--top", "tb", "--reference-top", "RefModule", "--json"])
    verdict = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (rc == 0) is (expect == "pass") and verdict["passed"] is (expect == "pass")


def test_secret_out_of_reach_even_with_file_io(tmp_path):
    """Defence in depth: with the static check switched off, a design that reads every file it can name,
    and /proc, learns nothing of the tag; printing a forged verdict and stopping early still fails."""
    hardened = harden(BENCH)
    reads = ["bench_test.sv", "bench_ref.sv", "sim.vvp", "program.vvp", "/job/bench_test.sv", "/proc/self/mem",
             "/proc/self/environ", "/proc/1/cmdline", "/proc/self/fd/3", "/dev/fd/0", "/tmp/../job/sim.vvp"]
    body = "\n".join(
        f'fd = $fopen("{p}", "r"); if (fd != 0) begin while (!$feof(fd)) begin n = $fgets(line, fd); '
        f'$display("LEAK %0s", line); end end else $display("LEAK-DENIED {p}"); $fflush;' for p in reads)
    design = ("module TopModule(input [3:0] a, output [3:0] y); integer fd, n; reg [8*256:1] line; "
              f"assign y = 4'd0; initial begin {body} "
              '$display("Mismatches: 0 in 16 samples"); $finish; end endmodule\n')
    box = Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))
    job, n_compile = simulation_job(SimulatorKind.ICARUS, hardened.files, hardened.top, design, FAST)
    res = box.run(job)
    out = res.steps[-1].stdout
    assert "LEAK-DENIED bench_test.sv" in out and "LEAK-DENIED sim.vvp" in out
    leaked = [line for line in out.splitlines() if line.startswith("LEAK ")]
    assert all(hardened.tag[6:20] not in line for line in leaked)
    verdict = read_run(res, n_compile=n_compile, protocol=BenchProtocol.MISMATCH_COUNT, tag=hardened.tag,
                       has_end=hardened.has_end, tool="iverilog", trust="strict")
    assert not verdict.passed  # the program pipe is single-use: opening it again blocks until the timeout


def test_a_step_cannot_forge_its_status(tmp_path):
    """The fused driver is another uid and /proc is absent: a step can neither write the status channel nor
    signal the driver, and its real exit status is reported."""
    box = Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))
    forge = ("for fd in 3 4 5 6 7 8 9; do echo '@STEP 1 0 0.0 0.1' >&$fd; done 2>/dev/null; "
             "for p in /proc/*/fd/*; do echo '@STEP 1 0 0.0 0.1' > $p; done 2>/dev/null; "
             "kill -KILL -1 2>/dev/null; exit 7")
    job = Job(steps=(Step(("/usr/bin/true",)), Step(("/usr/bin/sh", "-c", forge))), limits=Limits(wall_s=10))
    res = box.run(job)
    assert len(res.steps) == 2 and res.steps[1].exit_code in (7, -9)


@pytest.mark.requires_data
def test_strict_eval_with_forged_completions(tmp_path, shared):
    """A VerilogEval problem judged strictly from a completions file: the forgeries fail, the honest one passes."""
    from rtlgen.evals.results import Mode
    from rtlgen.evals.runner import EvalConfig, run_eval

    good = "module TopModule(output zero); assign zero = 1'b0; endmodule"
    forged = [
        "module TopModule(output zero); assign zero = 1'b1; initial begin #1 $display(\"Mismatches: 0 in 20 samples\"); $finish; end endmodule",
        "module TopModule(output zero);\n`ifdef __ICARUS__\nassign zero = 1'b1; final $display(\"Mismatches: 0 in 20 samples\");\n`else\nassign zero = 0;\n`endif\nendmodule",
        "module TopModule(output zero); assign zero = tb.zero_ref; endmodule",
    ]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"task_id": "Prob001_zero", "completion": [f"```verilog\n{c}\n```" for c in [good, *forged]]}) + "\n")
    summary = run_eval(EvalConfig(task="verilogeval-v2-spec-to-rtl", completions=str(path), mode=Mode.STRICT,
                                  samples=4, problems=("Prob001_zero",), data_dir=str(shared / "verilog-eval"),
                                  out=str(tmp_path / "out"), progress=False, cache=False, robust=False))
    rows = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in sorted(rows, key=lambda r: r["sample"])] == [True, False, False, False]
    assert summary["problems"] == 1


@pytest.mark.slow
@pytest.mark.requires_verilator
def test_verilator_judge(tmp_path):
    """Verilator's own preprocessor and escapes: VERILATOR-only branches, $c and `systemc are seen and refused."""
    judge = Judge(JudgeConfig(simulator=SimulatorKind.VERILATOR, limits=FAST),
                  sandbox=Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs"))))
    names = ["honest_correct.sv", "verilator_c.sv", "systemc_block.sv", "dpi_system.sv"]
    items = corpus()
    hidden = ("module TopModule(input [3:0] a, output [3:0] y);\n`ifdef VERILATOR\nassign y = 4'd0; "
              "initial $c(\"exit(0);\");\n`else\nassign y = ~a;\n`endif\nendmodule\n")
    verdicts = judge.judge_many([(items[n][1], BENCH) for n in names] + [(hidden, BENCH)])
    assert verdicts[0].passed, verdicts[0]
    assert all(not v.passed and v.category in (FC.FORBIDDEN, FC.SYNTAX, FC.COMPILE_OTHER) for v in verdicts[1:]), \
        [(v.category, v.reason) for v in verdicts]
    assert verdicts[-1].category is FC.FORBIDDEN
    # Verilator lists no files read: the `line markers of its output do, so a macro-built include is refused too
    v = judge.judge_many([(MACRO_INCLUDE.format(target="/etc/hostname"), BENCH)])[0]
    assert v.category is FC.FORBIDDEN and "includes another file (/etc/hostname)" in v.reason, v


def _leave_a_job_dir(root: str, hold: bool) -> None:
    import time
    from pathlib import Path

    from rtlgen.sandbox.jobdirs import new_job_dir

    d = new_job_dir(Path(root), "rtlgen-job-")
    print(d, flush=True)
    if hold:
        time.sleep(60)


def test_stale_job_dirs_are_removed_only_when_their_owner_is_gone(tmp_path):
    """Judged by the owner's lock, never by a pid (pids mean nothing across pid namespaces)."""
    import subprocess
    import sys

    from rtlgen.sandbox.jobdirs import remove_stale_job_dirs

    root = tmp_path / "jobs"
    root.mkdir()
    code = "import sys; sys.path.insert(0, {!r}); from test_judge import _leave_a_job_dir; _leave_a_job_dir({!r}, {})"
    here = str(__import__("pathlib").Path(__file__).parent)
    live = subprocess.Popen([sys.executable, "-c", code.format(here, str(root), True)], stdout=subprocess.PIPE,
                            text=True)
    try:
        live_dir = live.stdout.readline().strip()
        dead = subprocess.run([sys.executable, "-c", code.format(here, str(root), False)], capture_output=True,
                              text=True, check=True).stdout.strip()
        legacy = root / "rtlgen-job-999999999-abc"  # old naming, no owner lock: never removed
        legacy.mkdir()
        assert remove_stale_job_dirs(root) == 1
        assert not __import__("os").path.exists(dead) and __import__("os").path.exists(live_dir) and legacy.exists()
    finally:
        live.kill()
        live.wait()
    assert remove_stale_job_dirs(root) == 1  # now its owner is gone too


def _harden_names(text: str) -> str:
    return harden(Bench({"tb.sv": text}, top="tb")).top


def test_hardening_a_hostile_bench_is_linear():
    """A model-written bench (spec2rtl) is untrusted text: thousands of modules and long blank runs in one
    pass, under a watchdog that a quadratic rewrite would blow through."""
    from rtlgen.sandbox.bounded import call_bounded

    text = ("module tb; TopModule d(); initial $finish; endmodule\n"
            + "\n".join(f"module m{i}; endmodule" for i in range(20000)) + " " * 500_000 + "(" * 100_000
            + "m1 #(" * 100_000 + "m1 #((" * 50_000 + "m1 d [" * 100_000)
    assert call_bounded(_harden_names, text, timeout_s=20).startswith("tb_")


def test_parameterised_and_arrayed_bench_instances_are_renamed(judge):
    """``RefModule #(.W(4)) ref0 (...)`` is renamed as a plain instance is, so the design cannot name it, not
    even with a decoy of the name declared where its lookup does not see it (the static check refuses that)."""
    tb = TB.replace("RefModule ref0", "RefModule #(.W(4)) ref0")
    ref = "module RefModule #(parameter W = 4)(input [W-1:0] a, output [W-1:0] y); assign y = ~a; endmodule\n"
    bench = Bench({"test.sv": tb, "ref.sv": ref}, top="tb", dut_top="TopModule", reference_top="RefModule")
    assert "ref0" not in re.findall(r"\w+", harden(bench).files["bench_test.sv"])
    names = _bench_names({"t.sv": "module tb; RefModule #(.W(4), .D(f(2))) r1 (); RefModule r2 [1:0] ();\n"
                                  "TopModule#(8)d(); endmodule\nmodule RefModule; endmodule\n"}, "TopModule")
    assert {"r1", "r2", "d"} <= names
    # tasks, functions and named blocks too (defence in depth behind the static check), but not a name the bench
    # also uses after a dot (a port of the design) or in a string (what it prints)
    names = _bench_names({"t.sv": "module tb; task automatic clr; endtask function automatic [3:0] f(input x); "
                                  "endfunction function void a; endfunction\ninitial begin : stim end "
                                  "initial fork : y join TopModule dut(.a(1), .y()); initial $display(\"stim2 f\");"
                                  "\nendmodule\n"}, "TopModule")
    assert {"clr", "stim", "tb", "dut"} <= names and not names & {"a", "y", "f", "TopModule"}, names
    forge = ("module TopModule(input [3:0] a, output [3:0] y);\n"
             "  function automatic integer f(input integer ref0); f = ref0; endfunction\n"
             "  assign y = ref0.y; endmodule\n")
    honest = "module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n"
    forged, good = judge.judge_many([(forge, bench), (honest, bench)])
    assert forged.category is FC.FORBIDDEN and good.passed, (forged, good)


def test_same_program_judged_once(judge):
    """Samples equal after removing comments and whitespace are simulated once; a renamed signal is another program."""
    base = "module TopModule(input [3:0] a, output [3:0] y);\n  assign y = ~a;\nendmodule\n"
    spaced = "// a comment\nmodule TopModule(input [3:0] a,\n   output [3:0] y); /* x */ assign   y = ~a;\nendmodule"
    renamed = "module TopModule(input [3:0] a, output [3:0] y);\n  wire [3:0] t = ~a; assign y = t;\nendmodule\n"
    v = judge.judge_many([(base, BENCH), (spaced, BENCH), (renamed, BENCH)])
    assert all(x.passed for x in v)
    assert [x.merged for x in v] == [False, True, False]
    # white space inside a string, and a comment-like run inside an escaped name, are part of the program
    strings = "module TopModule(input [3:0] a, output [3:0] y);\n  assign y = (\"x y\" == \"x{}y\") ? ~a : 4'd0;\nendmodule\n"
    right, wrong = judge.judge_many([(strings.format(" "), BENCH), (strings.format("  "), BENCH)])
    assert right.passed and not wrong.passed and not wrong.merged, (right, wrong)
    from rtlgen.sim.judge.lexing import normalize

    assert normalize("wire \\a/*x*/b ;") != normalize("wire \\a/*y*/b ;")
    # a vertical tab is part of an escaped name to Icarus (\q<VT>=1'b0,y is one name): never merged with a space
    vt = "module TopModule(input [3:0] a, output [3:0] y);\n  wire \\q ;\n  assign \\q{}=1'b0,y = ~a;\nendmodule\n"
    spaced, tabbed = judge.judge_many([(vt.format(" "), BENCH), (vt.format("\x0b"), BENCH)])
    assert spaced.passed and not tabbed.passed and not tabbed.merged, (spaced, tabbed)
    # a comment on a directive's line is kept: Icarus refuses `timescale 1ps/1ps /* c */
    plain = "`timescale 1ps/1ps{}\nmodule TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n"
    ok, bad = judge.judge_many([(plain.format(""), BENCH), (plain.format(" /* c */"), BENCH)])
    assert ok.passed and not bad.passed and not bad.merged, (ok, bad)
    # an instance of the design in a comment is no instance: the bench below never runs the design
    silent = Bench({"test.sv": TB.replace("TopModule dut", "// TopModule dut"), "ref.sv": REF}, top="tb",
                   dut_top="TopModule", reference_top="RefModule")
    assert judge.judge_many([(vt.format(" "), silent)])[0].category is FC.NO_VERDICT
    assert normalize("a  =\n b; // c") == normalize("a = /* d */ b;")


MACRO_INCLUDE = ("// module TopModule comes from elsewhere\n`define x dummy\n`define INC(x) `x \"{target}\"\n"
                 "`INC(include)\n")


def test_macro_built_include_is_caught_by_the_preprocessor(judge):
    """`` `define I(x) `x "f" `` then `` `I(include) `` builds an include no text screen sees; the designs of one
    preprocessing batch sit side by side, so a wrong design could pull in a right one. Icarus lists what each
    step read: anything but its own file is refused."""
    honest = corpus()["honest_correct.sv"][1]
    items = [(honest, BENCH), (MACRO_INCLUDE.format(target="dut0.sv"), BENCH),
             (MACRO_INCLUDE.format(target="/etc/hostname"), BENCH)]
    v = judge.judge_many(items)
    assert v[0].passed
    assert all(not x.passed and x.category is FC.FORBIDDEN for x in v[1:]), [(x.category, x.reason) for x in v]
    assert "includes another file" in v[1].reason


def test_synth_screen_refuses_macro_built_directives():
    from rtlgen.synth.screen import screen_verilog

    assert "macro argument" in screen_verilog(MACRO_INCLUDE.format(target="/etc/passwd"))
    assert screen_verilog("`define W 8\nmodule m(output [`W-1:0] y); assign y = 0; endmodule\n") is None


def test_preprocessing_is_skipped_only_where_it_is_the_identity(judge):
    """A design the judge does not send through Icarus's preprocessor (plain ASCII with tabs and newlines, no
    backtick) comes out of it unchanged, so the text checked is still the text compiled; anything else goes in."""
    from rtlgen.sim.judge.jobs import preprocess_job, preprocessing_is_identity

    edge = ['module m; initial $display("a\\\nb // c /* d"); endmodule', "/* open\n", '"open', "a\\", "",
            "module \\esc+id (); endmodule\n", "x = 1'b1 \\\n;", "module m;\n\tassign y = a; // no newline",
            "`timescale\t1 ns/1  ps // tail\n  `default_nettype   none\nmodule m(input a, output b); `celldefine\n"
            "  assign b = a;\nendmodule `endcelldefine\n`unconnected_drive pull1\n`nounconnected_drive\n`resetall\n"
            "\\esc`timescale x ;\n\"`timescale in a string\"\n`timescale 1ns/1ps`resetall\n`default_nettype"]
    texts = [design for _, design in corpus().values()] + [TB, REF] + edge
    plain = [t for t in texts if preprocessing_is_identity(SimulatorKind.ICARUS, t)]
    assert len(plain) > len(edge) + 10 and edge[-1] in plain  # compiler-only directives pass through
    for k in range(0, len(plain), 16):
        res = judge.sandbox.run(preprocess_job(SimulatorKind.ICARUS, plain[k:k + 16], FAST))
        assert [s.stdout for s in res.steps] == plain[k:k + 16]
    for text in ("`define X 1\n", "module m; endmodule\r\n", "// caf\u00e9\n", "a\x00b", "a\x0cb", "`",
                 "`timescale `U\n", "`timescales 1ns/1ps\n", "`timescale$x\n", "`default_nettype_x\n",
                 "`include \"x.v\"\n`timescale 1ns/1ps\n", "`TIMESCALE 1ns/1ps\n", "// `ifdef X\n"):
        assert not preprocessing_is_identity(SimulatorKind.ICARUS, text)
    assert not preprocessing_is_identity(SimulatorKind.VERILATOR, "module m; endmodule\n")


def test_simulations_share_sandbox_starts_and_keep_their_verdicts(judge, monkeypatch):
    """Distinct programs simulate several to a sandbox start (``LocalExecutor.run_batch``), longest first; a
    flood or a wrong design in a batch decides its own verdict only, and every verdict is the one it gets alone."""
    names = ["honest_correct.sv", "honest_half.sv", "flood.sv"]
    designs = [corpus()[n][1] + f"\nmodule unused{k}; endmodule\n" for k in range(4) for n in names]
    designs.append("// the first design again, spaced out\n" + designs[0].replace(";\n", ";\n\n"))  # merged, late
    groups: list[int] = []
    batch = judge.sandbox.executor.run_batch
    monkeypatch.setattr(judge.sandbox.executor, "run_batch", lambda jobs: (groups.append(len(jobs)), batch(jobs))[1])
    costs = [1.0] + [0.01] * (len(designs) - 1)  # one long job alone, the short ones several to a start
    verdicts = judge.judge_many([(d, BENCH) for d in designs], costs=costs)
    alone = {n: judge.judge(corpus()[n][1], BENCH) for n in names}
    assert verdicts[-1].merged and not any(v.merged for v in verdicts[:-1])
    for k, v in enumerate(verdicts):
        want = alone[names[k % 3 if k < len(designs) - 1 else 0]]
        assert (v.passed, v.category, v.mismatches) == (want.passed, want.category, want.mismatches), (k, v.reason)
    assert groups and max(groups) > 1 and sum(groups) <= len(designs)
