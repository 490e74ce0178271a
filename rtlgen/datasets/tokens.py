"""A normalised token stream of Verilog text, shared by dedup and decontamination.

    toks = tokens(code)          # comments and whitespace gone; identifiers, numbers, operators, strings
    canonical(toks)              # identifiers renamed by first use ($0, $1, ...): blind to consistent renaming
    blind(toks)                  # every identifier is "$": blind to any renaming
    fingerprint(toks)            # sha256 of the stream: the exact-duplicate key

The lexer is one regular expression without nested quantifiers, so it runs in linear time on any
text; callers cap the text first (``max_chars``), so a hostile file cannot make it slow.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

MAX_CHARS = 2_000_000  # more is never a design (ingest caps files at 1 MB); the rest is ignored

_LEXER = re.compile(r"""
    (?P<ws>\s+)
  | (?P<line>//[^\n]*)
  | (?P<block>/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))
  | (?P<str>"(?:[^"\\\n]|\\.)*"?)
  | (?P<num>(?:\d[\d_]*)?'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ?_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[munpf]?s)?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_$]*|\\\S+)
  | (?P<sys>\$[A-Za-z0-9_$]+)
  | (?P<dir>`[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<<|>>>|===|!==|<<=|>>=|<->|->|<=|>=|==|!=|&&|\|\||<<|>>|\*\*|\+:|-:|::|\+\+|--|~&|~\||~\^|\^~|.)
""", re.VERBOSE | re.DOTALL)

# IEEE 1800-2017 keywords that appear in RTL; anything else that lexes as an identifier is a name.
KEYWORDS = frozenset("""
always always_comb always_ff always_latch and assign assert assume automatic begin bit break buf bufif0 bufif1 byte
case casex casez cmos const continue cover default defparam disable do edge else end endcase endfunction
endgenerate endinterface endmodule endpackage endprimitive endtask enum export extern final for force forever fork
function generate genvar highz0 highz1 if iff ifnone import initial inout input int integer interface join join_any
join_none localparam logic longint macromodule modport module nand negedge nmos nor not notif0 notif1 or output
package packed parameter pmos posedge primitive priority pull0 pull1 pulldown pullup rcmos real realtime reg release
repeat return rnmos rpmos rtran rtranif0 rtranif1 scalared shortint shortreal signed small specify specparam static
string strong0 strong1 struct supply0 supply1 task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type
typedef union unique unique0 unsigned var vectored void wait wand weak0 weak1 while wire wor xnor xor
""".split())


def tokens(text: str, *, max_chars: int = MAX_CHARS) -> list[str]:
    """Tokens of ``text[:max_chars]`` with comments and whitespace removed."""
    out: list[str] = []
    append = out.append
    for m in _LEXER.finditer(text[:max_chars]):
        kind = m.lastgroup
        if kind in ("ws", "line", "block"):
            continue
        append(m.group())
    return out


def is_name(tok: str) -> bool:
    """An identifier that is not a keyword (a module, signal, parameter or instance name)."""
    return (tok[0].isalpha() or tok[0] in "_\\") and tok not in KEYWORDS


def canonical(toks: Iterable[str]) -> list[str]:
    """Names replaced by ``$n`` in order of first use: two texts that differ only by a consistent renaming
    of signals, modules and parameters have the same canonical stream."""
    names: dict[str, str] = {}
    out = []
    for t in toks:
        if is_name(t):
            t = names.setdefault(t, f"${len(names)}")
        out.append(t)
    return out


def blind(toks: Iterable[str]) -> list[str]:
    """Every name replaced by ``$``: blind to any renaming, position independent (for n-grams)."""
    return ["$" if is_name(t) else t for t in toks]


def from_module(toks: Sequence[str]) -> Sequence[str]:
    """The stream from the first ``module`` keyword on (drops a preamble of directives and defines)."""
    for i, t in enumerate(toks):
        if t in ("module", "macromodule"):
            return toks[i:]
    return toks


def fingerprint(toks: Iterable[str]) -> str:
    """Content key of a token stream (comment- and whitespace-insensitive)."""
    h = hashlib.sha256()
    for t in toks:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def ngrams(toks: Sequence[str], n: int) -> set[tuple[str, ...]]:
    """Distinct ``n``-grams of ``toks`` (one gram of everything when shorter than ``n``)."""
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str, *, max_chars: int = MAX_CHARS) -> list[str]:
    """Lower-case words of prose (descriptions, benchmark prompts)."""
    return _WORD.findall(text[:max_chars].lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): O(len(a) * len(b) / wordsize)
    big-integer steps; callers bound both lengths."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    masks: dict[str, int] = {}
    for i, t in enumerate(b):
        masks[t] = masks.get(t, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for t in a:
        m = masks.get(t)
        if m is None:
            continue
        u = v & m
        v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """Rouge-L F1 between two token streams (LCS-based precision and recall)."""
    lcs = lcs_length(candidate, reference)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(candidate), lcs / len(reference)
    return 2 * p * r / (p + r)
