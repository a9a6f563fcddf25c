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
