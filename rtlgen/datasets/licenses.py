"""SPDX licenses of ingested code: find them (file header, license file), judge them (permissive or not).

    policy = LicensePolicy()                       # permissive only, unknown refused
    verdict = policy.judge("MIT OR Apache-2.0")    # LicenseVerdict.PERMISSIVE
    spdx_from_header(text)                         # "Apache-2.0" from "// SPDX-License-Identifier: Apache-2.0"
    spdx_from_license_text(text)                   # "MIT" from a LICENSE file's words

Expressions are read as SPDX's ``OR`` (any alternative may be chosen) and ``AND`` (all apply);
``WITH`` exceptions keep the base license's class. Only the permissive list below counts as
permissive; everything else that is named is "restricted", and "" is "unknown".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from rtlgen.config import help_

PERMISSIVE = ("MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "0BSD", "Unlicense", "CC0-1.0", "Zlib",
              "BSL-1.0", "CERN-OHL-P-2.0", "MIT-0", "Python-2.0", "PSF-2.0", "BSD-1-Clause", "X11")


class LicenseVerdict(enum.StrEnum):
    PERMISSIVE = "permissive"
    RESTRICTED = "restricted"  # named, but not on the permissive list (GPL, Solderpad, CERN-OHL-S, proprietary)
    UNKNOWN = "unknown"  # no license found


@dataclass(frozen=True)
class LicensePolicy:
    """Which licenses a build accepts; the card prints this policy."""

    permissive: tuple[str, ...] = field(default=PERMISSIVE, metadata=help_(
        "SPDX ids counted as permissive (case-insensitive)"))
    allow_restricted: bool = field(default=False, metadata=help_(
        "keep code under non-permissive licenses (GPL, Solderpad, ...); the card then says so"))
    allow_unknown: bool = field(default=False, metadata=help_(
        "keep code whose license could not be determined; the card then says so"))

    def judge(self, spdx: str) -> LicenseVerdict:
        return classify(spdx, self.permissive)

    def accepts(self, spdx: str) -> bool:
        verdict = self.judge(spdx)
        return verdict is LicenseVerdict.PERMISSIVE or (verdict is LicenseVerdict.RESTRICTED and self.allow_restricted) \
            or (verdict is LicenseVerdict.UNKNOWN and self.allow_unknown)


def classify(spdx: str, permissive: tuple[str, ...] = PERMISSIVE) -> LicenseVerdict:
    """Permissive when some ``OR`` alternative is made only of permissive licenses."""
    expr = " ".join(spdx.replace("(", " ").replace(")", " ").split())
    if not expr or expr.upper() in ("NOASSERTION", "NONE", "UNKNOWN"):
        return LicenseVerdict.UNKNOWN
    allowed = {p.lower() for p in permissive}
    for alternative in re.split(r"\s+OR\s+", expr, flags=re.IGNORECASE):
        parts = [p.split(" WITH ")[0].split(" with ")[0].strip() for p in
                 re.split(r"\s+AND\s+", alternative, flags=re.IGNORECASE)]
        if parts and all(p.lower().removesuffix("+") in allowed for p in parts):
            return LicenseVerdict.PERMISSIVE
    return LicenseVerdict.RESTRICTED


_SPDX_TAG = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(?:\*/|-->|$)", re.MULTILINE)
_HEADER_CHARS = 8192  # license headers sit at the top of a file


def spdx_from_header(text: str) -> str:
    """The file's own ``SPDX-License-Identifier`` tag, or ""."""
    m = _SPDX_TAG.search(text[:_HEADER_CHARS])
    return " ".join(m.group(1).split()) if m else ""


# (SPDX id, phrases that must all appear), most specific first; texts are squeezed to single spaces, lower case
_TEXT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license",)),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license",)),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license",)),
    ("SHL-0.51", ("solderpad hardware license",)),
    ("CERN-OHL-S-2.0", ("cern open hardware licence", "strongly reciprocal")),
    ("CERN-OHL-W-2.0", ("cern open hardware licence", "weakly reciprocal")),
    ("CERN-OHL-P-2.0", ("cern open hardware licence", "permissive")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
)


def spdx_from_license_text(text: str) -> str:
    """The SPDX id a LICENSE/COPYING file's text reads as, or ""; two licenses one after the other
    (dual-licensed projects) read as ``A OR B``."""
    squeezed = " ".join(text[:200_000].lower().split())
    found = [spdx for spdx, phrases in _TEXT_RULES if all(p in squeezed for p in phrases)]
    # a later, more general rule repeats an earlier family (GPL-3.0 text also matches GPL-2.0's phrase)
    families: list[str] = []
    for spdx in found:
        family = spdx.split("-")[0].removeprefix("L").removeprefix("A")
        if all(f.split("-")[0].removeprefix("L").removeprefix("A") != family for f in families):
            families.append(spdx)
    return " OR ".join(families)


LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt", "LICENSE-MIT",
                 "LICENSE-APACHE")
