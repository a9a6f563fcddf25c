"""Parts on one clock (`align.align_systems`) -> a MusicXML file, written by music21.

Why music21 (the `musicxml` extra): it turns timed notes into notation (measures from the
time signatures, notes split and tied across barlines, rests in the gaps, note types and
dots) and writes MusicXML that notation programs open, also compressed (.mxl). Verovio reads
MusicXML but does not write it. Parts of one system become the staves of one instrument
joined by a brace (a piano's two hands); notes of a part struck together with the same
length are a chord, notes read in a staff's second voice (`voice2`) go to a second voice,
and notes that overlap otherwise go to separate voices; a note keeps the
spelling read (F#4, not Gb4). Grace notes are written as
grace notes, fermatas as fermatas. No JAX.
"""
from __future__ import annotations

import re
import zipfile
from fractions import Fraction

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
      groups.setdefault((n.onset, n.duration, n.grace, n.voice), []).append(n)
    voices, ends = [], []  # notes that overlap without sharing onset and length: voices
    for (onset, duration, grace, read), notes in sorted(groups.items(),
                                                         key=lambda kv: kv[0][:2]):
      pitches = [_pitch(n) for n in sorted(notes, key=lambda n: n.pitch)]
      item = note.Note(pitches[0]) if len(pitches) == 1 else chord.Chord(pitches)
      item.quarterLength = float(duration)
      if grace:
        item = item.getGrace()
      if any(n.fermata for n in notes):
        item.expressions.append(expressions.Fermata())
      # A second voice read (`voice2`) never shares the first voice's stream.
      first = 1 if read == 2 else 0
      while len(voices) < first:
        voices.append(stream.Voice())
        ends.append(Fraction(0))
      v = next((k for k, end in enumerate(ends) if k >= first and end <= onset), len(voices))
      if v == len(voices):
        voices.append(stream.Voice())
        ends.append(onset)
      voices[v].insert(float(onset), item)
      ends[v] = max(ends[v], onset + (0 if grace else duration))
    if len(voices) == 1:
      for item in voices[0].notes:
        staff.insert(item.offset, item)
    else:
      for k, v in enumerate(voices):
        v.id = k + 1
        v.makeRests(refStreamOrTimeRange=[0.0, float(part.length)], fillGaps=True,
                    inPlace=True, hideRests=k > 0)
        staff.insert(0, v)
    staves.append(staff)
    score.insert(0, staff)
  if len(staves) > 1:
    score.insert(0, layout.StaffGroup(staves, symbol="brace", barTogether=True))
  return score


_CONTAINER = ('<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
              '<rootfile full-path="score.musicxml" media-type='
              '"application/vnd.recordare.musicxml+xml"/></rootfiles></container>')


def to_text(parts: list[ev.Score]) -> str:
  """The parts as MusicXML text. music21 numbers voices from 0; MusicXML readers (Verovio)
  expect them from 1, so they are renumbered."""
  from music21.musicxml import m21ToXml  # pylint: disable=g-import-not-at-top
  text = m21ToXml.GeneralObjectExporter(to_music21(parts)).parse().decode("utf-8")
  if "<voice>0</voice>" in text:
    text = re.sub(r"<voice>(\d+)</voice>", lambda m: f"<voice>{int(m.group(1)) + 1}</voice>",
                  text)
  return text


def write(parts: list[ev.Score], path: str) -> None:
  """Writes the parts as MusicXML (`.mxl`: compressed, one score in a MusicXML container)."""
  text = to_text(parts)
  if not path.lower().endswith(".mxl"):
    with open(path, "w", encoding="utf-8") as f:
      f.write(text)
    return
  with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("mimetype", "application/vnd.recordare.musicxml", zipfile.ZIP_STORED)
    z.writestr("META-INF/container.xml", _CONTAINER)
    z.writestr("score.musicxml", text)
