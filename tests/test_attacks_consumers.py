"""The attack corpus (tests/judge_attacks/*.sv) through the judge's newer consumers, as an attacker would
send it: the rewards (format, lint, equivalence, combined, async), the verl and OpenRLHF adapters, the HTTP
service (``/v1/judge``, ``/v1/reward``, ``/run_code`` and hostile HTTP), the agent's verify on the runaway
designs, and the dataset teacher stage (``Augment``) with a scripted teacher that answers attacks.

    .venv/bin/pytest -q tests/test_attacks_consumers.py

Each consumer must give a forging design no credit (the failure value, a failing verdict), never crash or
hang, and the service must keep serving after each hostile request. What tests/test_judge.py already runs
(the judge, ``SimulationReward`` and the agent's verify on the non-runaway corpus, ``sim run --judge``) and
tests/test_evals_strict.py (strict evaluation, forgeries and runaway designs) is not repeated here.
Holes found by this file were fixed; their reproducers stay as ordinary tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time

import pytest
import yaml
from test_judge import BENCH, BOMBS, REF, TB, corpus

from rtlgen.rewards import AsyncReward, CombinedReward, EquivalenceReward, FormatReward, LintReward, SimulationReward
from rtlgen.rewards.completions import completion_code
from rtlgen.rewards.labels import decode_label, encode_label

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

ITEMS = corpus()  # name -> (expected outcome, design)
HONEST = {"honest_correct.sv", "honest_half.sv"}
# directives outside the module: the completion extractor drops them and judges the (honest) module alone
OUTSIDE = {"include_host.sv", "line_directive.sv", "resetall.sv", "unterminated_comment.sv"}
# the judge refuses it against the reference's ports; a reward that reads no reference cannot (see the xfail)
PORT_TRICK = "input_as_output.sv"
# y = 0 is right on 1 of 16 inputs: the shaped partial credit a forger's real behaviour may earn
REAL_CREDIT = 0.5 / 16
# the runaway designs cheap enough for every consumer: generate_bomb's build runs up to the judge's compile
# wall clock (60 s, not a reward setting), so it goes through /run_code only, with compile_timeout set
CHEAP_BOMBS = ("flood.sv", "macro_bomb.sv", "recursive_module.sv", "zero_delay_loop.sv")
FAIR = [n for n in ITEMS if n not in BOMBS]  # the corpus minus runaway designs
GOOD = "module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n"


def texts(names):
    return [ITEMS[n][1] for n in names]


def columns(n: int) -> dict:
    return {"testbench": [TB] * n, "reference": [REF] * n, "top": ["TopModule"] * n}


def forging(name: str) -> bool:
    """A design that should earn the failure value everywhere (not honest, not cut down by extraction)."""
    return name not in HONEST | OUTSIDE


def no_batch_errors(caplog, reward) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert all(r.category != "error" for r in reward.last_results), [r.reason for r in reward.last_results]


def test_extraction_drops_what_the_outside_attacks_hide():
    """Why OUTSIDE may earn credit: what is judged is their honest module, the directive never reaches a tool."""
    for name in OUTSIDE:
        code = completion_code(ITEMS[name][1]).code
        assert "`" not in code and "/*" not in code and code.rstrip().endswith("endmodule"), (name, code)


# -- rewards --------------------------------------------------------------------------------------------------
@pytest.mark.requires_verilator
@pytest.mark.requires_yosys
@pytest.mark.slow
def test_corpus_through_format_lint_equivalence_and_combined(caplog):
    names = FAIR
    combined = CombinedReward({"weights": {"simulation": 1.0, "format": 0.1, "lint": 0.1, "equivalence": 0.5},
                               "judge": {"timeout_s": 5}, "equivalence": {"reference_top": "RefModule"}})
    rewards = {"format": FormatReward(), "lint": LintReward(), "equivalence": EquivalenceReward(reference_top="RefModule"),
               "combined": combined}
    got = {}
    for key, reward in rewards.items():
        started = time.monotonic()
        got[key] = dict(zip(names, reward(["p"] * len(names), texts(names), **columns(len(names))), strict=True))
        assert time.monotonic() - started < 60, key
        no_batch_errors(caplog, reward)
    assert got["combined"]["honest_correct.sv"] == pytest.approx(1.7)
    assert got["combined"]["honest_half.sv"] == pytest.approx(0.25 + 0.1)  # gated lint and equivalence: nothing
    assert got["equivalence"]["honest_half.sv"] == 0.0
    for name in names:
        if not forging(name):
            continue
        for key in rewards:
            if name == PORT_TRICK and key in ("format", "lint", "combined"):
                continue  # format and lint read no reference; combined: see the xfail below
            assert got[key][name] == 0.0, (key, name, got[key][name])


@pytest.mark.requires_verilator
def test_port_direction_trick_earns_nothing_in_combined():
    reward = CombinedReward({"judge": {"timeout_s": 5}})  # the default weights, what the adapters use
    out = reward(["p"], [ITEMS[PORT_TRICK][1]], **columns(1))
    assert reward.last_results[0].category == "forbidden"  # the judge refused it ...
    assert out == [0.0]  # ... and it still earns 0.1, format's credit


def test_runaway_designs_through_async_simulation_reward(caplog):
    """The runaway designs (bounded time, no credit) and, concurrently, the same honest design against two
    benches: two async calls on one reward do not mix their verdicts."""
    reward = AsyncReward(SimulationReward(timeout_s=3))
    names = [*CHEAP_BOMBS, "honest_correct.sv"]
    tb_b = TB.replace("RefModule ref0", "RefModuleB ref0")
    ref_b = REF.replace("RefModule", "RefModuleB").replace("~a", "a")

    async def both():
        return await asyncio.gather(
            reward(["p"] * len(names), texts(names), **columns(len(names))),
            reward(["p"], [GOOD], testbench=[tb_b], reference=[ref_b], top=["TopModule"]))

    started = time.monotonic()
    bombs, other = asyncio.run(both())
    assert time.monotonic() - started < 60
    got = dict(zip(names, bombs, strict=True))
    assert got.pop("honest_correct.sv") == 1.0
    assert all(v == 0.0 for v in got.values()), got
    assert other == [0.0]  # RefModuleB is y = a: the honest inverter is wrong against it
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_unencodable_completion_poisons_only_its_own_row():
    bad = GOOD.replace("endmodule", "wire \ud800; endmodule")
    reward = SimulationReward(timeout_s=5)
    assert reward(["p"] * 2, [GOOD, bad], **columns(2)) == [1.0, 0.0]


# -- trainer adapters --------------------------------------------------------------------------------------
@pytest.mark.requires_verilator
def test_corpus_through_verl_and_openrlhf_adapters(caplog):
    """The adapters' default reward (CombinedReward defaults: simulation, format, gated lint) on the corpus."""
    from rtlgen.rewards.adapters import openrlhf, verl

    names = FAIR
    label = encode_label(testbench=TB, reference=REF, top="TopModule")
    scored = verl.compute_score_batch(["rtl"] * len(names), texts(names), [label] * len(names),
                                      [{}] * len(names))
    rows = openrlhf.score_rows(["PROMPT:" + t for t in texts(names)], ["PROMPT:"] * len(names),
                               [json.loads(label)] * len(names))  # a mapping label, as OpenRLHF may keep it
    single = verl.compute_score("rtl", ITEMS["early_finish.sv"][1], label, None)
    assert single["score"] == 0.0 and single["passed"] == 0.0 and single["scored"] == 1.0
    for name, s, r in zip(names, scored, rows, strict=True):
        assert s["score"] == pytest.approx(r.value), name
        assert s["scored"] == 1.0 and s["category"] != "bad_label", (name, s)
        if name == "honest_correct.sv":
            assert s["passed"] == 1.0 and s["score"] == pytest.approx(1.2)
            continue
        assert s["passed"] == float(name in OUTSIDE - {"line_directive.sv"}), (name, s)  # an honest module
        if forging(name) and name != PORT_TRICK:
            assert s["score"] == 0.0, (name, s)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.requires_verilator
