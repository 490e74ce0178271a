"""Entry point of the ``rtlgen`` console script.

Each command group lives in its own module and adds itself with ``register(app)``; heavy imports
(torch, transformers) stay inside the command functions so ``rtlgen --help`` is fast. Only this
module turns ``RtlgenError`` into an exit code and a one-line message.
"""

from __future__ import annotations

import functools
import importlib
import sys

import typer

from rtlgen.errors import RtlgenError

app = typer.Typer(help="LLM-driven hardware design with sandboxed EDA tools.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)



@app.callback()
def _root() -> None:
    """LLM-driven hardware design with sandboxed EDA tools."""


COMMAND_MODULES = ("doctor", "sim", "eval", "data", "synth", "spec2rtl", "train", "serve")


@functools.cache  # once per process: main() is called many times in-process by the tests
def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"rtlgen.cli.{name}")
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    _register_all()
    try:
        rc = app(args=argv, standalone_mode=False)
    except RtlgenError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print("rtlgen: interrupted; finished results were kept", file=sys.stderr)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except OSError as exc:  # the machine, not the input: a full disk, a vanished folder
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        _error(f"{exc.strerror or exc}{where}")
        return 1
    except Exception as exc:  # usage errors arrive as exceptions in non-standalone mode
        if type(exc).__name__ == "NoArgsIsHelpError" and hasattr(exc, "show"):
            exc.show()  # `rtlgen sim` alone: the help text, as --help prints it
            return int(exc.exit_code)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            ctx = getattr(exc, "ctx", None)
            _error(exc.format_message() + (f" (see '{ctx.command_path} --help')" if ctx is not None else ""))
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            return 1
        raise
    return rc if isinstance(rc, int) else 0


def _error(message: str) -> None:
    """One line on stderr whatever the message holds (a path with a newline, a parser's multi-line text)."""
    print("rtlgen: error: " + " ".join(message[:4000].split()), file=sys.stderr)  # split(): linear, no regex


if __name__ == "__main__":
    sys.exit(main())
