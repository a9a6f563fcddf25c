"""Systems of staves that sound together (piano): finding them, aligning their bars, and
writing MIDI and MusicXML that other libraries read back to the same notes."""
import collections
import copy
import json
import os
import re
import subprocess
import sys
from fractions import Fraction

import mido
import numpy as np
import pytest
from PIL import Image

from ocr_jax import music
from ocr_jax.omr import align, engrave, events, midi, staff, synth, tokens as tk

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_one_part_times_as_one_staff_and_parts_align_at_barlines():
  rng = np.random.default_rng(5)
  upper, lower = synth.piano_pair(rng, 4)
  # One part: exactly the joined staff's timing (a melody's lines, as before systems).
  joined = tk.parse(upper.tokens() + lower.tokens())
  (alone,), warnings = align.align_systems([[tk.parse(upper.tokens())],
                                             [tk.parse(lower.tokens())]], resync_bars=True)
  assert not warnings and alone.notes == events.to_score(joined, resync_bars=True).notes
  # Two parts in 2/4: the lower staff's first bar was read a quarter short. Its second bar
  # still starts with the upper one's, at the barline; the system is one bar wider than
  # the short part, and both parts end together.
  up = tk.parse("clef-G2 timeSignature-2/4 note-C5_half barline note-D5_half barline")
  low = tk.parse("clef-F4 timeSignature-2/4 note-C3_quarter barline note-D3_half barline")
  (a, b), warnings = align.align_systems([[up, low]])
  assert not warnings
  assert [(n.pitch, n.onset) for n in a.notes] == [(72, 0), (74, 2)]
  assert [(n.pitch, n.onset) for n in b.notes] == [(48, 0), (50, 2)]
  assert a.length == b.length == 4
  # Two systems: the second starts after the first's longest bars, in both parts.
  (a, b), _ = align.align_systems([[up, low], [up[2:], low[2:]]])
  assert [n.onset for n in b.notes] == [0, 2, 4, 6] and a.length == 8
  # A staff that read a bar fewer is still aligned from the left, and named.
  short = tk.parse("clef-F4 timeSignature-2/4 note-C3_half barline")
  (a, b), warnings = align.align_systems([[up, short]], where="p.png")
  assert warnings == ["p.png: system 1: its staves read 2, 1 bars; aligned bar by bar from "
                      "the left"]
  assert [n.onset for n in b.notes] == [0] and a.length == b.length == 4
  # A staff read empty in a middle system rests there; the next system still aligns.
  (a, b), _ = align.align_systems([[up, low], [up[2:], []], [up[2:], low[2:]]])
  assert [n.onset for n in b.notes] == [0, 2, 8, 10] and a.length == 12
  # The grid is trusted on the bars of every part with the same meters: one part's first bar
  # read an eighth long (half its checked bars off) is put back by the other part's evidence.
  long = tk.parse("clef-G2 timeSignature-2/4 note-C5_quarter note-E5_quarter. barline "
                  "note-D5_half barline")
  (a, b), _ = align.align_systems([[long, low]], resync_bars=True)
  assert [(n.pitch, n.onset) for n in a.notes] == [(72, 0), (76, 1), (74, 2)]
  assert [(n.pitch, n.onset) for n in b.notes] == [(48, 0), (50, 2)] and a.length == 4
  (a, b), _ = align.align_systems([[long, low]])  # as read: the long bar delays bar 2
  assert [n.onset for n in b.notes] == [0, Fraction(5, 2)]
  # One part whose bars fill the grid vouches for it though its partner's mostly do not
  # (pooled, 5 of 8 checked bars are off): bar 3, read 5/2 and 3/2 long, lasts one bar.
  bars = ["note-C5_half"] * 2 + ["note-C5_half note-E5_eighth"] + ["note-C5_half"] * 2
  good = tk.parse("clef-G2 timeSignature-2/4 " + " barline ".join(bars) + " barline")
  bad = tk.parse("clef-F4 timeSignature-2/4 note-C3_half barline " + "note-C3_quarter. barline "
                 * 4)
  (a, b), _ = align.align_systems([[good, bad]], resync_bars=True)
  assert b.notes[-1].onset == a.notes[-1].onset == 8
  # A bar read half again as long (a second voice read into the first) rounds to two bars
  # of its own part's grid; the staff that fills the meter sets the system's bar, so the
  # next bar (and the rest of a page) is not a bar late.
  over = tk.parse("clef-G2 timeSignature-2/4 note-C5_half note-E5_quarter barline "
                  "note-D5_half barline")
  low = tk.parse("clef-F4 timeSignature-2/4 note-C3_half barline note-D3_half barline")
  (a, b), _ = align.align_systems([[over, low]], resync_bars=True)
  assert [n.onset for n in b.notes] == [0, 2] and a.notes[-1].onset == 2 and a.length == 4
  (a, b), _ = align.align_systems([[over, low]])  # as read: the system's bar is the longest
  assert [n.onset for n in b.notes] == [0, 3]



def test_a_first_bar_read_short_is_a_pickup_only_where_its_staves_agree():
  """A pickup is equally long in every staff. A first bar that the staves read short by
  different amounts (a note or a voice mark lost) is a whole bar, else every later onset of
  the page would come early."""
  def last_bar(upper, lower):
    parts, _ = align.align_systems(
        [[tk.parse("clef-G2 timeSignature-4/4 " + upper + " barline note-E5_whole barline"),
          tk.parse("clef-F4 timeSignature-4/4 " + lower + " barline note-E3_whole barline")]],
        resync_bars=True)
    return [part.notes[-1].onset for part in parts]

  assert last_bar("note-C5_half.", "note-C3_half.") == [3, 3]  # a pickup, read alike
  # A short pickup read differently: its shortest reading (a staff reads one long more often).
  assert last_bar("note-C5_quarter", "note-C3_eighth.") == [Fraction(3, 4)] * 2
  # Read 3.5 and 3 quarters long: the same bar misread, not a pickup; nor when both read
  # 3.5 (a pickup of more than three quarters of the bar is rare).
  assert last_bar("note-C5_half. note-D5_eighth", "note-C3_half.") == [4, 4]
  # A staff whose voices end apart (one lost or misread) does not set the pickup: here the
  # upper lost its first voice's rest, so its first voice reads an eighth, its second a
  # quarter; the lower's quarter is the pickup.
  assert last_bar("note-B4_eighth voice2 note-F4_eighth voice2 note-D4_eighth",
                  "note-G2_quarter") == [1, 1]
  # A staff that read no first voice in its pickup (a lost rest) keeps the bar, as long as
  # its second voice: else it would count a bar fewer than its partner.
  assert last_bar("voice2 note-A4_eighth", "note-C3_eighth") == [Fraction(1, 2)] * 2
  # A staff that lost its pickup's only note (it reads a barline first) still has that bar.
  assert last_bar("", "note-C3_quarter") == [1, 1]
  assert last_bar("note-C5_half. note-D5_eighth", "note-C3_half. note-D3_eighth") == [4, 4]
  # Nor when one staff reads it longer than the meter (6 quarters, resync not trusted on a
  # two-bar system) and the other half of it: one bar, the nearest to the shortest reading.
  assert last_bar("note-C5_half", "note-C3_whole. ") == [4, 4]
  # A later bar: each staff's resync puts it back on the grid, as before.
  two = "note-C5_whole barline note-C5_whole barline "
  assert last_bar(two + "note-C5_half. note-D5_eighth", two.replace("C5", "C3") +
                  "note-C3_half.") == [12, 12]


