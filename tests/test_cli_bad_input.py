"""Bad input to every command: one line on stderr naming the problem and the fix, never a traceback or a hang.

Every command runs in-process through ``rtlgen.cli.main.main`` (a SIGALRM guard turns a hang into a test
failure); a few FIFO cases also run as a subprocess with a timeout. Commands x classes:

    file classes: missing, directory, FIFO, /dev/zero, /dev/null, over the size cap, binary, non-UTF-8, empty
    numbers: nan, inf, negative, zero, absurd;  --out: an existing file, unwritable, held by another run
    model specs that are no model;  names with spaces;  --limit with a whole-task completions file
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtlgen.cli.main import main

TASK = "verilogeval-v2-spec-to-rtl"
REPO = Path(__file__).resolve().parent.parent
COUNTER = REPO / "rtlgen" / "sim" / "examples" / "counter.v"
HUGE = (1 << 30) + (1 << 20)  # above every cap, the liberty one (1 GiB) included; a sparse file
BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256))
NON_UTF8 = b"// caf\xe9: latin-1, no NUL\nhello\n"


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception/OSError` in the CLI can swallow it."""


@contextlib.contextmanager
def hang_guard(seconds: float = 20.0):
    def fire(signum, frame):
        raise Hang(f"the command did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with hang_guard():
        rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def one_line_error(rc: int, err: str) -> str:
    assert "Traceback" not in err, err
    assert rc != 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtlgen: error:"), err
    return lines[0]


# -- inputs --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(tmp_path_factory, shared):
    base = tmp_path_factory.mktemp("bad-input")
    good = base / "answers.yaml"
    good.write_text(json.dumps(["module adder(input a, output s); assign s = a; endmodule"]))
    return {"base": base, "good_model": f"scripted:{good}", "data": shared / "verilog-eval",
            "aig": shared / "synth-bench" / "validation" / "c432.aig"}


def make_bad(kind: str, suffix: str, folder: Path) -> Path:
    """A file argument of class ``kind`` whose name ends in ``suffix``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind.replace('-', '_')}{suffix}"  # a module name, for --cocotb
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev-null":
        path.symlink_to("/dev/null")
    elif kind == "huge":
        with open(path, "wb") as fh:
            fh.truncate(HUGE)
    elif kind != "missing":
        path.write_bytes({"binary": BINARY, "non-utf8": NON_UTF8, "empty": b""}[kind])
    return path


ALL = ("missing", "directory", "fifo", "dev-zero", "dev-null", "huge", "binary", "non-utf8", "empty")
VERILOG = tuple(k for k in ALL if k != "non-utf8")  # Verilog sources: non-UTF-8 is a warning, the run goes on
RESUMED = tuple(k for k in ALL if k not in ("missing", "empty"))  # a log that is resumed may be new or empty
TEXT = ("binary", "non-utf8")  # strict text: the error names the byte offset


def _eval(env, out, *extra):
    return ["eval", "verilogeval", "--task", TASK, "--data-dir", env["data"], "--out", out, "--limit", "1", *extra]


def _spec2rtl(env, out, *extra, model=None):
    return ["spec2rtl", "A module named adder: s = a.", "--model", model or env["good_model"], "--out", out, *extra]


# argument -> (suffix, argv builder (env, path, out), classes that must be refused)
FILE_ARGS = {
    "sim run FILE": (".v", lambda e, p, o: ["sim", "run", p, "--top", "tb"], VERILOG),
    "sim lint FILE": (".v", lambda e, p, o: ["sim", "lint", p], VERILOG),
    "sim run --judge": (".sv", lambda e, p, o: ["sim", "run", COUNTER, "--judge", p, "--top", "tb"], VERILOG),
    "eval --completions": (".jsonl", lambda e, p, o: _eval(e, o, "--completions", p), ALL),
    "eval --model scripted:FILE": (".yaml", lambda e, p, o: _eval(e, o, "--model", f"scripted:{p}"), ALL),
    "spec2rtl SPEC": (".txt", lambda e, p, o: ["spec2rtl", p, "--model", e["good_model"], "--out", o], ALL),
    "spec2rtl --model scripted:FILE": (".yaml", lambda e, p, o: _spec2rtl(e, o, model=f"scripted:{p}"), ALL),
    "spec2rtl --test": (".sv", lambda e, p, o: _spec2rtl(e, o, "--test", p), VERILOG),
    "spec2rtl --cocotb": (".py", lambda e, p, o: _spec2rtl(e, o, "--cocotb", p), ALL),
    "synth qor DESIGN.v": (".v", lambda e, p, o: ["synth", "qor", p], VERILOG),
    "synth optimize DESIGN.aig": (".aig", lambda e, p, o: ["synth", "optimize", p, "--budget", "1"], ALL),
    "synth qor --liberty": (".lib", lambda e, p, o: ["synth", "qor", e["aig"], "--liberty", p], ALL),
    "synth train-prior --log": (".jsonl", lambda e, p, o: ["synth", "train-prior", "--out", o / "p.npz",
                                                           "--log", p], RESUMED),
}
FILE_CASES = [(arg, kind) for arg, (_, _, kinds) in FILE_ARGS.items() for kind in kinds]


@pytest.mark.requires_data
@pytest.mark.parametrize("arg, kind", FILE_CASES, ids=[f"{a}-{k}" for a, k in FILE_CASES])
def test_bad_file_argument(arg, kind, env, tmp_path, capsys):
    suffix, build, _ = FILE_ARGS[arg]
    path = make_bad(kind, suffix, tmp_path / "in")
    out = tmp_path / "out"
    rc, _, err = run(build(env, path, out), capsys)
    line = one_line_error(rc, err)
    assert path.name in line  # names the file
    if kind in TEXT and arg not in ("synth optimize DESIGN.aig", "synth qor --liberty"):
        assert "offset" in line  # and where in it
    assert not (out.exists() and any(p.name != "p.npz" for p in out.iterdir())), "nothing may be written"


def test_read_input_refuses_without_reading(tmp_path):
    from rtlgen.errors import InputError
    from rtlgen.inputs import read_input_bytes, read_input_text

    fifo = make_bad("fifo", "", tmp_path)
    with hang_guard(5), pytest.raises(InputError, match="is a FIFO, not a regular file"):
        read_input_bytes(fifo, "spec", 100)
    with pytest.raises(InputError, match="character device"):
        read_input_bytes("/dev/zero", "spec", 100)
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(InputError, match="more than the 101 bytes allowed|is 101 bytes, more than the 100 bytes"):
        read_input_bytes(tmp_path / "big", "spec", 100)
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert read_input_text(tmp_path / "bom.txt", "spec", 100) == "hello"
    (tmp_path / "u16.txt").write_bytes("hi".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read_input_text(tmp_path / "u16.txt", "spec", 100)
    (tmp_path / "bad.txt").write_bytes(NON_UTF8)
    with pytest.raises(InputError, match=r"byte 0xe9 at offset 6"):
        read_input_text(tmp_path / "bad.txt", "spec", 100)


@pytest.mark.requires_data
@pytest.mark.parametrize("argv", [
    ["sim", "lint", "{fifo}.v"],
    ["eval", "verilogeval", "--task", TASK, "--completions", "{fifo}.jsonl", "--data-dir", "{data}", "--limit", "1",
     "--out", "{tmp}/o"],
    ["spec2rtl", "{fifo}.txt", "--model", "{model}", "--out", "{tmp}/o"],
    ["synth", "qor", "{fifo}.aig"],
], ids=["sim-lint", "eval-completions", "spec2rtl-spec", "synth-qor"])
def test_fifo_does_not_hang_subprocess(argv, env, tmp_path):
    for suffix in (".v", ".jsonl", ".txt", ".aig"):
        os.mkfifo(tmp_path / f"fifo{suffix}")
    values = {"fifo": tmp_path / "fifo", "data": env["data"], "model": env["good_model"], "tmp": tmp_path}
    cmd = [sys.executable, "-m", "rtlgen.cli.main", *(a.format(**values) for a in argv)]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert time.monotonic() - t0 < 10
    assert "FIFO" in one_line_error(proc.returncode, proc.stderr)


# -- numbers -------------------------------------------------------------------------------------
NUMBERS = [
    (["sim", "run", "x.v", "--top", "tb", "--timeout", v], "--timeout") for v in ("nan", "inf", "-1", "0", "1e9")
] + [
    (["eval", "verilogeval", "--task", TASK, "--model", "golden", opt, v], opt)
    for opt, values in {"--samples": ("0", "-1", "1000000000"), "--shots": ("-1", "5"), "--jobs": ("0", "999999"),
                        "--limit": ("0", "-5", "10000000000000")}.items() for v in values
] + [
    (["synth", "optimize", "d.aig", opt, v], opt)
    for opt, values in {"--budget": ("0", "-1", "1000000000000"), "--length": ("0", "1000"),
                        "--seed": ("-1", str(2**40))}.items() for v in values
] + [
    (["synth", "qor", "d.aig", "--recipe", "resyn2x1000000000"], "--recipe"),
    (["synth", "train-prior", "--out", "p.npz", "--per-design", "0"], "--per-design"),
    (["synth", "train-prior", "--out", "p.npz", "--workers", "100000"], "--workers"),
    (["synth", "train-prior", "--out", "p.npz", "--max-ands", "-1"], "--max-ands"),
] + [
    (["spec2rtl", "spec", "--model", "scripted:x.yaml", opt, v], opt)
    for opt, values in {"--rounds": ("0", "1000000000"), "--samples": ("0", "-2"),
                        "--temperature": ("nan", "inf", "-1", "3"), "--max-new-tokens": ("0", "10000000000000"),
                        "--seed": ("-1",)}.items() for v in values
]


@pytest.mark.parametrize("argv, option", NUMBERS, ids=[" ".join(a[-2:]) for a, _ in NUMBERS])
def test_bad_number(argv, option, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run(argv, capsys)
    line = one_line_error(rc, err)
    assert option in line
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


def test_usage_errors_are_one_line(capsys):
    for argv in (["doctor", "--bogus"], ["sim", "run", "x.v", "--timeout", "abc", "--top", "t"],
                 ["eval", "verilogeval"], ["synth", "optimize", "d.aig", "--budget", "1e999"]):
        rc, _, err = run(argv, capsys)
        assert "--help" in one_line_error(rc, err)


# -- model specs ---------------------------------------------------------------------------------
@pytest.fixture
def not_models(tmp_path):
    empty_dir = tmp_path / "no-config"
    empty_dir.mkdir()
    bad_config = tmp_path / "bad-config"
    bad_config.mkdir()
    (bad_config / "config.json").write_bytes(BINARY)
    fifo_inside = tmp_path / "fifo-inside"
    fifo_inside.mkdir()
    (fifo_inside / "config.json").write_text("{}")
    os.mkfifo(fifo_inside / "model.safetensors")
    not_yaml = tmp_path / "not.yaml"
    not_yaml.write_text("responses: [unclosed\n  - x: {")
    shape = tmp_path / "shape.yaml"
    shape.write_text("responses: 3\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("- module a; endmodule\n- {a: 1}\n")
    return ["hf:/etc", "hf:/dev/null", f"hf:{empty_dir}", f"hf:{bad_config}", f"hf:{fifo_inside}", "hf:not a/hub id",
            "hf:", f"hf:{empty_dir}?batch_size=nan", f"scripted:{not_yaml}", f"scripted:{shape}", f"scripted:{mapping}",
            "openai:m@http://", "openai:m@http://h:99999/v1", "openai:m@http://a b/v1", "openai:m",
            "openai:m@http://127.0.0.1:9/v1?timeout=inf", "openai:m@http://127.0.0.1:9/v1?concurrency=0",
            "openai:m@http://127.0.0.1:9/v1?retries=1e9", "nosuch:x"]


@pytest.mark.requires_data
@pytest.mark.parametrize("command", ["eval", "spec2rtl"])
def test_model_spec_that_is_not_a_model(command, not_models, env, tmp_path, capsys):
    for spec in not_models:
        out = tmp_path / "out"
        argv = _eval(env, out, "--model", spec) if command == "eval" else _spec2rtl(env, out, model=spec)
        rc, _, err = run(argv, capsys)
        one_line_error(rc, err)
        assert not out.exists(), f"{spec}: refused only after creating {out}"


# -- output locations ----------------------------------------------------------------------------
@pytest.fixture
def bad_outs(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n")
    return {"existing file": a_file, "under a file": a_file / "sub", "unwritable": Path("/proc/rtlgen-no/out")}


@pytest.mark.requires_data
@pytest.mark.parametrize("where", ["existing file", "under a file", "unwritable"])
def test_bad_out(where, bad_outs, env, capsys):
    out = bad_outs[where]
    cases = [_eval(env, out, "--model", "golden"), _spec2rtl(env, out),
             ["data", "fetch", "verilogeval", "--dest", out],
             ["synth", "train-prior", "--out", out if where == "existing file" else out / "p.npz"]]
    for argv in cases:
        rc, _, err = run(argv, capsys)
        line = one_line_error(rc, err)
        assert str(out) in line or str(out.parent) in line, argv
    assert bad_outs["existing file"].read_text() == "keep me\n"


def test_fetch_refuses_to_replace_a_folder_that_is_not_a_copy(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("work\n")
    rc, _, err = run(["data", "fetch", "verilogeval", "--dest", tmp_path], capsys)
    assert "not a VerilogEval copy" in one_line_error(rc, err)
    assert (tmp_path / "mine.txt").read_text() == "work\n"


def test_train_prior_out_must_be_npz_and_train_dir_sane(tmp_path, capsys):
    rc, _, err = run(["synth", "train-prior", "--out", tmp_path / "prior"], capsys)
    assert ".npz" in one_line_error(rc, err)
    train = tmp_path / "train"
    train.mkdir()
    (train / "a.aig").write_bytes(b"aig 1 2\n")
    rc, _, err = run(["synth", "train-prior", "--out", tmp_path / "p.npz", "--train-dir", train], capsys)
    assert "a.aig" in one_line_error(rc, err)
    (train / "a.aig").unlink()
    os.mkfifo(train / "b.aig")
    rc, _, err = run(["synth", "train-prior", "--out", tmp_path / "p.npz", "--train-dir", train], capsys)
    assert "FIFO" in one_line_error(rc, err)


@pytest.mark.requires_data
def test_spec2rtl_out_file_in_the_way(env, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "result.json").mkdir(parents=True)
    rc, _, err = run(_spec2rtl(env, out), capsys)
    assert "result.json" in one_line_error(rc, err)


@pytest.mark.requires_data
def test_spec2rtl_testbench_without_a_module(env, tmp_path, capsys):
    """A file that is no testbench (here: a password file) is refused before the model is asked anything."""
    tb = tmp_path / "passwd"
    tb.write_text("root:x:0:0:root:/root:/bin/bash\n")
    rc, _, err = run(_spec2rtl(env, tmp_path / "o", "--test", tb), capsys)
    assert "defines no module" in one_line_error(rc, err)
    assert not (tmp_path / "o").exists()


# -- names with spaces ---------------------------------------------------------------------------
@pytest.mark.requires_data
def test_names_with_spaces(env, tmp_path, capsys):
    comp = tmp_path / "my completions.jsonl"
    comp.write_text(json.dumps({"task_id": "Prob001 zero", "completion": "x"}) + "\n")
    cocotb = tmp_path / "my test.py"
    cocotb.write_text("import cocotb\n")
    cases = {
        "--top": ["sim", "run", "x.v", "--top", "my top"],
        "--design-top": ["sim", "run", "x.v", "--top", "tb", "--judge", "tb.sv", "--design-top", "my dut"],
        "unknown task": ["eval", "verilogeval", "--task", "verilogeval v2", "--model", "golden"],
        "--problems": ["eval", "verilogeval", "--task", TASK, "--model", "golden", "--problems", "Prob001 zero"],
        "Prob001 zero": _eval(env, tmp_path / "o", "--completions", comp),
        "--cocotb": _spec2rtl(env, tmp_path / "o", "--cocotb", cocotb),
        "synth --top": ["synth", "qor", env["aig"], "--top", "a b"],
        "unknown dataset": ["data", "fetch", "verilog eval"],
    }
    for expected, argv in cases.items():
        rc, _, err = run(argv, capsys)
        line = one_line_error(rc, err)
        assert expected.split()[-1] in line, (expected, line)


def test_spec_file_with_spaces_is_read(tmp_path):
    from rtlgen.cli.spec2rtl import _read_spec
    from rtlgen.errors import InputError

    spec = tmp_path / "my spec.txt"
    spec.write_text("A module named adder.\n")
    assert _read_spec(str(spec)) == "A module named adder.\n"
    assert _read_spec("A module named adder adding a and b") == "A module named adder adding a and b"
    with pytest.raises(InputError, match="not found"):
        _read_spec(str(tmp_path / "typo.txt"))


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_verilog_file_name_with_spaces_works(tmp_path, capsys):
    f = tmp_path / "my design.v"
    f.write_text("module tb; initial begin $display(\"ok\"); $finish; end endmodule\n")
    rc, out, err = run(["sim", "run", f, "--top", "tb"], capsys)
    assert rc == 0 and "ok" in out and "Traceback" not in err


# -- --limit with a whole-task completions file --------------------------------------------------
@pytest.mark.requires_data
def test_load_completions_ignores_rows_outside_the_selection(env, tmp_path):
    from rtlgen.errors import InputError
    from rtlgen.evals.registry import get_task
    from rtlgen.evals.runner import load_completions

    ids = [p.task_id for p in get_task(TASK).load(env["data"])]
    path = tmp_path / "all.jsonl"
    path.write_text("".join(json.dumps({"task_id": t, "completion": "x"}) + "\n" for t in ids))
    notes: list[str] = []
    got = load_completions(str(path), set(ids[:1]), set(ids), note=notes.append)
    assert list(got) == ids[:1] and len(notes) == 1 and f"{len(ids) - 1} row(s)" in notes[0]
    with path.open("a") as fh:
        fh.write(json.dumps({"task_id": "Prob999_nope", "completion": "x"}) + "\n")
    with pytest.raises(InputError, match=rf"all.jsonl:{len(ids) + 1}: unknown task_id 'Prob999_nope'"):
        load_completions(str(path), set(ids[:1]), set(ids))


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_limit_with_whole_task_completions(env, tmp_path, capsys):
    from rtlgen.evals.registry import get_task

    ids = [p.task_id for p in get_task(TASK).load(env["data"])]
    path = tmp_path / "all.jsonl"
    path.write_text("".join(json.dumps({"task_id": t, "completion": "garbage"}) + "\n" for t in ids))
    rc, out, err = run(_eval(env, tmp_path / "o", "--completions", path, "--json"), capsys)
    assert rc == 0, err
    assert err.count(f"{len(ids) - 1} row(s)") == 1 and "Traceback" not in err
    assert json.loads(out.strip().splitlines()[-1])["problems"] == 1


# -- two runs into one --out ---------------------------------------------------------------------
@pytest.mark.requires_data
def test_second_concurrent_eval_into_same_out_is_refused(env, tmp_path, capsys):
    """The first run waits on a model server that never answers; the second, into the same --out, is refused."""
    from rtlgen.outdir import LOCK_NAME

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connections queue in the backlog and are never answered
    port = server.getsockname()[1]
    out = tmp_path / "out"
    model = f"openai:m@http://127.0.0.1:{port}/v1?timeout=60&retries=0"
    first = subprocess.Popen([sys.executable, "-m", "rtlgen.cli.main", *map(str, _eval(env, out, "--model", model))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                             start_new_session=True)
    try:
        lock = out / LOCK_NAME
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.1)
        assert lock.read_text().strip() == str(first.pid)
        rc, _, err = run(_eval(env, out, "--model", model), capsys)
        line = one_line_error(rc, err)
        assert str(out) in line and f"pid {first.pid}" in line
        rc, _, err = run(_spec2rtl(env, out), capsys)  # spec2rtl takes the same lock
        assert f"pid {first.pid}" in one_line_error(rc, err)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        server.close()
    assert not (out / "results.jsonl").exists()


def test_lock_is_released_and_a_fresh_failed_dir_removed(tmp_path):
    from rtlgen.errors import InputError
    from rtlgen.outdir import locked_out_dir

    out = tmp_path / "a" / "b"
    with pytest.raises(InputError, match="boom"), locked_out_dir(out):
        raise InputError("boom")
    assert not (tmp_path / "a").exists()
    with locked_out_dir(out):
        (out / "kept").write_text("x")
        with pytest.raises(InputError, match=r"in use by another rtlgen run \(pid \d+\)"), locked_out_dir(out):
            pass
    with locked_out_dir(out):
        pass
    assert (out / "kept").exists()


# -- doctor --------------------------------------------------------------------------------------
def test_doctor_runs_and_refuses_unknown_options(capsys):
    rc, out, err = run(["doctor", "--json"], capsys)
    assert rc == 0 and "tools" in json.loads(out)
    rc, _, err = run(["doctor", "extra"], capsys)
    one_line_error(rc, err)
