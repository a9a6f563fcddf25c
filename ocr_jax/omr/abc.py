"""A second engraver: generated music written as ABC and engraved by abcm2ps (Debian).

Everything `ocr-jax omr` trains on is engraved by Verovio; users bring music engraved by
other programs. abcm2ps (`apt-get install abcm2ps ghostscript`) draws its own glyphs in
PostScript, spaces, beams and places accidentals its own way, and Ghostscript rasterises its
EPS: no code is shared with `omr/engrave.py` past the music itself (`omr/synth.Incipit`).
That makes development sets that measure how reading carries to another engraver
(`launch/evaluate_piano.py --engraver abcm2ps`). LilyPond stays test-only, out of reach here.

The ABC is written the way the MEI is (`synth._layers`): the same displayed accidentals
(from the key and earlier notes of the bar, none on a tie's end), beams over the same
groups (ABC beams notes written without a space between them), graces as slashed eighths
(`{/c}`) or sixteenths (`{c/}`), fermatas, ties, chords (`[CEG]`), multirests (`Z4`),
second voices as overlays of their bars (`c4 d4 & A8`), clef changes as inline fields
(`[K:clef=bass]`), double, final and repeat barlines (`||`, `|]`, `|:`, `:|`, `::`), and
performance markings as decorations (`.c`, `!p!`, `!crescendo(!`) and slurs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

from ocr_jax.omr import synth
from ocr_jax.omr import tokens as tk

UNIT = 128  # L:1/128: every value, dotted or double-dotted, is a whole number of units
_CLEFS = {"G2": "treble", "G1": "treble1", "F4": "bass", "F3": "bass3", "F5": "bass5",
          "C1": "alto1", "C2": "alto2", "C3": "alto", "C4": "tenor", "C5": "alto5"}
_METERS = {"C": "C", "C/": "C|"}
# MEI @right (`synth.add_barline_styles`) -> ABC bar line
_BARLINES = {"single": "|", "dbl": "||", "end": "|]", "rptend": ":|", "rptboth": "::"}
_ACCID = {-1: "_", 0: "=", 1: "^"}
_ARTICS = {"stacc": ".", "acc": "!>!", "ten": "!tenuto!", "marc": "!>!", "stacciss": "!wedge!"}
_HAIRPINS = {"cres": "crescendo", "dim": "diminuendo"}


class AbcError(RuntimeError):
  """abcm2ps or Ghostscript is missing, or failed on an input."""


def _pitch(e: synth.Event) -> str:
  """ABC letter and octave marks: C4 = 'C', C5 = 'c', C6 = "c'", B3 = 'B,'."""
  if e.octave >= 5:
    return e.step.lower() + "'" * (e.octave - 5)
  return e.step + "," * (4 - e.octave)


def _length(value: str, dots: int) -> int:
  units = synth._length(value, dots) * UNIT / 4  # pylint: disable=protected-access
  if units.denominator != 1:
    raise ValueError(f"{value} with {dots} dots is not a whole number of 1/{UNIT} notes")
  return int(units)


def _bars(inc: synth.Incipit) -> list[str]:
  """The ABC of each bar of the incipit (a leading multirest is a bar)."""
  beat = synth.beat_of(inc.meter)
  key = tk.key_alters(inc.key)
  out = [f"Z{inc.multirest}"] if inc.multirest else []
  flat = [e for bar in inc.bars for e in bar]
  # A tie is drawn to the next note of its pitch only (abcm2ps refuses a tie to a rest,
  # which the generator writes when the tied-to note has no token; its tie means nothing).
  drawn = {id(e) for e, nxt in zip(flat, flat[1:]) if e.tie and nxt.kind == "note"
           and (nxt.diatonic, nxt.alter) == (e.diatonic, e.alter)}
  tied = False
  for k, bar in enumerate(inc.bars):
    shown: dict[tuple[str, int], int] = {}
    items = {}  # id(event) -> its ABC
    before, after = _markings(inc, k)
    for v, e in inc.merged(k):  # accidentals as a reader meets both voices' notes
      fermata = before.get(id(e), "") + ("!fermata!" if e.fermata else "")
      if e.kind == "rest":
        items[id(e)] = f"{fermata}z{_length(e.value, e.dots)}"
        tied = tied and v == 2
        continue
      notes = ""
      for c in (e,) + e.chord:
        current = shown.get((c.step, c.octave), key[c.step])
        shown_now = c.alter != current and not (
            v == 1 and tied and not e.chord and e.kind == "note")
        notes += (_ACCID[c.alter] if shown_now else "") + _pitch(c)
        shown[(c.step, c.octave)] = c.alter
      if e.kind == "grace":
        items[id(e)] = "{/" + notes + "}" if e.value == "eighth" else "{" + notes + "/}"
        continue
      if e.chord:
        notes = f"[{notes}]"
      if v == 1:
        tied = id(e) in drawn and not e.chord
      items[id(e)] = (f"{fermata}{notes}{_length(e.value, e.dots)}"
                      f"{'-' if v == 1 and tied else ''}{after.get(id(e), '')}")
    voices = []
    for events in [bar] + ([inc.voices[k]] if k in inc.voices else []):
      beamed = set()
      if inc.beamed:
        for group in synth.beam_groups(events, beat):
          beamed.update(group[:-1])
      text = ""
      for i, e in enumerate(events):  # a grace note sticks to the note it ornaments
        item = items[id(e)]
        if k in inc.clef_at and events is bar and i == inc.clef_at[k]:  # never in a beam
          item = f"[K:clef={_CLEFS[inc.clef_changes[k]]}] {item}"
        text += item + ("" if i in beamed or item.startswith("{") else " ")
      voices.append(text.strip())
    if k + 1 in inc.clef_changes and k + 1 not in inc.clef_at:  # drawn before the barline
      voices[0] += f" [K:clef={_CLEFS[inc.clef_changes[k + 1]]}]"
    out.append(" & ".join(voices))  # a second voice is an overlay of its bar
  return out


def _markings(inc: synth.Incipit, k: int) -> tuple[dict, dict]:
  """The performance markings of bar `k` (`synth.add_markings`) as ABC written before and
  after the first voice's notes (id(event) -> text): articulations and dynamics as
  decorations, hairpins as !crescendo(! ... !crescendo)!, slurs as ( ... )."""
  notes = {t: e for t, e in zip(synth.onsets(inc.bars[k]), inc.bars[k]) if e.kind == "note"}
  before = {id(e): _ARTICS[e.artic] for e in notes.values() if e.artic}
  after: dict[int, str] = {}
  for mark in inc.marks.get(k, ()):
    start = notes.get(mark.start) if mark.kind != "pedal" else next(iter(notes.values()), None)
    end = notes.get(mark.end) if mark.kind in ("slur", "hairpin") else None
    if start is None or (mark.kind in ("slur", "hairpin") and end is None):
      continue
    if mark.kind == "dynam":
      text = "sfz" if mark.text == "sf" else mark.text
      before[id(start)] = f"!{text}!" + before.get(id(start), "")
    elif mark.kind == "pedal":
      before[id(start)] = "!ped!" + before.get(id(start), "")
    elif mark.kind == "hairpin":
      form = _HAIRPINS[mark.text]
      before[id(start)] = f"!{form}(!" + before.get(id(start), "")
      before[id(end)] = before.get(id(end), "") + f"!{form})!"
    elif mark.kind == "slur":
      before[id(start)] = "(" + before.get(id(start), "")
      after[id(end)] = after.get(id(end), "") + ")"
  return before, after


def to_abc(staves: list[synth.Incipit], *, brace: bool = True, joined_bars: bool = False,
           scale: float = 0.75, spacing: float = 1.414) -> str:
  """One tune: the incipits as one staff each, braced into a system when there are several
  (`joined_bars`: barlines drawn through the system). Staves of a system need equal key,
  meter and bar count, like `synth.system_mei`'s."""
  bars = [_bars(inc) for inc in staves]
  if len(staves) > 1 and (len({len(b) for b in bars}) != 1 or any(i.multirest for i in staves)):
    raise ValueError("the staves of a system need equal bar counts and no multirests")
  first = staves[0]
  lines = ["X:1", f"L:1/{UNIT}", f"M:{_METERS.get(first.meter, first.meter)}",
           "%%deco fp 6 pf 18 1 1 fp",  # abcm2ps has no fp (forte-piano) of its own
           f"%%scale {scale:.3f}", f"%%notespacingfactor {spacing:.3f}", "%%pagewidth 200cm",
           "%%graceslurs 0", "%%topspace 0", "%%titlespace 0"]
  if len(staves) > 1:
    voices = (" | " if joined_bars else " ").join(str(n + 1) for n in range(len(staves)))
    lines.append(f"%%score {'{' if brace else '['}{voices}{'}' if brace else ']'}")
  lines.append(f"K:{first.key}")
  for n, (inc, body) in enumerate(zip(staves, bars)):
    lines.append(f"V:{n + 1} clef={_CLEFS[inc.clef]}")
    ends = ["|"] * bool(inc.multirest) + [  # `body` opens with the multirest's bar
        _BARLINES[inc.barline_styles.get(k, "single")] for k in range(len(inc.bars))]
    lines.append("|: " * inc.repeat_start + "".join(
        f"{bar} {end} " for bar, end in zip(body, ends)).strip())
  return "\n".join(lines) + "\n"