def test_a_bar_every_staff_reads_empty_is_a_barline_read_twice():
  """Double, repeat and final barlines run through a system; read as two barlines in every
  staff they make a bar no staff reads anything in, which is no bar (else resync makes it a
  whole bar of silence and every later onset of the page comes a bar late). An empty bar
  one staff alone reads (a lost whole rest) stays a bar."""
  def onsets(*systems):
    parts, _ = align.align_systems(
        [[tk.parse("clef-G2 timeSignature-2/4 " + upper),
          tk.parse("clef-F4 timeSignature-2/4 " + lower)] for upper, lower in systems],
        resync_bars=True)
    return [[n.onset for n in part.notes] for part in parts]

  # An opening repeat read as a barline in both staves, a final barline read as two in one.
  first = ("barline note-C5_half barline note-D5_half barline barline",
           "barline note-C3_half barline note-D3_half barline")
  second = ("note-E5_half barline", "note-E3_half barline")
  assert onsets(first, second) == [[0, 2, 4]] * 2
  # A lost whole rest in the upper staff: its empty bar still lasts a bar.
  assert onsets(("note-C5_half barline barline note-E5_half barline",
                 "note-C3_half barline rest-half barline note-E3_half barline")) == [
                     [0, 4], [0, 4]]


def test_a_barline_read_beside_a_lost_note_is_left_out():
  """A staff that reads a bar more than its partner, where no two neighbouring bars fill one
  exactly, joins the two short bars that come nearest to one, within a quarter of it (a
  barline read where there is none, beside a note lost): else every later bar of the system
  is aligned a bar off. Bars that fill their meter are never joined, nor two that fall
  further short."""
  def onsets(upper, lower="note-C3_whole barline note-E3_whole barline"):
    parts, _ = align.align_systems([[tk.parse("clef-G2 timeSignature-4/4 " + upper),
                                     tk.parse("clef-F4 timeSignature-4/4 " + lower)]],
                                   resync_bars=True)
    return [[n.onset for n in part.notes] for part in parts]

  assert onsets("note-C5_half barline note-D5_quarter barline note-E5_whole barline") == [
      [0, 2, 4], [0, 4]]
  assert onsets("note-C5_half barline note-D5_eighth barline note-E5_whole barline") == [
      [0, 4, 8], [0, 4]]
  assert onsets("note-C5_whole barline note-D5_whole barline note-E5_whole barline",
                "note-C3_whole note-D3_whole barline note-E3_whole barline") == [
                    [0, 4, 8], [0, 4, 8]]


def test_a_mark_misread_is_mended_where_one_edit_fills_the_bar():
  """A bar whose first voice is one event too long or short, where exactly one edit of a
  `voice2` or `chord` mark fills it and keeps the token order, is read with that edit."""
  def read(*bars):
    upper = tk.parse("clef-G2 timeSignature-2/4 " + " barline ".join(bars) + " barline")
    lower = tk.parse("clef-F4 timeSignature-2/4 " + "note-C3_half barline " * len(bars))
    (part, _), warnings = align.align_systems([[upper, lower]], resync_bars=True, where="s")
    return [(n.pitch, n.onset, n.voice) for n in part.notes], warnings

  half = "note-G5_half"
  # A second voice read into the first (voice2 lost before C5): the bar is a quarter long.
  got, warnings = read(half, "note-E5_half note-C5_quarter voice2 note-D5_quarter", half)
  assert got[1:4] == [(76, 2, 1), (72, 2, 2), (74, 3, 2)]
  assert warnings == ["s: system 1 staff 1 bar 2: voice2 mark added (the bar then fills its "
                      "meter)"]
  # Two notes read as a chord, and a first-voice note read as a second voice's.
  for bar in ("note-C5_quarter chord note-E5_quarter", "note-C5_quarter voice2 note-E5_quarter"):
    got, warnings = read(half, bar, half)
    assert got[1:3] == [(72, 2, 1), (76, 3, 1)] and got[3] == (79, 4, 1), bar
    assert len(warnings) == 1 and " mark left out " in warnings[0]
  # Left as read: a short first bar (a pickup); a bar either of two edits would fill; a bar
  # an eighth long whose eighth, as a second voice, would start before the notes read before.
  assert read("note-C5_quarter chord note-E5_quarter", half)[1] == []
  assert read(half, "note-C5_quarter chord note-E5_quarter chord note-G5_quarter")[1] == []
  assert read(half, "note-C5_quarter note-E5_quarter note-D5_eighth", half)[1] == []


