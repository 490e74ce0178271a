"""The hardening's renamer: whole words only, the same result by regex (few names) and per word (many)."""

from rtlgen.sim.judge.harden import _FEW_NAMES, _WORD, _renamer

TEXT = """module tb; tb2 u_tb(.tb(tb_x)); RefModule ref(); $display("tb %m"); // tb RefModule_x
tb2 tb_2; xtb tbx tb1 tb;"""


def _per_word(renamed: dict[str, str], text: str) -> str:
    return _WORD.sub(lambda m: renamed.get(m.group(0), m.group(0)), text)


def test_few_names_rename_whole_words_only() -> None:
    renamed = {"tb": "tb_S", "tb2": "tb2_S", "RefModule": "RefModule_S", "u_tb": "u_tb_S"}
    out = _renamer(renamed)(TEXT)
    assert out == _per_word(renamed, TEXT)
    assert "module tb_S;" in out and "tb2_S u_tb_S(.tb_S(tb_x))" in out and "RefModule_x" in out and "xtb tbx tb1 tb_S;" in out


def test_many_names_take_the_linear_path_with_the_same_result() -> None:
    renamed = {f"n{k}": f"n{k}_S" for k in range(_FEW_NAMES + 1)} | {"tb": "tb_S"}
    text = TEXT + " n1 n10 n100 xn1"
    assert _renamer(renamed)(text) == _per_word(renamed, text)
