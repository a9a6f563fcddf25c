"""Parts on one clock (`events.align_systems`) -> a MusicXML file, written by music21.

Why music21 (the `musicxml` extra): it turns timed notes into notation (measures from the
time signatures, notes split and tied across barlines, rests in the gaps, note types and
dots) and writes MusicXML that notation programs open, also compressed (.mxl). Verovio reads
MusicXML but does not write it. Parts of one system become the staves of one instrument
joined by a brace (a piano's two hands); notes of a part struck together with the same
length are a chord; a note keeps the spelling read (F#4, not Gb4). Grace notes are written as
grace notes, fermatas as fermatas. No JAX.
"""
from __future__ import annotations

from ocr_jax.omr import events as ev

_KEY_SHARPS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1,
               "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}


def _pitch(n: ev.NoteEvent):
  from music21 import pitch  # pylint: disable=g-import-not-at-top
  if n.name:
    return pitch.Pitch(n.name.replace("b", "-") if len(n.name) > 1 else n.name)
  return pitch.Pitch(midi=n.pitch)


def to_music21(parts: list[ev.Score]):
  """A music21 Score of the parts (module doc)."""
  from music21 import (  # pylint: disable=g-import-not-at-top
      chord, clef, expressions, key, layout, meter, note, stream)
  score = stream.Score()
  staves = []
  for part in parts:
    staff = stream.PartStaff() if len(parts) > 1 else stream.Part()
    for at, name in part.clefs:
      staff.insert(float(at), clef.clefFromString(name))
    for at, name in part.key_signatures:
      staff.insert(float(at), key.KeySignature(_KEY_SHARPS.get(name, 0)))
    for at, time in part.time_signatures:
      staff.insert(float(at), meter.TimeSignature(
          {"C": "c", "C/": "cut"}.get(time.symbol, f"{time.numerator}/{time.denominator}")))
    groups: dict[tuple, list[ev.NoteEvent]] = {}
    for n in part.notes:
      groups.setdefault((n.onset, n.duration, n.grace), []).append(n)
    for (onset, duration, grace), notes in sorted(groups.items(), key=lambda kv: kv[0][:2]):
      pitches = [_pitch(n) for n in sorted(notes, key=lambda n: n.pitch)]
      item = note.Note(pitches[0]) if len(pitches) == 1 else chord.Chord(pitches)
      item.quarterLength = float(duration)
      if grace:
        item = item.getGrace()
      if any(n.fermata for n in notes):
        item.expressions.append(expressions.Fermata())
      staff.insert(float(onset), item)
    staves.append(staff)
    score.insert(0, staff)
  if len(staves) > 1:
    score.insert(0, layout.StaffGroup(staves, symbol="brace", barTogether=True))
  return score


def write(parts: list[ev.Score], path: str) -> None:
  """Writes the parts as MusicXML (`.mxl`: compressed)."""
  score = to_music21(parts)
  score.write("mxl" if path.lower().endswith(".mxl") else "musicxml", fp=path)