def test_a_value_misread_is_mended_where_the_other_staff_says_which():
  """A bar whose first voice is too short or long, where one note or rest read at a
  neighbouring value fills it, takes the edit whose onsets meet the other staff's most; a bar
  where two edits meet them alike, or a short first bar (a pickup), is left as read."""
  def read(upper, lower="note-C3_quarter note-E3_eighth note-G3_eighth"):
    staves = [tk.parse(f"clef-G2 timeSignature-2/4 note-G5_half barline {upper} barline"),
              tk.parse(f"clef-F4 timeSignature-2/4 note-C3_half barline {lower} barline")]
    (part, _), warnings = align.align_systems([staves], resync_bars=True, where="s")
    return [(n.onset, n.duration) for n in part.notes][1:], warnings

  # A quarter read as an eighth: every later onset of the bar an eighth early.
  got, warnings = read("note-C5_eighth note-D5_eighth note-E5_eighth")
  assert got == [(2, 1), (3, Fraction(1, 2)), (Fraction(7, 2), Fraction(1, 2))]
  assert warnings == ["s: system 1 staff 1 bar 2: a value read 1 quarters long (the bar then "
                      "fills its meter, in time with the other staves)"]
  # A dot read that is not there, with its chord: the bar an eighth too long.
  got, warnings = read("note-C5_quarter. chord note-E5_quarter. note-D5_quarter",
                       "note-C3_quarter note-E3_quarter")
  assert got == [(2, 1), (2, 1), (3, 1)] and len(warnings) == 1
  # The second voice's value, where the first voice fills the bar.
  got, warnings = read("note-C5_quarter voice2 note-A4_eighth note-E5_quarter voice2 "
                       "note-G4_quarter")
  assert got == [(2, 1), (2, 1), (3, 1), (3, 1)] and "second-voice value" in warnings[0]
  # Left as read: the other staff holds a half note (every edit meets it alike).
  assert read("note-C5_eighth note-D5_eighth note-E5_eighth", "note-C3_half")[1] == []
  staves = [tk.parse("clef-G2 timeSignature-2/4 note-C5_eighth note-D5_eighth barline"),
            tk.parse("clef-F4 timeSignature-2/4 note-C3_quarter note-E3_eighth barline")]
  assert align.align_systems([staves], resync_bars=True)[1] == []


def test_a_systems_staves_share_its_meter_and_bar_count():
  """Read systems whose staves disagree: a time signature missed or misread in one staff, a
  barline missed, a barline read where there is none. The other staves settle it, and a
  warning names what was overruled."""
  up = "clef-G2 timeSignature-3/4 note-C5_half. barline note-D5_half. barline note-E5_half."
  low = ("clef-F4 timeSignature-3/4 note-C3_quarter note-E3_half barline note-D3_half. "
         "barline note-C3_half.")
  want = [[(72, 0), (74, 3), (76, 6)], [(48, 0), (52, 1), (50, 3), (48, 6)]]

  def onsets(upper, lower):
    parts, warnings = align.align_systems([[tk.parse(upper), tk.parse(lower)]],
                                           resync_bars=True, where="s.png")
    return [[(n.pitch, n.onset) for n in part.notes] for part in parts], warnings

  assert onsets(up, low) == (want, [])
  for misread in (low.replace("timeSignature-3/4 ", ""), low.replace("3/4", "2/4")):
    got, warnings = onsets(up, misread)
    assert got == want and len(warnings) == 1, warnings
    assert warnings[0].startswith("s.png: system 1 staff 2: time signature ")
    assert warnings[0].endswith("; timed in 3/4 with the rest of its system")
  # A misread meter whose bars, as read, leave as many off as the right one's (its short
  # first bar passes as a pickup) loses to the one more bars fill.
  _, warnings = onsets("clef-G2 timeSignature-3/2 note-C5_half note-D5_half barline "
                       "note-E5_quarter note-F5_eighth. barline", low)
  assert warnings[0] == ("s.png: system 1 staff 1: time signature 3/2 as read; timed in 3/4 "
                         "with the rest of its system")
  # The upper staff's first barline missed: its 6-beat bar is two of the lower staff's.
  got, warnings = onsets(up.replace("barline ", "", 1), low)
  assert got == want and not warnings
  # Missed there and a half note read too: resync rounds that bar's 8 quarters to three bars,
  # yet it is cut into only the two that the lower staff's count leaves room for; else the
  # system would last a bar longer and every later system of a page would come a bar late.
  upper, lower = (f"clef-{c} timeSignature-3/4 " + " barline ".join(
      f"note-{p}{o}_half." for p in "CDEF") + " barline" for c, o in (("G2", 5), ("F4", 3)))
  upper = upper.replace("note-C5_half. barline", "note-C5_half. note-G5_half")
  parts, _ = align.align_systems([[tk.parse(upper), tk.parse(lower)]], resync_bars=True)
  assert [part.notes[-1].onset for part in parts] == [9, 9] and parts[0].length == 12
  # A barline read inside the lower staff's first bar (a quarter and a half: neither fills
  # 3/4, together they do) is left out.
  got, warnings = onsets(up, low.replace("note-C3_quarter ", "note-C3_quarter barline "))
  assert got == want
  assert warnings == ["s.png: system 1 staff 2: barline 1 left out (the bars on either side "
                      "fill one)"]
  # A barline read twice (a double or thick barline) closes an empty bar: left out, else
  # every later bar of the page would come a bar late.
  got, warnings = onsets(up, low.replace("barline", "barline barline", 1))
  assert got == want
  assert warnings == ["s.png: system 1 staff 2: barline 2 left out (it closes an empty bar)"]


def test_systems_are_staves_joined_by_a_brace_or_system_barline():
  rng = np.random.default_rng(2)
  for font in ("Leipzig", "Petaluma"):
    upper, lower = synth.piano_pair(rng, 4)
    grey = engrave.engrave(synth.system_mei([upper, lower]), font, engrave.SYSTEM)
    found = staff.find_staves(grey)
    assert len(found) == 2 and staff.systems(grey, found) == [[0, 1]], font
    # The same two staves engraved apart and stacked: two systems of one staff.
    crops = [staff.crop(g, staff.find_staves(g)[0])
             for g in (engrave.engrave(upper.mei(), font), engrave.engrave(lower.mei(), font))]
    stacked = music.page_image(crops, gap=10)
    found = staff.find_staves(stacked)
    assert len(found) == 2 and staff.systems(stacked, found) == [[0], [1]], font


def test_midi_type_one_for_parts_and_its_notes():
  up = tk.parse("clef-G2 timeSignature-2/4 note-C5_half barline")
  low = tk.parse("clef-F4 timeSignature-2/4 note-C3_quarter note-E3_quarter barline")
  parts, _ = align.align_systems([[up, low]])
  file = midi.parts_to_midi(parts)
  assert file.type == 1 and len(file.tracks) == 3
  channels = [{m.channel for m in t if m.type == "note_on"} for t in file.tracks]
  assert channels == [set(), {0}, {1}]