@pytest.mark.requires_torch
def test_openrlhf_reward_func_tensors():
    from rtlgen.rewards.adapters.openrlhf import reward_func

    names = ["honest_correct.sv", "early_finish.sv", "ref_instance.sv", "hier_ref.sv"]
    label = encode_label(testbench=TB, reference=REF, top="TopModule")
    out = reward_func(["P" + t for t in texts(names)], ["P"] * len(names), [label] * len(names))
    assert out["scores"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert out["rewards"].tolist()[1:] == [0.0, 0.0, 0.0]


def test_deeply_nested_label_is_a_reason_not_a_crash():
    columns_, why = decode_label("[" * 100_000 + "]" * 100_000)
    assert columns_ == {} and why


# -- agent verify: the runaway designs test_judge leaves out ------------------------------------------------
@pytest.mark.slow
def test_runaway_designs_through_agent_verify(tmp_path):
    from rtlgen.agent.testbench import verify
    from rtlgen.sandbox import Limits, Sandbox, SandboxConfig

    box = Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))
    for name in CHEAP_BOMBS:
        started = time.monotonic()
        check = verify(box, ITEMS[name][1], TB + REF, "TopModule", "tb", 2000, Limits(wall_s=3))
        assert not check.passed and time.monotonic() - started < 30, (name, check.category)


