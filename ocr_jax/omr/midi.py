"""Scores -> standard MIDI files with mido, and MIDI files -> notes (to check round trips).

Defaults: 120 bpm, 480 ticks per quarter, one track: tempo, time and key signature meta
events at their positions, notes on channel 0 (piano, velocity 80; grace notes 64). Parts
that sound together (a piano's two staves) make a type-1 file: the first track holds tempo,
time and key (of the first part), then one track of notes per part, part k on channel k
(skipping 9, General MIDI's drums).
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import mido

from ocr_jax.omr import events as ev

TICKS_PER_QUARTER = 480
DEFAULT_BPM = 120.0


@dataclasses.dataclass(frozen=True)
class MidiNote:
  pitch: int
  onset: int  # ticks
  duration: int  # ticks


def _ticks(q: Fraction, tpq: int) -> int:
  return int(round(q * tpq))


def _meta(score: ev.Score, bpm: float, tpq: int) -> list:
  messages = [(0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))]
  for at, time in score.time_signatures:
    messages.append((_ticks(at, tpq), 0, mido.MetaMessage(
        "time_signature", numerator=time.numerator, denominator=time.denominator, time=0)))
  for at, key in score.key_signatures:
    messages.append((_ticks(at, tpq), 0, mido.MetaMessage("key_signature", key=key, time=0)))
  return messages


def _notes(score: ev.Score, tpq: int, channel: int = 0) -> list:
  messages = []
  for n in score.notes:
    on, off = _ticks(n.onset, tpq), _ticks(n.onset + n.duration, tpq)
    velocity = 64 if n.grace else 80
    # At equal times: note-offs (order 1) before note-ons (order 2), so repeated pitches work.
    messages.append((on, 2, mido.Message("note_on", channel=channel, note=n.pitch,
                                         velocity=velocity, time=0)))
    messages.append((max(off, on + 1), 1,
                     mido.Message("note_off", channel=channel, note=n.pitch, velocity=0,
                                  time=0)))
  return messages


def _track(messages: list, end: int) -> mido.MidiTrack:
  messages.sort(key=lambda m: (m[0], m[1]))
  track = mido.MidiTrack()
  now = 0
  for at, _, msg in messages:
    track.append(msg.copy(time=at - now))
    now = at
  track.append(mido.MetaMessage("end_of_track", time=max(now, end) - now))
  return track


def to_midi(score: ev.Score, bpm: float = DEFAULT_BPM,
            ticks_per_quarter: int = TICKS_PER_QUARTER) -> mido.MidiFile:
  midi = mido.MidiFile(ticks_per_beat=ticks_per_quarter, type=0)
  midi.tracks.append(_track(_meta(score, bpm, ticks_per_quarter)
                            + _notes(score, ticks_per_quarter),
                            _ticks(score.length, ticks_per_quarter)))
  return midi


def parts_to_midi(parts: list[ev.Score], bpm: float = DEFAULT_BPM,
                  ticks_per_quarter: int = TICKS_PER_QUARTER) -> mido.MidiFile:
  """Parts on one clock -> one file: `to_midi` for one part, else type 1 (module doc)."""
  if len(parts) == 1:
    return to_midi(parts[0], bpm, ticks_per_quarter)
  end = max(_ticks(p.length, ticks_per_quarter) for p in parts)
  midi = mido.MidiFile(ticks_per_beat=ticks_per_quarter, type=1)
  midi.tracks.append(_track(_meta(parts[0], bpm, ticks_per_quarter), end))
  channels = [c for c in range(16) if c != 9]
  for k, part in enumerate(parts):
    midi.tracks.append(_track(_notes(part, ticks_per_quarter, channels[k % 15]), end))
  return midi


def write(score: ev.Score, path: str, bpm: float = DEFAULT_BPM,
          ticks_per_quarter: int = TICKS_PER_QUARTER) -> None:
  to_midi(score, bpm, ticks_per_quarter).save(path)


def write_parts(parts: list[ev.Score], path: str, bpm: float = DEFAULT_BPM,
                ticks_per_quarter: int = TICKS_PER_QUARTER) -> None:
  parts_to_midi(parts, bpm, ticks_per_quarter).save(path)


def read_notes(path: str, ticks_per_quarter: int | None = None) -> list[MidiNote]:
  """The notes of a MIDI file (any track), sorted by onset then pitch; in the file's ticks,
  or rescaled to `ticks_per_quarter` (to compare files written at other resolutions)."""
  midi = mido.MidiFile(path)
  scale = Fraction(ticks_per_quarter or midi.ticks_per_beat, midi.ticks_per_beat)
  notes, open_notes = [], {}
  for track in midi.tracks:
    now = 0
    for msg in track:
      now += msg.time
      if msg.type == "note_on" and msg.velocity > 0:
        open_notes.setdefault((msg.channel, msg.note), []).append(now)
      elif msg.type in ("note_off", "note_on"):
        starts = open_notes.get((msg.channel, msg.note))
        if starts:
          start = starts.pop(0)
          notes.append(MidiNote(msg.note, round(start * scale), round((now - start) * scale)))
  return sorted(notes, key=lambda n: (n.onset, n.pitch))


def score_notes(score: ev.Score | list[ev.Score],
                ticks_per_quarter: int = TICKS_PER_QUARTER):
  """The notes a score (or parts on one clock) should produce in a MIDI file, in read_notes'
  form."""
  out = []
  for n in (score.notes if isinstance(score, ev.Score) else [n for p in score for n in p.notes]):
    on = _ticks(n.onset, ticks_per_quarter)
    off = max(_ticks(n.onset + n.duration, ticks_per_quarter), on + 1)
    out.append(MidiNote(n.pitch, on, off - on))
  return sorted(out, key=lambda n: (n.onset, n.pitch))


def note_matches(reference: list[MidiNote], predicted: list[MidiNote],
                 tolerance: int = 0) -> int:
  """Predicted notes matching a reference note's pitch and onset (within `tolerance` ticks),
  each reference note matched at most once."""
  pool = {}
  for n in reference:
    pool.setdefault(n.pitch, []).append(n.onset)
  hits = 0
  for n in predicted:
    onsets = pool.get(n.pitch, [])
    match = next((o for o in onsets if abs(o - n.onset) <= tolerance), None)
    if match is not None:
      onsets.remove(match)
      hits += 1
  return hits


def note_f1(reference: list[MidiNote], predicted: list[MidiNote], tolerance: int = 0):
  """Precision, recall and F1 of (pitch, onset) matches (`note_matches`)."""
  hits = note_matches(reference, predicted, tolerance)
  p = hits / len(predicted) if predicted else float(not reference)
  r = hits / len(reference) if reference else float(not predicted)
  return p, r, (2 * p * r / (p + r) if p + r else 0.0)