def test_piano_system_image_to_midi_and_musicxml_read_back_by_verovio(tmp_path):
  """`ocr-jax omr` on a two-hand system engraved in Leipzig (the held-out font): the staves
  are read as one system, the MIDI has a track per hand with the hands sounding together,
  and the MusicXML, read back by a second library (Verovio) and rendered to MIDI, holds the
  same notes. The F1 bound is a regression guard (measured 1.0 on this system)."""
  import verovio  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(1)
  upper, lower = synth.piano_pair(rng, 4)
  image = tmp_path / "system.png"
  Image.fromarray(engrave.engrave(synth.system_mei([upper, lower]), "Leipzig",
                                  engrave.SYSTEM)).save(image)
  out, xml = tmp_path / "system.mid", tmp_path / "system.musicxml"
  proc = subprocess.run([sys.executable, "-m", "ocr_jax.cli", "omr", str(image), "-o",
                         str(out), "--musicxml", str(xml), "--json"],
                        capture_output=True, text=True, timeout=300, cwd=REPO)
  assert proc.returncode == 0, proc.stderr
  result = json.loads(proc.stdout.strip().splitlines()[-1])
  assert [s["staves"] for s in result["systems"]] == [[0, 1]]
  assert [s["system"] for s in result["staves"]] == [1, 1]
  assert all(isinstance(s["bars_off_meter"], list) for s in result["staves"])
  reference, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
  written = midi.read_notes(str(out))
  assert len(mido.MidiFile(str(out)).tracks) == 3
  assert midi.note_f1(midi.score_notes(reference), written)[2] >= 0.9
  together = {n.onset for n in midi.score_notes(reference[0])} & {
      n.onset for n in midi.score_notes(reference[1])}
  assert together and together <= {n.onset for n in written}
  toolkit = verovio.toolkit()
  assert toolkit.loadFile(str(xml))
  toolkit.renderToMIDIFile(str(tmp_path / "back.mid"))
  back = midi.read_notes(str(tmp_path / "back.mid"), midi.TICKS_PER_QUARTER)
  # Same notes; onsets equal up to how a grace note is played (ours on the beat, 1/8 quarter
  # = 60 ticks before its main note; Verovio's by its own rule).
  assert len(back) == len(written) > 0
  assert midi.note_matches(written, back, tolerance=60) == len(written)
  assert sum(b.onset == w.onset for b, w in zip(back, written)) >= 0.9 * len(written)
  # The Python API reads the same system the same way.
  import ocr_jax  # pylint: disable=import-outside-toplevel
  score = ocr_jax.read_music(str(image))[0]
  assert score.systems == [[0, 1]]
  api_midi = tmp_path / "api.mid"
  score.write_midi(str(api_midi))
  assert midi.read_notes(str(api_midi)) == written
  assert len(score.write_musicxml(str(tmp_path / "api.mxl")).parts) == 2


def test_chord_tokens_sound_together_and_are_written_as_chords(tmp_path):
  """The piano extension of the token language: `chord` strikes the next note with the
  previous one. MIDI holds the three notes at one onset; the MusicXML holds one chord that
  Verovio reads back to the same notes."""
  import verovio  # pylint: disable=import-outside-toplevel
  from ocr_jax.omr import musicxml  # pylint: disable=import-outside-toplevel
  text = ("clef-F4 keySignature-CM timeSignature-2/4 note-C3_quarter chord note-E3_quarter "
          "chord note-G3_quarter tie note-G3_eighth note-B2_eighth barline")
  score = events.score_from_tokens(text)
  assert [(n.pitch, n.onset, n.duration) for n in score.notes] == [
      (48, 0, 1), (52, 0, 1), (55, 0, Fraction(3, 2)), (47, Fraction(3, 2), Fraction(1, 2))]
  assert score.length == 2 and score.bars_off_meter == 0
  for bad in ("chord note-C3_quarter", "note-C3_quarter chord rest-quarter"):
    with pytest.raises(tk.TokenError, match="'chord' stands between two notes"):
      tk.parse(bad)
    # A recognizer's stray mark is left out of its reading instead (music.perform).
    assert "chord" not in tk.drop_stray_marks(bad.split())
  xml = tmp_path / "chord.musicxml"
  musicxml.write([score], str(xml))
  assert open(xml, encoding="utf-8").read().count("<chord") == 1  # E3 joins C3; G3 is longer
  toolkit = verovio.toolkit()
  assert toolkit.loadFile(str(xml))
  toolkit.renderToMIDIFile(str(tmp_path / "back.mid"))
  back = midi.read_notes(str(tmp_path / "back.mid"), midi.TICKS_PER_QUARTER)
  assert [(n.pitch, n.onset) for n in back] == [(n.pitch, n.onset)
                                                for n in midi.score_notes(score)]


def test_piano_training_staves_hold_chords_and_are_cropped_as_read():
  """`omr_synth/piano`: example i is the upper (even i) or lower staff of its own braced
  system, chords labelled with `chord`, bars filling their meter; test staves in Leipzig;
  the MEI engraves chords as chords."""
  from ocr_jax.data import omr_synth  # pylint: disable=import-outside-toplevel
  cfg = {c.name: c for c in omr_synth.OmrSynth.BUILDER_CONFIGS}["piano_quick"]
  texts = []
  for split, index in (("train", 0), ("train", 1), ("train", 2), ("train", 3), ("test", 1)):
    ex = omr_synth.render_example(cfg, split, index)
    tokens = ex["text"].split()
    assert tokens[0] == ("clef-G2" if index % 2 == 0 else "clef-F4")
    assert len(tokens) <= cfg.max_tokens and ex["font"] == (
        "Leipzig" if split == "test" else omr_synth.TRAIN_FONTS[index % 4])
    score = events.score_from_tokens(tokens)
    assert score.bars_off_meter == 0
    texts.append(tokens)
  assert any("chord" in t for t in texts)
  rng = np.random.default_rng(3)
  inc = synth.add_chords(synth.random_incipit(rng, 0, clef="F4", n_bars=2), rng, 1.0)
  chords = [e for bar in inc.bars for e in bar if e.chord]
  assert chords and all(c.diatonic > e.diatonic for e in chords for c in e.chord)
  assert inc.mei().count("<chord ") == len(chords)
  onsets = [n.onset for n in events.score_from_tokens(inc.tokens()).notes]
  assert len(onsets) > len(set(onsets))  # notes struck together
  # Keyboard shapes (`piano_marked`): seconds and tenths too, chord notes off the key.
  wide = synth.add_chords(synth.random_incipit(rng, 0, clef="G2", n_bars=4), rng, 1.0,
                          synth.WIDE_CHORD_SHAPES, chromatic=0.5)
  keys = tk.key_alters(wide.key)
  added = [(c.diatonic - e.diatonic, c.alter != keys[c.step])
           for bar in wide.bars for e in bar for c in e.chord]
  assert {1, 9} & {up for up, _ in added} and any(off for _, off in added)
  tk.parse(wide.tokens())