# -- dataset teacher stage ----------------------------------------------------------------------------------
ORIGINAL = "module TopModule(input [3:0] a, output [3:0] y);\n  assign y = a ^ 4'hf;\nendmodule\n"
DESCRIPTIONS = {"summary": "A four-bit inverter: the output y is the bitwise complement of the input a.",
                "detailed": "Ports: a[3:0] input, y[3:0] output. Combinational: y = ~a for every input value."}


def _augment(tmp_path, names, sim_timeout_s: float = 5.0):
    from rtlgen.datasets.augment import Augment, AugmentOptions
    from rtlgen.datasets.sample import Sample
    from rtlgen.datasets.stage import StageContext

    script = tmp_path / "teacher.yaml"
    script.write_text(yaml.safe_dump({"responses": [f"```verilog\n{t}```\n" for t in texts(names)],
                                      "when_exhausted": "empty"}))
    stage = Augment(AugmentOptions(teacher=f"scripted:{script}", keep_original=False, sim_timeout_s=sim_timeout_s),
                    StageContext(out_dir=tmp_path, progress=False))
    batch = [Sample(id=n, code=ORIGINAL, top="TopModule", descriptions=DESCRIPTIONS) for n in names]
    return {o.id.split("~")[0]: o for o in stage.process(batch)}


@pytest.mark.requires_yosys
@pytest.mark.slow
def test_augment_keeps_no_attacking_rewrite(tmp_path):
    """A teacher answering every attack (runaway designs: the cheap ones) keeps only the honest rewrites."""
    from rtlgen.datasets.sample import Sample

    out = _augment(tmp_path, [*FAIR, *CHEAP_BOMBS])
    kept = {n for n, o in out.items() if isinstance(o, Sample)}
    assert "honest_correct.sv" in kept  # the pipeline does keep a proved rewrite: the check is not vacuous
    assert kept <= {"honest_correct.sv"} | OUTSIDE, kept
    for name in kept:  # an outside attack kept is its honest module only
        assert "`" not in out[name].code and "/*" not in out[name].code, out[name].code


@pytest.mark.requires_yosys
def test_augment_drops_a_memory_bomb_rewrite(tmp_path):
    from rtlgen.datasets.sample import Sample

    out = _augment(tmp_path, ["huge_array.sv"], sim_timeout_s=30)
    assert not isinstance(out["huge_array.sv"], Sample), out["huge_array.sv"].meta


# -- the HTTP service -----------------------------------------------------------------------------------------
SECRET = "RTLGEN-ENV-SECRET-7f3a"
JSON = {"Content-Type": "application/json"}
BENCH_JSON = {"files": dict(BENCH.files), "top": BENCH.top, "dut_top": BENCH.dut_top,
              "reference_top": BENCH.reference_top}
LABEL = encode_label(testbench=TB, reference=REF, top="TopModule")


def _server(**kw):
    for module in ("httpx", "fastapi", "uvicorn"):
        pytest.importorskip(module)
    from test_service_support import ServerProcess

    return ServerProcess(workers=2, **kw)


@pytest.fixture(scope="module")
def server():
    with _server(env={"RTLGEN_ATTACK_SECRET": SECRET}) as s:
        yield s


def post(server, path: str, **kw):
    """One request on its own connection (a request the server fails must not break the next), then /healthz."""
    with server.client(timeout=120) as c:
        resp = c.post(path, **kw)
    with server.client(timeout=10) as c:
        assert c.get("/healthz").status_code == 200, (path, resp.status_code)
    return resp


def check_verdict(name: str, verdict: dict) -> None:
    expect = ITEMS[name][0]
    if expect == "pass":
        assert verdict["passed"], (name, verdict["category"], verdict["reason"])
    elif name == "huge_array.sv":  # its logic is right (y = ~a): under 4096 MB it may simply pass
        assert verdict["passed"] or verdict["category"] in ("T", "killed_memory", "C", "S"), verdict["category"]
    else:
        assert not verdict["passed"], name
    if expect == "forbidden":
        assert verdict["category"] in ("forbidden", "S", "C"), (name, verdict["category"])


