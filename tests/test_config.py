"""The one config loader and the one registry type."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import pytest

from rtlgen.config import describe, help_, load_config, write_resolved
from rtlgen.errors import InputError
from rtlgen.registry import Registry


class Loss(enum.StrEnum):
    GRPO = "grpo"
    DAPO = "dapo"


@dataclass(frozen=True)
class Lora:
    r: int = field(default=8, metadata=help_("adapter rank"))
    targets: tuple[str, ...] = field(default=("q_proj",), metadata=help_("modules to adapt"))


@dataclass(frozen=True)
class Cfg:
    lr: float = field(default=1e-4, metadata=help_("learning rate"))
    loss: Loss = field(default=Loss.GRPO, metadata=help_("loss type"))
    lora: Lora = field(default_factory=Lora, metadata=help_("adapter"))
    out: str | None = field(default=None, metadata=help_("output dir"))
    steps: int = field(default=10, metadata=help_("optimizer steps"))


def test_defaults_then_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-3\nlora: {r: 4}\nloss: dapo\n")
    cfg = load_config(Cfg, path, overrides=["lora.r=16", "out=runs/x"])
    assert cfg == Cfg(lr=1e-3, loss=Loss.DAPO, lora=Lora(r=16), out="runs/x")
    resolved = write_resolved(cfg, tmp_path / "out" / "config.yaml")
    assert load_config(Cfg, resolved) == cfg


@pytest.mark.parametrize("yaml_text,overrides,needle", [
    ("lrr: 1\n", [], "unknown config key 'lrr'; did you mean 'lr'?"),
    ("", ["lora.rank=3"], "unknown config key 'lora.rank'"),
    ("steps: ten\n", [], "'steps' must be an integer"),
    ("steps: 1.5\n", [], "'steps' must be an integer"),
    ("loss: ppo\n", [], "'loss' cannot be 'ppo'"),
    ("lora: 3\n", [], "lora must be a mapping"),
    ("lora: {targets: q_proj}\n", [], "must be a list"),
    ("- a\n- b\n", [], "must be a YAML mapping"),
    ("a: [\n", [], "not valid YAML"),
    ("", ["novalue"], "key=value"),
    ("lr: .nan\n", [], "'lr' must be a finite number"),
    ("", ["lr=inf"], "'lr' must be a finite number"),
    ("", ["lr=1e400"], "'lr' must be a finite number"),
    ("steps: [" + ", ".join(["1"] * 5000) + "]\n", [], "must be an integer, not [1, 1, 1"),
    ("out: &a [*a]\n", [], "expands to more than"),
    ("out: " + "[" * 50_000 + "\n", [], "nests too deeply"),
    ("".join(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}" if i else "lol"] * 10) + "]\n" for i in range(9))
     + "out: *x8\n", [], "expands to more than 200,000 values"),
])
def test_bad_configs_are_one_line_errors(tmp_path, yaml_text, overrides, needle):
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text)
    with pytest.raises(InputError) as err:
        load_config(Cfg, path, overrides=overrides)
    assert needle in str(err.value) and "\n" not in str(err.value) and len(str(err.value)) < 400


def test_missing_and_binary_config_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_config(Cfg, tmp_path / "nope.yaml")
    (tmp_path / "b.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        load_config(Cfg, tmp_path / "b.yaml")


def test_every_field_has_help():
    rows = describe(Cfg)
    assert ("lora.r", 8, "adapter rank") in rows and all(h for _, _, h in rows)


class Base:
    pass


class Impl(Base):
    pass


def test_registry_lazy_targets_base_check_and_did_you_mean():
    reg: Registry[type[Base]] = Registry("widget", {"impl": f"{__name__}:Impl"}, base=Base)
    reg.add("bad", "builtins:int")
    assert reg.get("impl") is Impl and list(reg) == ["impl", "bad"]
    with pytest.raises(TypeError, match="is not a Base"):
        reg.get("bad")
    with pytest.raises(InputError, match="did you mean 'impl'"):
        reg.get("impl2")
    with pytest.raises(ValueError):
        reg.add("impl", Impl)


def test_the_projects_registries_are_one_type():
    from rtlgen.evals.registry import TASKS
    from rtlgen.llm.registry import SCHEMES
    from rtlgen.sandbox.core import EXECUTORS
    from rtlgen.sim.base import SIMULATORS
    from rtlgen.synth.search import METHODS

    for reg in (TASKS, SCHEMES, EXECUTORS, SIMULATORS, METHODS):
        assert isinstance(reg, Registry)


@pytest.mark.requires_data
@pytest.mark.requires_iverilog
def test_eval_reads_a_config_file_and_flags_win(tmp_path, shared, capsys):
    import json

    from rtlgen.cli.main import main

    cfg = tmp_path / "eval.yaml"
    cfg.write_text(f"task: verilogeval-v2-spec-to-rtl\nmodel: golden\nmode: official\nlimit: 3\n"
                   f"data_dir: {shared / 'verilog-eval'}\nprogress: false\n")
    out = tmp_path / "run"
    rc = main(["eval", "verilogeval", "--config", str(cfg), "--mode", "strict", "--set", "limit=2", "--out", str(out),
               "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0 and summary["mode"] == "strict" and summary["problems"] == 2
    cfg.write_text("task: verilogeval-v2-spec-to-rtl\nmodel: golden\nlimt: 3\n")
    assert main(["eval", "verilogeval", "--config", str(cfg)]) == 2
    assert "unknown config key 'limt'; did you mean 'limit'?" in capsys.readouterr().err