def test_default_reading_sends_piano_systems_to_the_piano_model():
  """With no model named, staves of a multi-staff system are read by `music_piano`, which
  reads chords (this system, Leipzig: 13 of its 13 chord marks, note-F1 0.978 measured) and
  second voices (the voiced system: 27 of its 27 `voice2` marks, note-F1 0.76 measured with
  leg 16), and a one-staff image by the melody model `music_synth`, which has no `chord` class."""
  import ocr_jax  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(4)
  upper = synth.add_chords(synth.random_incipit(rng, 0, clef="G2", n_bars=3), rng, 0.4)
  lower = synth.add_chords(synth.random_incipit(rng, 0, clef="F4", key=upper.key,
                                                meter=upper.meter, n_bars=3), rng, 0.4)
  grey = engrave.engrave(synth.system_mei([upper, lower]), "Leipzig", engrave.SYSTEM)
  melody = engrave.engrave(synth.random_incipit(rng).mei(), "Leipzig")
  score, single = ocr_jax.read_music([grey, melody])
  reference, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
  assert score.systems == [[0, 1]] and score.tokens.count("chord") >= 8
  assert midi.note_f1(midi.score_notes(reference), midi.score_notes(score.timed().parts),
                      48)[2] >= 0.8
  readers = ocr_jax.api._LOADED[("readers", "music")]  # pylint: disable=protected-access
  assert readers.melody.charset.symbols[-1] != "chord" and single.systems == [[0]]
  assert readers.piano.charset.symbols[-2:] == ("chord", "voice2")
  rng = np.random.default_rng(4)
  upper, lower = synth.piano_pair(rng, 3)
  synth.add_voices_and_markings([upper, lower], rng, 1.0, 0.0)
  (voiced,) = ocr_jax.read_music([engrave.engrave(synth.system_mei([upper, lower]), "Leipzig",
                                                  engrave.SYSTEM)])
  reference, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
  assert voiced.tokens.count("voice2") >= 20
  assert midi.note_f1(midi.score_notes(reference), midi.score_notes(voiced.timed().parts),
                      48)[2] >= 0.6


def test_abc_shows_what_the_mei_shows():
  """The second engraver's input: accidentals from the key and the bar (none on a tie's end),
  beams by spacing, chords, graces, and no tie drawn to a rest."""
  from ocr_jax.omr import abc  # pylint: disable=import-outside-toplevel
  note = lambda value, d, alter=0, **kw: synth.Event("note", value, 0, d, alter, **kw)  # noqa: E731
  b4, f4, a4, c5 = 34, 31, 33, 35  # diatonic: octave * 7 + step
  inc = synth.Incipit("G2", "F", "3/4", 0, [
      [note("quarter", b4), note("quarter", b4), note("quarter", f4, 1, tie=True)],
      [note("half", f4, 1), note("eighth", f4, chord=(note("eighth", a4),)),
       note("eighth", a4)],
      [synth.Event("grace", "sixteenth", 0, c5), note("quarter", b4, -1, tie=True),
       synth.Event("rest", "half")]], beamed=True)
  text = abc.to_abc([inc])
  assert "K:F\nV:1 clef=treble\n=B32 B32 ^F32- | F64 [=FA]16A16 | {c/}B32 z64 |" in text
  assert "M:3/4" in text and "%%score" not in text
  # A second voice is an overlay of its bar; an accidental shown in one voice holds for the
  # other's later notes of that bar.
  inc.voices = {0: [note("half", f4, 1), note("quarter", f4, 1)]}
  assert "=B32 B32 F32- & ^F64 F32 | F64" in abc.to_abc([inc])  # ^F: the half, first met
  # Performance markings (`synth.add_markings`) as decorations and slurs.
  inc.bars[1][2].artic = "stacc"
  inc.marks = {1: [synth.Mark("slur", Fraction(0), Fraction(2)),
                   synth.Mark("dynam", Fraction(5, 2), text="p", place="below")]}
  assert "| (F64 [=FA]16)!p!.A16 |" in abc.to_abc([inc])
  upper, lower = synth.piano_pair(np.random.default_rng(1), 2)
  assert "%%score {1 | 2}" in abc.to_abc([upper, lower], joined_bars=True)
  with pytest.raises(ValueError, match="equal bar counts"):
    abc.to_abc([upper, synth.piano_pair(np.random.default_rng(1), 3)[1]])


def test_systems_engraved_by_abcm2ps_are_found_and_read():
  """abcm2ps (Debian), an engraver no training image comes from: its systems are found as
  systems and read by the default readers (this one-voice system: note-F1 1.0 measured)."""
  from ocr_jax.omr import abc  # pylint: disable=import-outside-toplevel
  try:
    abc.check_requirements()
  except abc.AbcError as e:
    pytest.skip(str(e))
  rng = np.random.default_rng(6)
  upper, lower = synth.piano_pair(rng, 3)
  grey = abc.engrave(abc.to_abc([upper, lower]), dpi=200)
  assert staff.systems(grey, staff.find_staves(grey)) == [[0, 1]]
  (reading,) = music.read_images(music.Readers(), [grey])
  reference, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
  assert midi.note_f1(midi.score_notes(reference),
                      midi.score_notes(music.perform(reading).parts), 48)[2] >= 0.85
  with pytest.raises(abc.AbcError, match="abcm2ps failed"):
    abc.engrave("X:1\nK:C\nV:1 clef=nonsense\nC C- z |\n")


def test_a_pickup_is_the_end_of_a_first_bar_in_every_staff():
  """`synth.add_pickup` (the evaluation's `--pickup_p`): every staff keeps its first bar from
  one shared onset in its second half on, so the reference times the pickup alike in each,
  second voices fill it, and the system still engraves."""
  import verovio  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(11)
  picked = []
  for _ in range(12):
    staves = list(synth.piano_pair(rng, 3))
    synth.add_chords(staves[0], rng, 0.3)
    synth.add_voices_and_markings(staves, rng, 1.0, 1.0)
    length = synth.add_pickup(staves, rng)
    parts, warnings = align.align_systems([[tk.parse(inc.tokens()) for inc in staves]])
    assert not warnings and all(part.bars_off == [] for part in parts)
    if length:
      picked.append(staves)
      assert [part.barlines[0] for part in parts] == [length] * 2
      assert 2 * length <= synth.bar_length_of(staves[0].meter) and 0 not in staves[0].marks
  assert len(picked) >= 4
  assert verovio.toolkit().loadData(synth.system_mei(picked[-1]))