@pytest.mark.slow
def test_corpus_through_v1_judge(server):
    names = [n for n in ITEMS if n != "generate_bomb.sv"]  # compile wall clock 60 s here: /run_code below
    started = time.monotonic()
    resp = post(server, "/v1/judge", json={"items": [{"design": ITEMS[n][1], "bench": BENCH_JSON} for n in names],
                                           "timeout_s": 5})
    assert resp.status_code == 200 and time.monotonic() - started < 90, resp.text[:300]
    for name, verdict in zip(names, resp.json()["verdicts"], strict=True):
        check_verdict(name, verdict)


def test_corpus_through_v1_reward(server):
    names = FAIR  # the route's judge has a fixed 30 s wall clock: runaway designs went through /v1/judge
    resp = post(server, "/get_reward", json={"query": ["Q:" + t for t in texts(names)], "prompts": ["Q:"] * len(names),
                                             "labels": [LABEL] * len(names)})
    assert resp.status_code == 200, resp.text[:300]
    out = resp.json()
    got = dict(zip(names, out["rewards"], strict=True))
    assert got["honest_correct.sv"] == 1.0 and got["honest_half.sv"] == pytest.approx(0.25)
    assert out["extra_logs"]["passed"] == [1.0 if n in ("honest_correct.sv", *OUTSIDE - {"line_directive.sv"})
                                           else 0.0 for n in names]
    assert all(got[n] <= REAL_CREDIT for n in names if forging(n)), got


# one attack per class (the whole corpus went through /v1/judge): forged verdict lines, early stop, hierarchical
# reach, the reference instantiated, file and system access, preprocessor tricks, port directions, runaway designs
RUN_CODE = ["honest_correct.sv", "honest_half.sv", "print_verdict.sv", "early_finish.sv", "stop_fatal.sv",
            "hier_ref.sv", "upward_task.sv", "ref_instance.sv", "file_read.sv", "dpi_system.sv", "verilator_c.sv",
            "ifdef_simulator.sv", "macro_built_include.sv", "include_host.sv", "input_as_output.sv",
            "drive_inputs.sv", "time_replay.sv", "flood.sv", "zero_delay_loop.sv", "generate_bomb.sv"]


@pytest.mark.slow
def test_attack_classes_through_run_code(server):
    for n, name in enumerate(RUN_CODE):
        body = {"code": ITEMS[name][1], "language": "verilog", "compile_timeout": 5, "run_timeout": 5}
        if n % 2:  # an unmodified SandboxFusion client: the bench rides in stdin
            body["stdin"] = json.dumps({"rtlgen_testbench": BENCH_JSON})
        else:
            body["testbench"] = BENCH_JSON
        started = time.monotonic()
        out = post(server, "/run_code", json=body).json()
        assert time.monotonic() - started < 60, name
        check_verdict(name, out["verdict"])
        passed = ITEMS[name][0] == "pass"
        assert (out["status"] == "Success") is passed, (name, out["status"])
        if out["run_result"] is not None:
            assert (out["run_result"]["stdout"] == "PASS\n") is passed, name


def test_hostile_http_bodies(server):
    big = GOOD + "// " + "x" * 5_000_000  # several MB of completion
    judged = post(server, "/v1/judge", json={"items": [{"design": big, "bench": BENCH_JSON}]})
    assert judged.status_code == 200 and judged.json()["verdicts"][0]["category"] == "too_large"
    rewarded = post(server, "/v1/reward", json={"query": [big], "labels": [LABEL]})
    assert rewarded.status_code == 200 and rewarded.json()["rewards"] == [0.0]
    ran = post(server, "/run_code", json={"code": big, "language": "verilog", "testbench": BENCH_JSON}).json()
    assert ran["status"] == "Failed"
    for path in ("/v1/judge", "/v1/reward", "/run_code", "/v1/jobs"):
        resp = post(server, path, content=b'{"items": "\xff\xfe\xc3"}', headers=JSON)
        assert resp.status_code == 400 and "UTF-8" in resp.json()["error"], (path, resp.text)


def _job(argv, **kw) -> dict:
    from rtlgen.sandbox import Job, Limits

    return Job.single(argv, limits=Limits(wall_s=10), cacheable=False, **kw).to_json()


def _jobs(server, *jobs):
    return post(server, "/v1/jobs", json={"jobs": [{"job": j} for j in jobs]})


