# rtlgen: `make demo` and `make test` set everything up on a fresh Debian 12 machine, then run.
# Set-up steps are idempotent: apt packages only when a tool is missing, the venv only when
# pyproject.toml changed.

VENV      ?= .venv
PY        := $(VENV)/bin/python
RTLGEN    := $(VENV)/bin/rtlgen
SHARED    ?= $(abspath ../shared)
APT_PKGS  := iverilog verilator yosys bubblewrap ccache util-linux python3-venv g++ make
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=

export RTLGEN_SHARED := $(SHARED)

.PHONY: setup tools venv demo test ray-test train-proof lint bench clean

setup: tools venv

tools:
	@missing=; for t in iverilog vvp verilator yosys yosys-abc bwrap ccache prlimit setpriv g++; do \
	  command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing EDA tools (missing:$$missing)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first: the local CPU wheel; an unconstrained torch would pull a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[sim,train,data,service,ray,dev]'
	touch $@

demo: setup
	$(RTLGEN) doctor
	$(RTLGEN) sim run rtlgen/sim/examples/counter.v rtlgen/sim/examples/counter_tb.v --top counter_tb
	$(RTLGEN) eval verilogeval --task verilogeval-v2-spec-to-rtl --model golden --mode strict \
	  --data-dir $(SHARED)/verilog-eval --out runs/demo-golden-strict

# pytest exits 5 when it collected no test: that is a failure here, said in words.
test: setup
	@$(PY) -m pytest -q -m "not cluster" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# heavy checks, each run before a release, never by `make test` (CI time)
ray-test: setup
	$(PY) -m pytest -q -m cluster tests/test_ray_executor.py

train-proof: setup
	$(PY) benchmarks/train_proof.py --out benchmarks/results/train_proof

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/sandbox_overhead.py
	$(PY) benchmarks/verilogeval_throughput.py
	$(PY) benchmarks/judge_cost.py --data-dir $(SHARED)/verilog-eval
	$(PY) benchmarks/rtllm_golden.py --data-dir $(SHARED)/rtllm
	$(PY) benchmarks/synth_recipes.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
include docker/compose.mk
