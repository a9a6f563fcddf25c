"""Music tokens -> notes -> MIDI, without a model: the parser's errors, the timing rules,
and a round trip on the real PrIMuS example checked against its MEI source."""
import collections
import json
import os
import xml.etree.ElementTree as ET
from fractions import Fraction

import mido
import numpy as np
import pytest

from conftest import REPO, launch_script
from ocr_jax import music
from ocr_jax.omr import events
from ocr_jax.omr import midi
from ocr_jax.omr import synth
from ocr_jax.omr import tokens

EXAMPLE = os.path.join(REPO, "tests", "data", "primus", "000051652-1_2_1")


def _mei_notes(path):
  """(MIDI pitch, onset in quarters) from an MEI file, read independently of our parser:
  written pitch + key signature (flats/sharps) + explicit accidentals."""
  ns = {"m": "http://www.music-encoding.org/ns/mei"}
  root = ET.parse(path).getroot()
  sig = root.find(".//m:scoreDef", ns).get("key.sig")
  order_flats, order_sharps = "beadgcf", "fcgdaeb"
  count, kind = int(sig[:-1]), sig[-1]
  altered = {p: (-1 if kind == "f" else 1) for p in
             (order_flats if kind == "f" else order_sharps)[:count]}
  bar = Fraction(4 * int(root.find(".//m:scoreDef", ns).get("meter.count")),
                 int(root.find(".//m:scoreDef", ns).get("meter.unit")))
  steps = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
  t, out = Fraction(0), []
  for el in root.iter():
    tag = el.tag.split("}")[-1]
    if tag == "multiRest":
      t += bar * int(el.get("num"))
    elif tag in ("note", "rest"):
      d = Fraction(4, int(el.get("dur")))
      d *= {0: 1, 1: Fraction(3, 2), 2: Fraction(7, 4)}[int(el.get("dots", 0))]
      if tag == "note":
        pname = el.get("pname")
        accid = {"s": 1, "f": -1, "n": 0}.get(el.get("accid") or el.get("accid.ges"),
                                                altered.get(pname, 0))
        out.append((12 * (int(el.get("oct")) + 1) + steps[pname] + accid, t))
      t += d
  return out


def test_real_example_round_trip_matches_its_mei(tmp_path):
  with open(EXAMPLE + ".semantic") as f:
    score = events.score_from_tokens(f.read(), EXAMPLE + ".semantic")
  assert [(n.pitch, n.onset) for n in score.notes] == _mei_notes(EXAMPLE + ".mei")
  path = str(tmp_path / "example.mid")
  midi.write(score, path)
  back = midi.read_notes(path)  # mido reads the file back to the same notes
  assert back == midi.score_notes(score) and len(back) == 7
  assert back[0].onset == 480 * (23 * 2 + 1 + Fraction(1, 2))  # after 23 bars of 2/4 rest
  f = mido.MidiFile(path)
  assert f.ticks_per_beat == 480
  metas = {m.type: m for m in f.tracks[0] if m.is_meta}
  assert mido.tempo2bpm(metas["set_tempo"].tempo) == 120
  assert (metas["time_signature"].numerator, metas["time_signature"].denominator) == (2, 4)
  assert metas["key_signature"].key == "Eb"
  p, r, f1 = midi.note_f1(back, back)
  assert f1 == 1.0
  assert midi.note_f1(back, back[1:])[1] == pytest.approx(6 / 7)


@pytest.mark.parametrize("seq, message", [
    ("clef-G2 note-H4_quarter", r"token 1: malformed note 'note-H4_quarter'"),
    ("clef-G2 barline rest-quarter foo", r"token 3: malformed token 'foo'"),
    ("note-C4_quarter note-C4_quarter.._fermata",
     r"token 1: 'note-C4_quarter.._fermata' is not in the PrIMuS semantic vocabulary"),
    ("timeSignature-3/5", r"token 0: malformed token 'timeSignature-3/5'"),
])
def test_bad_tokens_are_named_with_their_position(seq, message):
  with pytest.raises(tokens.TokenError, match=r"^staff 2: " + message):
    tokens.parse(seq, "staff 2")


def _score(seq):
  return events.score_from_tokens(seq)


