"""ABC recipes: the seven ABC-RL actions, resyn2, and parsing of user recipes.

A recipe is a tuple of ABC command strings applied to a strashed AIG. User recipes are checked
against a list of known optimisation commands, because the text goes to a long-lived ABC process
whose request protocol a stray ``quit`` or ``echo`` would break.
"""

from __future__ import annotations

import re

from rtlgen.errors import InputError

# ABC-RL's action space (Chowdhury et al., ICLR 2024), indexed 0..6 everywhere in rtlgen.synth.
ACTIONS: tuple[str, ...] = ("rewrite", "rewrite -z", "refactor", "refactor -z", "resub", "resub -z", "balance")
# ABC's abc.rc alias: b; rw; rf; b; rw; rwz; b; rfz; rwz; b
RESYN2: tuple[str, ...] = ("balance", "rewrite", "refactor", "balance", "rewrite", "rewrite -z", "balance",
                           "refactor -z", "rewrite -z", "balance")
DEFAULT_LENGTH = 10  # ABC-RL's recipe length; 20 is OpenABC-D's and BOiLS'
_ALIASES = {"b": "balance", "rw": "rewrite", "rwz": "rewrite -z", "rf": "refactor", "rfz": "refactor -z",
            "rs": "resub", "rsz": "resub -z"}
_ALLOWED = {"balance", "rewrite", "refactor", "resub", "dc2", "drw", "drf", "dch", "irw", "irws", "fraig",
            "strash", "ifraig", "dfraig"}  # each one this ABC (Yosys 0.23's yosys-abc) runs on a strashed AIG
_COMMAND = re.compile(r"^([a-z_0-9]+)((?:\s+-[A-Za-z]+(?:\s+\d+)?)*)$")


def parse_recipe(text: str) -> tuple[str, ...]:
    """``"resyn2"``, ``"none"``, ``"resyn2x3"`` or ``"cmd; cmd; ..."`` -> tuple of ABC commands."""
    text = text.strip()
    if text in ("", "none"):
        return ()
    m = re.fullmatch(r"resyn2(?:x(\d+))?", text)
    if m:
        return RESYN2 * int(m.group(1) or 1)
    commands = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        part = _ALIASES.get(part, part)
        match = _COMMAND.match(part)
        if not match or match.group(1) not in _ALLOWED:
            raise InputError(f"recipe command {part!r} is not an allowed ABC optimisation; use e.g. "
                             f"'balance; rewrite -z' or resyn2 (allowed: {', '.join(sorted(_ALLOWED))})")
        commands.append(" ".join(part.split()))
    return tuple(commands)


def to_actions(recipe: tuple[str, ...]) -> list[int] | None:
    """Action indices of a recipe made only of ABC-RL actions, else None."""
    try:
        return [ACTIONS.index(c) for c in recipe]
    except ValueError:
        return None


def from_actions(actions) -> tuple[str, ...]:
    return tuple(ACTIONS[int(a)] for a in actions)