def test_piano_voices4_draws_pickups_and_clef_changes():
  """`omr_synth/piano_voices4` begins about a third of its systems with a pickup (a first bar
  shorter than the meter), changes clef in some staves and draws styled barlines in about
  half its systems; `piano_voices3`, drawn before these existed, does none of it."""
  from ocr_jax.data import omr_synth  # pylint: disable=import-outside-toplevel
  configs = {c.name: c for c in omr_synth.OmrSynth.BUILDER_CONFIGS}

  def shares(cfg, count=60):
    short = changed = 0
    for index in range(count):
      rng = np.random.default_rng([cfg.seed, 0, index, 0])
      tokens, _, _ = omr_synth._piano_staff(cfg, rng, index)  # pylint: disable=protected-access
      meter = next(t for t in tokens if t.startswith("timeSignature-"))[len("timeSignature-"):]
      short += events.score_from_tokens(tokens).barlines[0] < synth.bar_length_of(meter)
      changed += any(t.startswith("clef-") for t in tokens[1:])
    return short / count, changed / count

  assert shares(configs["piano_voices3"]) == (0, 0)
  pickups, changes = shares(configs["piano_voices4"])
  assert 0.2 <= pickups <= 0.5 and 0.1 <= changes <= 0.4
  draw = omr_synth._piano_staff  # pylint: disable=protected-access
  styled = sum(bool(re.search(r'right="(dbl|end|rpt)|rptstart', draw(
      configs["piano_voices4"], np.random.default_rng([10, 0, i, 0]), i)[1])) for i in range(40))
  assert 10 <= styled <= 30


def test_a_clef_change_renames_notes_that_keep_their_places():
  """`synth.add_clef_change`: a staff swaps treble and bass at a barline no tie crosses (and
  may swap back); the notes after it keep their places on the staff (a twelfth apart in
  name) and their timing; the clef token comes before the barline, where both engravers
  draw it, and the reader's timing does not move."""
  import verovio  # pylint: disable=import-outside-toplevel
  from ocr_jax.omr import abc  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(5)
  changed = 0
  for _ in range(10):
    staves = list(synth.piano_pair(rng, 4))
    for inc in staves:
      synth.add_chords(inc, rng, 0.3)
    synth.add_voices_and_markings(staves, rng, 1.0, 0.5)
    lower = staves[1]
    before = copy.deepcopy(lower)
    start = synth.add_clef_change(lower, rng)
    if start is None:
      assert lower.tokens() == before.tokens()
      continue
    changed += 1
    clefs = ["F4"] * len(lower.bars)
    for k, clef in sorted(lower.clef_changes.items()):
      clefs[k:] = [clef] * (len(lower.bars) - k)
    assert clefs[start - 1:start + 1] == ["F4", "G2"]
    bottom = {c: synth._staff_range(c)[0] for c in ("F4", "G2")}  # pylint: disable=protected-access
    for k, (old, new) in enumerate(zip(before.bars, lower.bars)):
      kept = [(e.kind, e.diatonic - bottom[clefs[k]]) for e in new if e.kind != "rest"]
      places = [(e.kind, e.diatonic - bottom["F4"]) for e in old if e.kind != "rest"]
      assert all(place in places for place in kept)
      assert sum(e.kind != "grace" for e in new) == sum(e.kind != "grace" for e in old)
    tokens = lower.tokens()
    at = [i for i, t in enumerate(tokens) if t == "clef-G2" and i > 0]
    assert at and tokens[at[0] + 1] == "barline"
    timed = events.score_from_tokens(tokens)
    assert [n.onset for n in timed.notes] == [
        n.onset for n in events.score_from_tokens(before.tokens()).notes][:len(timed.notes)]
    assert timed.bars_off_meter == 0
    assert verovio.toolkit().loadData(synth.system_mei(staves))
    assert "[K:clef=treble]" in abc.to_abc(staves)
  assert changed >= 5


def test_a_clef_change_inside_a_bar_is_drawn_and_read_before_its_note():
  """`add_clef_change(..., inside_p=1)`: the change falls inside a bar of one voice, before
  an unbeamed note or rest; its token stands there (not before a barline), Verovio's MEI and
  abcm2ps's ABC draw it there, the notes from it on are renamed, and timing does not move."""
  import verovio  # pylint: disable=import-outside-toplevel
  from ocr_jax.omr import abc  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(3)
  inside = 0
  for _ in range(12):
    upper, lower = synth.piano_pair(rng, 4)
    synth.add_chords(lower, rng, 0.3)
    before = lower.tokens()
    if synth.add_clef_change(lower, rng, inside_p=1.0) is None or not lower.clef_at:
      continue
    inside += 1
    ((k, i),) = lower.clef_at.items()
    tokens = lower.tokens()
    at = tokens.index("clef-G2", 1)
    assert tokens[at - 1] not in ("barline", "chord", "voice2")
    assert tokens[at + 1] == lower.bars[k][i].token()
    assert tokens[:at] == before[:at]
    timed = events.score_from_tokens(tokens)
    assert [n.onset for n in timed.notes] == [
        n.onset for n in events.score_from_tokens(before).notes][:len(timed.notes)]
    mei = synth.system_mei([upper, lower])
    assert re.search(r'<clef shape="G" line="2"/><(note|rest|chord) ', mei)
    assert verovio.toolkit().loadData(mei)
    assert re.search(r"\[K:clef=treble\] [^|]", abc.to_abc([upper, lower]))
    assert tk.clef_change_names(tk.clef_change_names(tokens, True), False) == tokens
  assert inside >= 4


def test_opening_clef_names_are_the_places_a_clef_change_renamed():
  """`tokens.clef_change_names(..., to_opening=True)` names the notes after a clef change as
  the staff's first clef names their places: the names `synth.add_clef_change` started from,
  accidentals against the key included; back again gives the sounding names. Training
  labels (`data.clef_names = 'opening'`) take the first, the reader of such a model the
  second (`music.staff_tokens`); a model of sounding names reads as it did."""
  import types  # pylint: disable=import-outside-toplevel
  from ocr_jax.data import pipeline  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(8)
  checked = 0
  for _ in range(12):
    inc = synth.random_incipit(rng, 0, clef="F4", n_bars=4)
    synth.add_chords(inc, rng, 0.3)
    before = inc.tokens()
    if synth.add_clef_change(inc, rng) is None:
      continue
    sounding = inc.tokens()
    opening = tk.clef_change_names(sounding, to_opening=True)
    assert opening != sounding and tk.clef_change_names(opening, to_opening=False) == sounding
    if len(opening) == len(before) + len(inc.clef_changes):  # no note became a rest
      checked += 1
      assert [t for i, t in enumerate(opening) if not (i and t.startswith("clef-"))] == before
  assert checked >= 3
  g_major = "clef-G2 keySignature-GM note-F#5_quarter barline clef-F4 note-A3_quarter".split()
  assert tk.clef_change_names(g_major, to_opening=True)[-1] == "note-F#5_quarter"
  assert tk.clef_change_names(g_major[:4] + g_major[5:], to_opening=True) == (
      g_major[:4] + g_major[5:])
  split = object.__new__(pipeline.Split)
  split.source, split.opening_clefs = [{"image": None, "text": " ".join(g_major).encode()}], True
  assert split.text(0).split() == tk.clef_change_names(g_major, to_opening=True)
  reader = types.SimpleNamespace(clef_names="opening")
  assert music.staff_tokens(reader, split.text(0)) == g_major
  assert music.staff_tokens(types.SimpleNamespace(), split.text(0)) == split.text(0).split()