def test_durations_dots_ties_and_meters():
  s = _score("clef-G2 keySignature-DM timeSignature-C note-F#4_quarter. note-G4_eighth.. "
             "note-A4_sixteenth tie barline note-A4_half note-B4_quarter tie rest-quarter")
  got = [(n.pitch, n.onset, n.duration) for n in s.notes]
  assert got == [(66, 0, Fraction(3, 2)), (67, Fraction(3, 2), Fraction(7, 8)),
                 (69, Fraction(19, 8), Fraction(1, 4) + 2),  # tied across the barline
                 (71, Fraction(37, 8), 1)]  # a tie to a rest is ignored
  assert s.time_signatures[0][1].symbol == "C"
  # multirest length follows the meter: C = 4/4 and C/ = 2/2 (4 quarters), 3/8 = 1.5.
  for meter, bar in (("C", 4), ("C/", 4), ("2/4", 2), ("3/8", Fraction(3, 2))):
    s = _score(f"timeSignature-{meter} multirest-3 note-C5_quarter")
    assert s.notes[0].onset == 3 * bar
  # Any count is a multirest, also one the PrIMuS vocabulary does not list.
  assert "multirest-61" not in tokens.vocabulary()
  assert _score("timeSignature-2/4 multirest-61 note-C5_quarter").notes[0].onset == 122


def test_grace_notes_and_fermatas():
  s = _score("timeSignature-2/4 gracenote-D5_eighth gracenote-E5_sixteenth note-C5_quarter "
             "note-B4_quarter_fermata barline note-C5_half")
  got = [(n.pitch, n.onset, n.duration, n.grace) for n in s.notes]
  assert got == [(74, 0, Fraction(1, 8), True), (76, Fraction(1, 8), Fraction(1, 8), True),
                 (72, Fraction(1, 4), Fraction(3, 4), False),  # shortened, not moved later
                 (71, 1, 1, False), (72, 2, 2, False)]
  assert s.notes[3].fermata and s.length == 4


def _onsets(seq, resync):
  return [(n.pitch, n.onset) for n in events.score_from_tokens(seq, resync_bars=resync).notes]


def test_resync_bars_keeps_a_misread_duration_in_its_bar():
  head = "clef-G2 keySignature-CM timeSignature-3/4 note-G4_quarter barline "  # a pickup
  bar = "note-C5_quarter note-D5_quarter note-E5_quarter barline "
  right = head + bar + bar + bar + "note-F5_half"
  with open(EXAMPLE + ".semantic") as f:
    example = f.read()
  # Correct bars, a pickup, multirests and a cut last bar: resync changes nothing.
  for seq in (right, head + "multirest-2 barline " + bar + "note-C5_eighth", example):
    assert _onsets(seq, True) == _onsets(seq, False)
  truth = _onsets(right, False)
  short = head + bar.replace("D5_quarter", "D5_eighth") + bar + bar + "note-F5_half"  # no flag
  assert _onsets(short, False)[4:] != truth[4:]  # as read: every later note moves
  resynced = _onsets(short, True)  # only the E5 of its bar moves
  assert resynced[3] != truth[3] and resynced[4:] == truth[4:]
  long = head + bar.replace("D5_quarter", "D5_half") + bar + bar + "note-F5_half"
  assert _onsets(long, True)[4:] == truth[4:]
  # A barline read as missing: the double bar keeps two bars' length.
  missed = head + bar.replace("barline ", "") + bar + bar + "note-F5_half"
  assert _onsets(missed, True) == truth
  # A misread meter (most bars do not fill it) is not trusted: bars are timed as read.
  meter = right.replace("3/4", "2/4")
  assert _onsets(meter, True) == _onsets(meter, False) == truth
  assert events.score_from_tokens(meter).bars_off_meter == 3
  # No time signature, no grid: bars are timed as read.
  no_meter = bar + bar.replace("D5_quarter", "D5_eighth") + "note-F5_half"
  assert _onsets(no_meter, True) == _onsets(no_meter, False)
  # ... unless most bars between barlines share a length: its meter is the grid (a missed
  # time signature), and none is reported.
  unread = right.replace("timeSignature-3/4 ", "")
  assert _onsets(unread, True) == truth
  missed = short.replace("timeSignature-3/4 ", "")
  assert _onsets(missed, True) == resynced != _onsets(missed, False)
  assert events.score_from_tokens(missed, resync_bars=True).time_signatures == []
  # A first bar longer than the meter is no pickup (a pickup is shorter): it is put back on
  # the grid like any other bar.
  full = head.replace("note-G4_quarter", "note-G4_half note-A4_quarter") + bar + bar
  over = head.replace("note-G4_quarter", "note-G4_half note-A4_half") + bar + bar
  assert _onsets(over, True)[2:] == _onsets(full, False)[2:] != _onsets(over, False)[2:]
  assert events.score_from_tokens(over).bars_off == [1]
  # Only the piece's first bar may be a pickup: the bar after a later meter is checked.
  change = ("clef-G2 timeSignature-3/4 note-C5_half. barline timeSignature-2/4 note-D5_quarter "
            "barline note-E5_half barline note-F5_half barline")
  assert _onsets(change, True) == [(72, 0), (74, 3), (76, 5), (77, 7)]
  assert _onsets(change, False)[2:] == [(76, 4), (77, 6)]
  # A whole rest alone in a bar fills it, whatever the meter (engravers draw bar rests so).
  rests = "clef-G2 timeSignature-2/4 rest-whole barline note-C5_half barline rest-whole"
  assert _onsets(rests, False) == _onsets(rests, True) == [(72, 2)]
  assert events.score_from_tokens(rests).length == 8  # the last one, with no barline: 4