def check_requirements() -> None:
  missing = [p for p in ("abcm2ps", "gs") if shutil.which(p) is None]
  if missing:
    raise AbcError(f"{' and '.join(missing)} not found: apt-get install abcm2ps ghostscript")


def engrave(abc: str, dpi: int = 200, antialias: bool = True) -> np.ndarray:
  """The tune engraved by abcm2ps and rasterised by Ghostscript: grey uint8, black on white,
  cropped to the music's bounding box."""
  check_requirements()
  with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "tune.abc")
    with open(src, "w") as f:
      f.write(abc)
    proc = subprocess.run(["abcm2ps", "-q", "-E", "-O", os.path.join(tmp, "tune.eps"), src],
                          capture_output=True, text=True, check=False)
    eps = sorted(p for p in os.listdir(tmp) if p.endswith(".eps"))
    if proc.returncode or not eps:
      raise AbcError(f"abcm2ps failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    png = os.path.join(tmp, "tune.png")
    bits = 4 if antialias else 1
    proc = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray",
                           f"-r{dpi}", "-dEPSCrop", f"-dGraphicsAlphaBits={bits}",
                           f"-dTextAlphaBits={bits}", f"-sOutputFile={png}",
                           os.path.join(tmp, eps[0])], capture_output=True, text=True,
                          check=False)
    if proc.returncode or not os.path.exists(png):
      raise AbcError(f"Ghostscript failed: {proc.stderr.strip()[-300:]}")
    grey = np.asarray(Image.open(png).convert("L"))
  ink = np.argwhere(grey < 128)
  if not len(ink):
    raise AbcError("abcm2ps drew nothing")
  (y0, x0), (y1, x1) = ink.min(0), ink.max(0)
  pad = max(4, dpi // 15)
  return np.pad(grey[y0:y1 + 1, x0:x1 + 1], pad, constant_values=255)


def random_options(rng: np.random.Generator) -> dict:
  """Engraving settings that vary like printed editions: size, spacing, resolution."""
  return {"scale": float(rng.uniform(0.6, 0.95)), "spacing": float(rng.uniform(1.2, 1.7)),
          "brace": True, "joined_bars": bool(rng.random() < 0.5)}


def engrave_random(staves: list[synth.Incipit], rng: np.random.Generator) -> np.ndarray:
  """`staves` engraved with `random_options`, at 150-300 dpi, antialiased or not."""
  options = random_options(rng)
  return engrave(to_abc(staves, **options), dpi=int(rng.integers(150, 301)),
                 antialias=bool(rng.random() < 0.8))
