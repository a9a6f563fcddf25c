"""Edit-distance metrics and the charset."""
import pytest

from ocr_jax import charset as charset_lib
from ocr_jax import metrics


@pytest.mark.parametrize("ref,hyp,dist", [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0),
    ("flaw", "lawn", 2), (["a", "b"], ["b"], 1)])
def test_edit_distance(ref, hyp, dist):
  assert metrics.edit_distance(ref, hyp) == dist


def test_cer_wer_accuracy():
  refs = ["the cat", "a dog"]
  hyps = ["the bat", "a dog"]
  assert metrics.cer(refs, hyps) == pytest.approx(1 / 12)
  assert metrics.wer(refs, hyps) == pytest.approx(1 / 4)
  assert metrics.sequence_accuracy(refs, hyps) == 0.5


def test_charset_roundtrip_and_unknown_symbol():
  cs = charset_lib.get_charset("printable_ascii")
  assert cs.num_classes == 96
  text = "Hello, World! 0123 ~{}|"
  ids = cs.encode(text)
  assert 0 not in ids and cs.decode(ids) == text
  with pytest.raises(charset_lib.UnknownSymbolError, match=r"'é' at position 4"):
    cs.encode("caf e\u0301".replace("e\u0301", "\u00e9"))
  assert charset_lib.Charset.from_json(cs.to_json()) == cs


def test_token_charset():
  cs = charset_lib.Charset(("clef-G2", "note-C4_quarter", "barline"), separator=" ")
  ids = cs.encode("clef-G2 note-C4_quarter barline")
  assert ids == [1, 2, 3]
  assert cs.decode(ids) == "clef-G2 note-C4_quarter barline"
  with pytest.raises(charset_lib.UnknownSymbolError, match="'note-Z9' at position 1"):
    cs.encode("clef-G2 note-Z9")


def test_spelled_numbers_are_read_digit_by_digit():
  cs = charset_lib.get_charset("primus_semantic_spelled")
  assert not any(s.startswith("multirest-") and s != "multirest-" for s in cs.symbols)
  text = "clef-G2 multirest-12 barline multirest-107 note-C4_quarter"
  ids = cs.encode(text)
  assert [cs.decode_one(i) for i in ids[1:4]] == ["multirest-", "1", "2"]
  assert cs.decode(ids) == text
  assert cs.decode(cs.encode("multirest-61")) == "multirest-61"  # a count PrIMuS never holds
  # Joined tokens carry their least confident part; a lone prefix or stray digits are dropped.
  bar, rest, one, two = (cs.encode(t)[0] for t in ("barline", "multirest-", "1", "2"))
  assert cs.decode_with_confidences([rest, one, two, bar], [0.9, 0.5, 0.8, 0.7]) == (
      "multirest-12 barline", [0.5, 0.7])
  assert cs.decode_with_confidences([two, bar, rest], [0.9, 0.8, 0.7]) == ("barline", [0.8])
  assert cs.unknown_symbols("multirest-x multirest-3 clef-G2 foo") == {"multirest-x", "foo"}
  with pytest.raises(charset_lib.UnknownSymbolError, match="'multirest-1x' at position 0"):
    cs.encode("multirest-1x")
  assert charset_lib.Charset.from_json(cs.to_json()) == cs
  with pytest.raises(ValueError, match="needs the symbols"):
    charset_lib.Charset(("a", "b"), " ", spelled=("a",))