def test_music_prior_penalties():
  from ocr_jax.omr import prior  # pylint: disable=import-outside-toplevel
  p = prior.MusicPrior(bar_weight=4, key_weight=1, pickup_weight=0.5)
  head = ["clef-G2", "keySignature-DM", "timeSignature-2/4"]
  full = ["note-F#4_quarter", "note-G4_quarter", "barline"]
  assert p.penalty(head + full * 3) == 0
  assert p.penalty(head + ["note-A4_quarter", "barline"] + full) == 0.5  # a pickup
  assert p.penalty(head + full + ["note-A4_quarter", "barline"] + full) == 4  # a short bar
  assert p.penalty(head + full + ["note-A4_half", "note-A4_quarter", "barline"]) == 4  # long
  assert p.penalty(head + full + ["note-A4_quarter"]) == 0  # an incipit cut mid-bar
  assert p.penalty(head + ["multirest-3", "barline"] + full) == 0
  # A multirest whose count a spelling charset emits digit by digit is a multirest too.
  assert p.penalty(head + ["multirest-", "3", "note-A4_half", "note-A4_half"]) == 0
  assert p.penalty(head + ["barline", "note-A4_half", "note-A4_half"]) == 4
  # Key: F natural in D major costs once; it holds for the rest of its bar, not the next.
  assert p.penalty(head + ["note-F4_quarter", "note-F4_quarter", "barline",
                           "note-F#4_quarter", "note-F4_quarter", "barline"]) == 2
  assert p.penalty(head + ["note-F5_quarter", "note-F#4_quarter", "barline"]) == 1  # octave
  # A tie carries its note's alteration across the barline.
  assert p.penalty(head + ["note-A4_quarter", "note-C5_quarter", "tie", "barline",
                           "note-C5_quarter", "note-A4_quarter", "barline"]) == 1
  # A second voice runs on its own clock: it may fill the bar beside the first, not overrun.
  assert p.penalty(head + ["note-A4_half", "voice2", "note-F#4_quarter", "voice2",
                           "note-F#4_quarter", "barline"]) == 0
  assert p.penalty(head + ["note-A4_half", "voice2", "note-F#4_half", "voice2",
                           "note-F#4_quarter", "barline"]) == 4
  # Our synthetic incipits always fill their bars.
  for i in range(100):
    toks = synth.random_incipit(np.random.default_rng([3, i])).tokens()
    assert prior.MusicPrior(bar_weight=1, key_weight=0, pickup_weight=1).penalty(toks) == 0
  # The prior counts time in integer ticks: every value and meter it parses is whole.
  names = sorted(tokens.vocabulary())
  parsed = [p._object(k, names.__getitem__) for k in range(len(names))]  # pylint: disable=W0212
  ticks = [t for _, _, t in parsed if t is not None]
  assert len(ticks) > 1000 and all(isinstance(t, int) for t in ticks)


