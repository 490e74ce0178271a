"""User input checked in one place: files read safely, numbers in range.

    data = read_input_bytes(Path("d.aig"), "design", SOURCE_MAX)
    text = read_input_text(Path("spec.txt"), "specification", SPEC_MAX)
    timeout = check_seconds(timeout, "--timeout")

A file argument must be a regular file: a FIFO, device or socket is refused before anything reads it
(it is opened with O_NONBLOCK and checked with fstat, so neither ``open`` nor ``read`` can block and
``/dev/zero`` cannot fill memory), and reading stops at a size cap. Text must be UTF-8 (a leading BOM
is dropped); a NUL byte means binary. Every problem is an ``InputError`` naming the file, the byte
offset where it applies, and the fix.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

from rtlgen.errors import InputError

MiB = 1 << 20
SPEC_MAX = 1 * MiB  # a natural-language specification
TEXT_MAX = 16 * MiB  # testbenches, cocotb tests, model scripts, configs
SOURCE_MAX = 64 * MiB  # Verilog sources and designs
DATA_MAX = 256 * MiB  # JSONL data: completions, generations, results (156 problems x 100 samples fit)
MAX_SECONDS = 86400.0  # one day: longer than any single simulation or request should take

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def _label(what: str, path: os.PathLike | str) -> str:
    return f"{what} {path}" if what else str(path)


def _size(n: int) -> str:
    return f"{n / MiB:g} MiB" if n >= MiB else f"{n} bytes"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse_irregular(path: os.PathLike | str, what: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise InputError(f"{_label(what, path)} is {_kind(mode)}, not a regular file; pass a file")


def check_input_file(path: os.PathLike | str, what: str, max_bytes: int) -> Path:
    """``path`` if it is an existing regular file of at most ``max_bytes``; for files a library reads later."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"cannot read {_label(what, path)}: {exc.strerror or exc}") from None
    _refuse_irregular(path, what, st.st_mode)
    if st.st_size > max_bytes:
        raise InputError(f"{_label(what, path)} is {_size(st.st_size)}, more than the {_size(max_bytes)} "
                         "allowed; pass a smaller file")
    return Path(path)


def read_input_bytes(path: os.PathLike | str, what: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is an InputError naming it."""
    check_input_file(path, what, max_bytes)  # refuse a FIFO or device without opening it at all
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot read {_label(what, path)}: {exc.strerror or exc}") from None
    try:
        _refuse_irregular(path, what, os.fstat(fd).st_mode)  # it may have been swapped since the stat
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(MiB, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {_label(what, path)}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise InputError(f"{_label(what, path)} is more than the {_size(max_bytes)} allowed; pass a smaller file")
    return b"".join(chunks)


def binary_offset(data: bytes) -> int | None:
    """Offset of the first NUL byte (text never has one), else None."""
    offset = data.find(b"\0")
    return None if offset < 0 else offset


def decode_text(data: bytes, path: os.PathLike | str, what: str, *, replace: bool = False) -> tuple[str, int | None]:
    """(text, offset of the first invalid UTF-8 byte or None). Binary data is always an InputError; invalid
    UTF-8 is one too unless ``replace`` (then invalid bytes become U+FFFD and the caller warns)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{_label(what, path)} is UTF-16 text; save it as UTF-8")
    nul = binary_offset(data)
    if nul is not None:
        raise InputError(f"{_label(what, path)} is binary (NUL byte at offset {nul}); pass a text file")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        if not replace:
            raise InputError(f"{_label(what, path)} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                             f"{exc.start}); save it as UTF-8") from None
        return data.decode("utf-8", "replace"), exc.start


def read_input_text(path: os.PathLike | str, what: str, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` (see ``decode_text``)."""
    return decode_text(read_input_bytes(path, what, max_bytes), path, what)[0]


# -- numbers ------------------------------------------------------------------------------------
def check_int(value: object, name: str, *, minimum: int = 1, maximum: int) -> int:
    """``value`` if it is an integer in [minimum, maximum]; ``name`` is the option, e.g. ``--samples``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InputError(f"{name} must be an integer from {minimum} to {maximum}, not {value!r}")
    return value


def check_float(value: object, name: str, *, minimum: float, maximum: float, what: str = "a number") -> float:
    """``value`` if it is a finite number in [minimum, maximum] (not nan, not inf)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not minimum <= value <= maximum:
        raise InputError(f"{name} must be {what} from {minimum:g} to {maximum:g}, not {_show(value)}")
    return float(value)


def check_seconds(value: object, name: str, *, maximum: float = MAX_SECONDS) -> float:
    """A positive, finite number of seconds up to ``maximum``."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not 0 < value <= maximum:
        raise InputError(f"{name} must be a positive number of seconds up to {maximum:g}, not {_show(value)}")
    return float(value)


def _show(value: object) -> str:
    return f"'{value:g}'" if isinstance(value, float) else repr(value)
