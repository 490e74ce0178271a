"""Entry point of the ``rtlgen`` console script.

Each command group lives in its own module and adds itself with ``register(app)``; heavy imports
(torch, transformers) stay inside the command functions so ``rtlgen --help`` is fast. Only this
module turns ``RtlgenError`` into an exit code and a one-line message.
"""

from __future__ import annotations

import importlib
import sys

import typer

from rtlgen.errors import RtlgenError

app = typer.Typer(help="LLM-driven hardware design with sandboxed EDA tools.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)



@app.callback()
def _root() -> None:
    """LLM-driven hardware design with sandboxed EDA tools."""


COMMAND_MODULES = ("doctor", "sim", "eval", "data", "synth", "spec2rtl")


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"rtlgen.cli.{name}")
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    _register_all()
    try:
        rc = app(args=argv, standalone_mode=False)
    except RtlgenError as exc:
        print(f"rtlgen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rtlgen: interrupted; finished results were kept", file=sys.stderr)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # usage errors arrive as exceptions in non-standalone mode
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            return 1
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