def test_tokens2midi_command_reports_bad_files_and_goes_on(tmp_path, capsys):
  from ocr_jax import cli  # pylint: disable=g-import-not-at-top
  good = tmp_path / "good.semantic"
  good.write_text(open(EXAMPLE + ".semantic").read())
  bad = tmp_path / "bad.semantic"
  bad.write_text("clef-G2\tnote-C4_quarter\tnote-X9_half\n")
  assert cli.main(["tokens2midi", str(good), str(bad), str(tmp_path / "none.semantic")]) == 1
  out, err = capsys.readouterr()
  assert f"{good}\t{tmp_path / 'good.mid'}\t7 notes" in out
  lines = err.strip().splitlines()
  assert len(lines) == 2
  assert lines[0].startswith(f"error: {bad}: token 2: malformed note 'note-X9_half'")
  assert lines[1].startswith(f"error: {tmp_path / 'none.semantic'}: ")
  assert len(midi.read_notes(str(tmp_path / "good.mid"))) == 7


def test_the_music_to_midi_path_does_not_import_jax():
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  code = ("import sys; from ocr_jax.omr import events, midi, tokens; "
          "assert 'jax' not in sys.modules, 'jax imported'")
  subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_evaluate_omr_tallies_errors_by_token_kind():
  evaluate_omr = launch_script("evaluate_omr")
  kinds = collections.defaultdict(collections.Counter)
  ref = "clef-G2 multirest-12 barline note-C5_half".split()
  evaluate_omr.tally_kinds(kinds, ref, ref, 0)
  evaluate_omr.tally_kinds(kinds, ref, "clef-G2 multirest-5 barline note-C5_half".split(), 2)
  evaluate_omr.tally_kinds(kinds, ref, "clef-G2 barline note-D5_half note-C5_half".split(), 3)
  assert kinds["multirest"] == {"staves": 3, "right": 1, "notes_lost": 5}
  assert kinds["note"] == {"staves": 3, "right": 2, "notes_lost": 3}
  assert kinds["clef"] == {"staves": 3, "right": 3}


def test_evaluate_piano_tallies_token_edits_by_voice():
  evaluate_piano = launch_script("evaluate_piano")
  counts = collections.Counter()
  voiced = "clef-G2 note-C5_half voice2 rest-half barline".split()
  plain = "clef-F4 note-C3_quarter tie note-C3_quarter barline".split()
  # A system read with the second voice's rest lost and the tie lost; a third staff found in
  # excess, and a system whose second staff was not found.
  evaluate_piano.tally_edits(counts, [voiced, plain],
                             ["clef-G2 note-C5_half barline".split(),
                              "clef-F4 note-C3_quarter note-C3_quarter barline".split(),
                              ["clef-G2"]])
  evaluate_piano.tally_edits(counts, [voiced, plain], [voiced])
  assert counts[("delete", "voice2 rest-half", "")] == 1
  assert counts[("delete", "tie", "")] == 1
  assert counts[("insert", "", "clef-G2")] == 1
  assert counts[("delete", " ".join(plain), "")] == 1
  assert counts[("tokens", "with")] == 10 and counts[("edited", "with")] == 2
  assert counts[("tokens", "without")] == 10 and counts[("edited", "without")] == 1 + 1 + 5


def test_evaluate_piano_saves_readings_that_read_back_the_same():
  """`--save_readings` / `--from_readings`: a reading (numpy scalars included) and a failed
  one survive the JSON round trip, so saved readings score again as they were read."""
  evaluate_piano = launch_script("evaluate_piano")
  reading = music.Reading(np.float32(0.5), [
      music.StaffReading((1, 2, 30, 12), ["clef-G2", "note-C5_whole", "barline"],
                         np.float32(0.9)),
      music.StaffReading((1, 20, 30, 32), ["clef-F4", "rest-whole", "barline"], 0.8, False)],
                          [[0, 1]])
  text = json.dumps([evaluate_piano._saved(r) for r in (reading, ValueError("bad"))],
                    default=lambda o: o.item())
  back, failed = [evaluate_piano._reading(r) for r in json.loads(text)]
  assert back.system_list() == [[0, 1]] and back.angle == 0.5
  assert [(s.tokens, tuple(s.box), s.found) for s in back.staves] == [
      (s.tokens, s.box, s.found) for s in reading.staves]
  assert isinstance(failed, RuntimeError) and "ValueError: bad" in str(failed)