def test_barline_styles_are_drawn_and_leave_the_tokens():
  """`synth.add_barline_styles`: a system's double, final and repeat barlines are drawn the
  same in every staff by both engravers, and its tokens stay what they were (one `barline`
  per bar)."""
  import verovio  # pylint: disable=import-outside-toplevel
  from ocr_jax.omr import abc  # pylint: disable=import-outside-toplevel
  rng = np.random.default_rng(8)
  drawn = collections.Counter()
  for _ in range(30):
    staves = list(synth.piano_pair(rng, 4))
    before = [inc.tokens() for inc in staves]
    synth.add_barline_styles(staves, rng)
    assert [inc.tokens() for inc in staves] == before
    assert staves[0].barline_styles == staves[1].barline_styles
    mei, text = synth.system_mei(staves), abc.to_abc(staves)
    for k, style in staves[0].barline_styles.items():
      drawn[style] += 1
      assert re.findall(r'<measure[^>]*right="(\w+)"', mei)[k] == style
      assert re.findall(r"\|\]|\|\||:\||::|\|", text.splitlines()[-1].replace("|:", ""))[k] \
          == {"dbl": "||", "end": "|]", "rptend": ":|", "rptboth": "::"}[style]
    assert (('left="rptstart"' in mei) == staves[0].repeat_start
            == text.splitlines()[-1].startswith("|:"))
  assert set(drawn) == {"dbl", "end", "rptend", "rptboth"}
  assert verovio.toolkit().loadData(mei)


def test_second_voices_keep_their_own_clock(tmp_path):
  """`voice2` puts a note or rest on the staff's second clock, restarted at each barline;
  ties join notes of one voice across the other's. Generated second voices lie below the
  first, fill their bars, and mean what Verovio engraves: the MEI's timing (Verovio's own
  MIDI of it) and the MusicXML written from the tokens (read back by Verovio) give the
  tokens' notes."""
  import verovio  # pylint: disable=import-outside-toplevel
  from ocr_jax.omr import musicxml  # pylint: disable=import-outside-toplevel
  text = ("clef-G2 keySignature-CM timeSignature-2/4 note-E5_half voice2 note-C5_quarter "
          "voice2 note-D5_eighth tie voice2 note-D5_eighth barline note-G5_eighth tie "
          "voice2 rest-quarter note-G5_eighth note-F5_quarter voice2 note-B4_quarter barline")
  score = events.score_from_tokens(text)
  assert [(n.pitch, n.onset, n.duration) for n in score.notes] == [
      (76, 0, 2), (72, 0, 1), (74, 1, 1), (79, 2, 1), (77, 3, 1), (71, 3, 1)]
  assert score.length == 4 and score.bars_off_meter == 0 and score.bars_off == []
  # A second-voice rest the recognizer lost: with resync (a reading) the note after it still
  # starts no earlier than the first voice's note read before it (tokens go by onset).
  lost = text.replace("voice2 rest-quarter ", "")
  assert [n.onset for n in events.score_from_tokens(lost).notes][-1] == 2  # as read
  assert [(n.pitch, n.onset) for n in events.score_from_tokens(
      lost, resync_bars=True).notes][-2:] == [(77, 3), (71, 3)]
  assert events.score_from_tokens(text, resync_bars=True).notes == score.notes
  # A second voice that does not fill its bar is named (`--json`), and times nothing else.
  short = events.score_from_tokens("clef-G2 keySignature-CM timeSignature-2/4 note-E5_half "
                                   "barline note-E5_half voice2 note-C5_quarter barline")
  assert short.bars_off == [2] and short.bars_off_meter == 0 and short.length == 4
  # Voices read stay voices in MusicXML, also where they move together (no chord of them).
  together = events.score_from_tokens("clef-G2 keySignature-CM timeSignature-2/4 "
                                      "note-E5_half voice2 note-C5_half barline")
  assert [n.voice for n in together.notes] == [1, 2]
  text = musicxml.to_text([together])
  assert "<voice>2</voice>" in text and "<chord" not in text
  for bad in ("note-C5_quarter voice2", "voice2 barline note-C5_quarter",
              "voice2 voice2 note-C5_quarter"):
    with pytest.raises(tk.TokenError, match="'voice2' stands before a note or rest"):
      tk.parse(bad)
    assert tk.parse(tk.drop_stray_marks(bad.split()))  # a recognizer's stray mark: left out
  toolkit = verovio.toolkit()
  for seed in (2, 4):  # systems without grace notes (Verovio plays those before the beat)
    rng = np.random.default_rng(seed)
    upper, lower = synth.piano_pair(rng, 3)
    synth.add_chords(upper, rng, 0.2)
    for inc in (synth.add_voices(upper, rng, 1.0), synth.add_voices(lower, rng, 1.0)):
      assert inc.voices and "gracenote" not in " ".join(inc.tokens())
      assert inc.tokens().count("voice2") == sum(len(v) for v in inc.voices.values())
      assert events.score_from_tokens(inc.tokens()).bars_off_meter == 0
      for k, second in inc.voices.items():
        length = synth._length  # pylint: disable=protected-access
        first = [(t, t + length(e.value, e.dots), e.diatonic)
                 for t, e in zip(synth.onsets(inc.bars[k]), inc.bars[k]) if e.kind == "note"]
        for t, e in zip(synth.onsets(second), second):
          end = t + length(e.value, e.dots)
          assert e.kind == "rest" or all(e.diatonic < d for a, b, d in first if a < end and t < b)
    parts, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
    ours = midi.score_notes(parts)
    assert toolkit.loadData(synth.system_mei([upper, lower]))
    toolkit.renderToMIDIFile(str(tmp_path / "mei.mid"))
    engraved = midi.read_notes(str(tmp_path / "mei.mid"), midi.TICKS_PER_QUARTER)
    assert sorted(n.onset for n in engraved) == [n.onset for n in ours]
    xml = tmp_path / "voices.musicxml"
    musicxml.write(parts, str(xml))
    assert "<voice>2</voice>" in xml.read_text(encoding="utf-8")
    assert toolkit.loadFile(str(xml))
    toolkit.renderToMIDIFile(str(tmp_path / "back.mid"))
    back = midi.read_notes(str(tmp_path / "back.mid"), midi.TICKS_PER_QUARTER)
    assert [(n.pitch, n.onset) for n in back] == [(n.pitch, n.onset) for n in ours]