@pytest.mark.slow
def test_hostile_jobs_are_refused_or_contained(server):
    for path in ("/etc", "/root", "/usr/../etc", "/usr/lib/../../root", "/", "/proc", str(server.dir)):
        resp = _jobs(server, {**_job(["/usr/bin/true"]), "ro_paths": [path]})
        assert resp.status_code == 403 and "ro_paths" in resp.json()["error"], (path, resp.text)
    for name in ("../x", "a/../../x", "/etc/passwd", "~/x"):
        assert _jobs(server, {**_job(["/usr/bin/true"]), "files": {name: "eA=="}}).status_code == 400, name
        assert _jobs(server, {**_job(["/usr/bin/true"]), "outputs": [name]}).status_code == 400, name
        run = post(server, "/run_code", json={"code": "module tb; endmodule", "language": "verilog",
                                              "files": {name: "eA=="}, "fetch_files": [name]})
        assert run.status_code == 400, (name, run.text)
    snoop = ("cat /proc/1/environ /proc/self/environ; env; cat /etc/passwd /etc/shadow; "
             f"cat {server.dir}/server.log; ls -la / /tmp .. 2>&1; "
             f"ln -s {server.dir}/server.log leak.txt; ln -s /proc/1/environ env.txt")
    res = _jobs(server, {**_job(["/bin/sh", "-c", snoop]), "outputs": ["leak.txt", "env.txt"]})
    result = res.json()["results"][0]["result"]
    seen = result["steps"][0]["stdout"] + result["steps"][0]["stderr"] + json.dumps(result["outputs"])
    assert SECRET not in seen and "rtlgen serve on" not in seen and "root:" not in seen, seen[:2000]
    assert result["outputs"] == {}  # planted links are not followed
    net = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {server.port}), timeout=3)\n"
           "    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e)\n")
    res = _jobs(server, _job(["/usr/bin/python3", "-c", net])).json()["results"][0]["result"]["steps"][0]
    assert "CONNECTED" not in res["stdout"], res
    # another job's files: both jobs run at once, the second looks everywhere it can for the first's secret
    owner = {**_job(["/bin/sh", "-c", "sleep 3"]), "files": {"secret.txt": "U0VDUkVULUZJTEUtOTk="}}
    thief = _job(["/bin/sh", "-c", "sleep 1; cat ../*/secret.txt /tmp/*/secret.txt /tmp/rtlgen-job-*/secret.txt; "
                                   "find / -name secret.txt -exec cat {} + 2>/dev/null"])
    results = _jobs(server, owner, thief).json()["results"]
    stolen = results[1]["result"]["steps"][0]
    assert "SECRET-FILE-99" not in stolen["stdout"] + stolen["stderr"]
    if shutil.which("yosys"):  # a job named yosys gets /proc (NEEDS_PROC), and yosys has a shell escape
        res = _jobs(server, _job(["/usr/bin/yosys", "-q", "-p", "!cat /proc/*/environ /proc/*/cmdline"]))
        step = res.json()["results"][0]["result"]["steps"][0]
        assert SECRET not in step["stdout"] + step["stderr"] and "rtlgen serve on" not in step["stdout"]


def test_service_logged_no_traceback(server):
    """After every hostile request above (run last against this server): no traceback in its log."""
    with server.client(timeout=10) as c:
        assert c.get("/readyz").json()["ready"] is True
    log = (server.dir / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# -- holes in the service, each on a server of its own (their tracebacks stay out of the one above) ---------
@pytest.fixture(scope="module")
def scratch_server():
    with _server() as s:
        yield s


def test_deeply_nested_json_is_a_400(scratch_server):
    nested = b"[" * 100_000 + b"]" * 100_000
    for path in ("/v1/judge", "/v1/reward", "/run_code", "/v1/jobs"):
        assert post(scratch_server, path, content=nested, headers=JSON).status_code == 400, path
    label = ("[" * 100_000) + ("]" * 100_000)
    assert post(scratch_server, "/v1/reward", json={"query": [GOOD], "labels": [label]}).status_code == 400


def test_unencodable_design_over_http(scratch_server):
    bad = GOOD.replace("endmodule", "wire \ud800; endmodule")
    body = json.dumps({"items": [{"design": GOOD, "bench": BENCH_JSON}, {"design": bad, "bench": BENCH_JSON}]})
    resp = post(scratch_server, "/v1/judge", content=body.encode(), headers=JSON)
    assert resp.status_code == 200 and [v["passed"] for v in resp.json()["verdicts"]] == [True, False]
    plain = json.dumps({"code": "module tb; endmodule /* \ud800 */", "language": "verilog"})
    # the lone surrogate reaches iverilog as invalid UTF-8 inside a comment: answered, never a 500
    assert post(scratch_server, "/run_code", content=plain.encode(), headers=JSON).status_code in (200, 400)