def _rest_rows(mei: str, n: int) -> tuple[list[tuple[int, int]], staff.Staff]:
  """The ink rows of the second-voice rests of staff `n` (1-based) of a Verovio system,
  found by colouring them red, and that staff as `ocr-jax omr` finds it."""
  from scipy import ndimage  # pylint: disable=import-outside-toplevel

  def red(m):
    if m.group(1) != str(n):
      return m.group(0)
    return re.sub(r'<layer n="2">.*?</layer>',
                  lambda l: l.group(0).replace("<rest ", '<rest color="#FF0000" '), m.group(0))
  rgb = engrave.engrave(re.sub(r'<staff n="(\d)">.*?</staff>', red, mei), "Leipzig",
                        engrave.SYSTEM, mode="RGB").astype(int)
  ink = (rgb[..., 0] > 160) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)
  labels, _ = ndimage.label(ndimage.binary_dilation(ink, iterations=2))
  rows = [(s[0].start + 2, s[0].stop - 2) for s in ndimage.find_objects(labels)]
  return rows, staff.find_staves(rgb.mean(-1).astype(np.uint8))[n - 1]


def test_second_voice_rests_are_drawn_inside_their_staffs_crop():
  """A generated second-voice rest is placed under the first voice's notes and inside the
  rows a staff crop keeps (`staff.MARGIN` spaces under the bottom line), so the label names
  no rest the reader cannot see; placed by Verovio alone, some fall outside."""
  inside = outside = outside_unplaced = 0
  for seed in range(6):
    rng = np.random.default_rng(seed)
    upper, lower = synth.piano_pair(rng, 3)
    synth.add_voices_and_markings([upper, lower], rng, 1.0, 0.0)
    mei = synth.system_mei([upper, lower])
    for n in (1, 2):
      for text, unplaced in ((mei, False), (re.sub(r' ploc="\w" oloc="\d"', "", mei), True)):
        rows, s = _rest_rows(text, n)
        for y0, y1 in rows:
          ok = (y0 >= s.lines[0] - staff.MARGIN * s.space
                and y1 <= s.lines[-1] + staff.MARGIN * s.space)
          if unplaced:
            outside_unplaced += not ok
          else:
            inside, outside = inside + ok, outside + (not ok)
  assert inside >= 15 and outside == 0
  assert outside_unplaced >= 3


def test_performance_markings_are_drawn_and_change_no_token():
  """`synth.add_markings`: articulations, dynamics, hairpins, slurs and pedal marks are
  engraved (MEI control events Verovio draws) while the tokens stay those of the notes, and
  the staves of the marked system are still found and cropped."""
  rng = np.random.default_rng(3)
  upper, lower = synth.piano_pair(rng, 4)
  before = upper.tokens() + lower.tokens()
  for inc in (upper, lower):
    synth.add_markings(inc, rng, 1.0)
  assert upper.tokens() + lower.tokens() == before
  mei = synth.system_mei([upper, lower])
  kinds = {m.kind for inc in (upper, lower) for marks in inc.marks.values() for m in marks}
  assert len(kinds) >= 3 and all(f"<{kind} staff=" in mei for kind in kinds)
  artics = [e for inc in (upper, lower) for bar in inc.bars for e in bar if e.artic]
  assert artics and mei.count(' artic="') == len(artics)
  staves = engrave.render_staves(mei, "Bravura", rng, count=2)
  assert len(staves) == 2 and all(s.shape[0] == 64 for s in staves)


def test_keyboard_figures_fill_their_bars_in_the_key_and_sound_as_engraved(tmp_path):
  """`synth.add_texture`: each figure fills its bar exactly, stays within two ledger lines of
  the staff and in the vocabulary; an Alberti bar runs root, fifth, third, fifth; Verovio's
  MIDI of the engraved system gives the tokens' onsets."""
  import verovio  # pylint: disable=import-outside-toplevel
  length = synth._length  # pylint: disable=protected-access
  kinds = set()
  for seed in range(40):
    rng = np.random.default_rng(seed)
    upper, lower = synth.piano_pair(rng, 3)
    synth.add_voices_and_markings([upper, lower], rng, 1.0, 0.0, texture_p=1.0)
    filled = [k for k, bar in enumerate(lower.bars) if k not in lower.voices]
    bottom = tk.clef_bottom(lower.clef)
    for bar in lower.bars:
      assert sum(length(e.value, e.dots) for e in bar if e.kind != "grace") == \
          synth.bar_length_of(lower.meter)
    for k in filled:
      notes = [e for e in lower.bars[k] if e.kind == "note"]
      heads = [d for e in notes for d in [e.diatonic] + [c.diatonic for c in e.chord]]
      assert all(bottom - 4 <= d <= bottom + 12 for d in heads)
      if len(notes) >= 8 and all(not e.chord for e in notes) and len({
          e.value for e in notes}) == 1:
        d = [e.diatonic - notes[0].diatonic for e in notes[:4]]
        if d == [0, 4, 2, 4]:
          kinds.add("alberti")
      if any(e.chord for e in notes):
        kinds.add("chords")
    assert tk.parse(lower.tokens()) and tk.parse(upper.tokens())
  assert kinds == {"alberti", "chords"}
  rng = np.random.default_rng(5)
  upper, lower = synth.piano_pair(rng, 3)
  assert synth.add_texture(lower, rng, 1.0)
  parts, _ = align.align_systems([[tk.parse(upper.tokens()), tk.parse(lower.tokens())]])
  toolkit = verovio.toolkit()
  assert toolkit.loadData(synth.system_mei([upper, lower]))
  toolkit.renderToMIDIFile(str(tmp_path / "mei.mid"))
  engraved = midi.read_notes(str(tmp_path / "mei.mid"), midi.TICKS_PER_QUARTER)
  # Onsets, as for second voices above: Verovio's MIDI of this MEI plays some notes the key
  # signature flattens natural (the engraving shows the signature).
  assert sorted(n.onset for n in engraved) == [n.onset for n in midi.score_notes(parts)]
