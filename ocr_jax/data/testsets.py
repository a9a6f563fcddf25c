"""Held-out English print test sets for the comparison with other engines.

  python -m ocr_jax.data.testsets --out /tmp/ocr_testsets [--lines 400 --pages 12]

writes five folders, each rendered only in `render.TEST_FONTS` (faces no training or
validation split uses) from the validation tenth of the bundled prose (text no training split
uses), so nothing here was trained on:

  clean/     line images at 300 dpi print size (10-12 pt: 40-50 px lines), black on white,
             + labels.tsv (`filename<TAB>text`)
  degraded/  the same kind of text with the print profile's scan and camera effects at the
             same resolution (ink bleed, broken strokes, binarisation, noise, JPEG, blur,
             rotation, uneven light, neighbouring lines' strokes), + labels.tsv
  pages/     one-column pages (page_NNN.png + page_NNN.gt.txt, one line of text per printed
             line), slightly rotated and noisy; lines/ holds the same pages' lines cut at
             their true boxes, + labels.tsv, so page-level and line-level CER can be compared
  camera/    pages of the same kind as a phone camera or a poor scan sees them (page_NNN.png +
             page_NNN.gt.txt): keystone perspective, rotation, uneven light and a shadow, the
             table showing past some edges, lower resolution, blur, noise, JPEG
  crops/     clean lines as other segmenters cut them: flush with the ink, or with up to
             1.5 ink heights of paper above and below and 2 at the sides, + labels.tsv

Lines are 10-60 characters (longer than the training lines, up to 40), so the sets also test
reading longer lines than the model saw. Deterministic: same arguments, same files.
"""
from __future__ import annotations

import argparse
import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ocr_jax.data import render

SEED = 20261122


def _text(rng, max_chars: int, min_chars: int = 10) -> str:
  """A window of validation prose (or, one time in five, a mixed/number string)."""
  for _ in range(50):
    text = render.sample_text(rng, "validation", max_chars)
    if len(text) >= min_chars or rng.random() < 0.15:
      return text
  return text


def write_labels(folder: str, rows) -> None:
  with open(os.path.join(folder, "labels.tsv"), "w", encoding="utf-8") as f:
    for name, text in rows:
      f.write(f"{name}\t{text}\n")


def read_labels(folder: str) -> list[tuple[str, str]]:
  """`labels.tsv` of a folder -> [(filename, text)]; raises ValueError naming a bad line."""
  path = os.path.join(folder, "labels.tsv")
  rows = []
  with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
      line = line.rstrip("\r\n")
      if not line.strip():
        continue
      name, tab, text = line.partition("\t")
      if not tab:
        raise ValueError(f"{path}:{n}: expected filename<TAB>text")
      rows.append((name, text))
  return rows


def clean_line(text: str, font: str, rng) -> np.ndarray:
  size = int(rng.integers(38, 51))  # 9-12 pt at 300 dpi
  return np.asarray(render.render_clean(text, font, size, rng, ink=0, paper=255))


def degraded_line(text: str, font: str, rng) -> np.ndarray:
  return render.render_line(text, font, rng, height=int(rng.integers(40, 56)), profile="print")


def make_lines(out: str, num: int, degraded: bool, seed: int) -> None:
  os.makedirs(out, exist_ok=True)
  rows = []
  for i in range(num):
    rng = np.random.default_rng([seed, int(degraded), i])
    font = render.TEST_FONTS[i % len(render.TEST_FONTS)]
    text = _text(rng, 60)
    img = degraded_line(text, font, rng) if degraded else clean_line(text, font, rng)
    name = f"line_{i:04d}.png"
    Image.fromarray(img).save(os.path.join(out, name))
    rows.append((name, text))
  write_labels(out, rows)


def _wrap(words: list[str], font, width: int) -> list[str]:
  lines, cur = [], ""
  for w in words:
    cand = f"{cur} {w}" if cur else w
    if cur and font.getlength(cand) > width:
      lines.append(cur)
      cur = w
    else:
      cur = cand
  if cur:
    lines.append(cur)
  return lines


def render_page(rng, font_name: str, *, width: int = 1700, size: int = 40,
                num_lines: int = 18):
  """A one-column page of validation prose: (grey page as printed: rotated, blurred, noisy;
  its lines of text; their boxes on the unrotated page; the unrotated clean page; the
  rotation in degrees, counter-clockwise)."""
  font = render._font(font_name, size)  # pylint: disable=protected-access
  prose = render.load_prose("validation")
  words = []
  while len(words) < num_lines * 14:
    words += prose[rng.integers(len(prose))].split()
  margin = int(rng.integers(100, 180))
  lines = _wrap(words, font, width - 2 * margin)[:num_lines]
  leading = int(size * rng.uniform(1.25, 1.6))
  ascent, descent = font.getmetrics()
  height = 2 * margin + leading * len(lines)
  page = Image.new("L", (width, height), 255)
  draw = ImageDraw.Draw(page)
  boxes = []
  for n, text in enumerate(lines):
    y = margin + n * leading
    draw.text((margin, y), text, font=font, fill=0)
    x0, y0, x1, y1 = draw.textbbox((margin, y), text, font=font)
    top = max(0, y - (leading - ascent - descent) // 2)
    boxes.append((margin - 8, top, x1 + 8, min(height, top + leading)))
  angle = float(rng.uniform(-2.0, 2.0))
  rotated = page.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=255)
  if rng.random() < 0.5:
    rotated = rotated.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
  arr = np.asarray(rotated, np.float32) + rng.normal(0, rng.uniform(2, 10), rotated.size[::-1])
  return np.clip(arr, 0, 255).astype(np.uint8), lines, boxes, page, angle


def make_pages(out: str, num: int, seed: int) -> None:
  os.makedirs(os.path.join(out, "lines"), exist_ok=True)
  line_rows = []
  for i in range(num):
    rng = np.random.default_rng([seed, 2, i])
    font = render.TEST_FONTS[i % len(render.TEST_FONTS)]
    page, lines, boxes, unrotated, _ = render_page(rng, font, size=int(rng.integers(36, 46)))
    Image.fromarray(page).save(os.path.join(out, f"page_{i:03d}.png"))
    with open(os.path.join(out, f"page_{i:03d}.gt.txt"), "w", encoding="utf-8") as f:
      f.write("\n".join(lines) + "\n")
    for n, (text, box) in enumerate(zip(lines, boxes)):
      name = f"page_{i:03d}_{n:02d}.png"
      unrotated.crop(box).save(os.path.join(out, "lines", name))
      line_rows.append((name, text))
  write_labels(os.path.join(out, "lines"), line_rows)


def _perspective_coeffs(src, dst) -> list[float]:
  """Pillow's PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
  a, b = [], []
  for (x, y), (u, v) in zip(dst, src):
    a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
    a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    b += [u, v]
  return np.linalg.solve(np.array(a, np.float64), np.array(b, np.float64)).tolist()


def photograph(page: Image.Image, rng) -> np.ndarray:
  """A clean page (mode L) as a phone camera or a poor scan sees it: on a dark table that
  shows past 0-4 edges, keystoned (corners moved by up to 3 % of the width) and rotated by up
  to 3 degrees, lit by a gradient (edge 55-85 % as bright) and a soft shadow, scaled to
  55-80 %, blurred, noisy and JPEG-compressed. uint8[H, W]."""
  w, h = page.size
  sides = [int(rng.uniform(0.02, 0.08) * (w if k % 2 == 0 else h)) if rng.random() < 0.5
           else 0 for k in range(4)]  # left, top, right, bottom
  cw, ch = w + sides[0] + sides[2], h + sides[1] + sides[3]
  table = int(rng.integers(20, 80))
  canvas = Image.new("L", (cw, ch), table)
  canvas.paste(page, (sides[0], sides[1]))
  corners = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
  moved = [(x + rng.uniform(-0.03, 0.03) * cw, y + rng.uniform(-0.03, 0.03) * cw)
           for x, y in corners]
  canvas = canvas.transform((cw, ch), Image.PERSPECTIVE, _perspective_coeffs(corners, moved),
                            resample=Image.BILINEAR, fillcolor=table)
  canvas = canvas.rotate(float(rng.uniform(-3.0, 3.0)), resample=Image.BILINEAR,
                         fillcolor=table)
  scale = rng.uniform(0.55, 0.8)
  canvas = canvas.resize((int(cw * scale), int(ch * scale)), Image.LANCZOS)
  canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
  arr = np.asarray(canvas, np.float32)
  yy, xx = np.mgrid[0:arr.shape[0], 0:arr.shape[1]]
  theta = rng.uniform(0, 2 * np.pi)
  ramp = (xx * np.cos(theta) + yy * np.sin(theta)).astype(np.float32)
  ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
  light = 1.0 - (1.0 - rng.uniform(0.55, 0.85)) * ramp
  centre, width = rng.uniform(0.2, 0.8) * arr.shape[1], rng.uniform(0.05, 0.2) * arr.shape[1]
  light *= 1.0 - rng.uniform(0.1, 0.3) * np.exp(-0.5 * ((xx - centre) / width) ** 2)
  arr = arr * light + rng.normal(0, rng.uniform(3, 8), arr.shape)
  buf = io.BytesIO()
  Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(
      buf, "JPEG", quality=int(rng.integers(50, 86)))
  return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))


def make_camera_pages(out: str, num: int, seed: int) -> None:
  os.makedirs(out, exist_ok=True)
  for i in range(num):
    rng = np.random.default_rng([seed, 3, i])
    font = render.TEST_FONTS[(i + 3) % len(render.TEST_FONTS)]
    _, lines, _, clean, _ = render_page(rng, font, size=int(rng.integers(36, 46)))
    Image.fromarray(photograph(clean, rng)).save(os.path.join(out, f"page_{i:03d}.png"))
    with open(os.path.join(out, f"page_{i:03d}.gt.txt"), "w", encoding="utf-8") as f:
      f.write("\n".join(lines) + "\n")


def make_crops(out: str, num: int, seed: int) -> None:
  """Clean lines as other segmenters cut them: each cut to its ink, then given margins of
  white paper drawn from 0-1.5 ink heights above and below and 0-2 at each side (flush with
  the ink up to far looser than any training line)."""
  os.makedirs(out, exist_ok=True)
  rows = []
  for i in range(num):
    rng = np.random.default_rng([seed, 4, i])
    text = _text(rng, 60)
    grey = clean_line(text, render.TEST_FONTS[(i + 5) % len(render.TEST_FONTS)], rng)
    ys, xs = np.nonzero(grey < 128)
    ink = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h = ink.shape[0]
    top, bottom = (int(round(m * h)) for m in rng.uniform(0, 1.5, 2))
    left, right = (int(round(m * h)) for m in rng.uniform(0, 2, 2))
    name = f"line_{i:04d}.png"
    Image.fromarray(np.pad(ink, ((top, bottom), (left, right)), constant_values=255)).save(
        os.path.join(out, name))
    rows.append((name, text))
  write_labels(out, rows)


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", required=True, help="folder to write the sets under")
  parser.add_argument("--lines", type=int, default=400, help="lines per line set")
  parser.add_argument("--pages", type=int, default=12, help="pages per page set")
  parser.add_argument("--seed", type=int, default=SEED,
                      help="another seed draws other lines (the published figures use the default)")
  args = parser.parse_args(argv)
  make_lines(os.path.join(args.out, "clean"), args.lines, False, args.seed)
  make_lines(os.path.join(args.out, "degraded"), args.lines, True, args.seed)
  make_pages(os.path.join(args.out, "pages"), args.pages, args.seed)
  make_camera_pages(os.path.join(args.out, "camera"), args.pages, args.seed)
  make_crops(os.path.join(args.out, "crops"), args.lines, args.seed)
  print(f"wrote {args.lines} clean + {args.lines} degraded lines, {args.pages} + "
        f"{args.pages} camera pages and {args.lines} re-cropped lines under {args.out}")


if __name__ == "__main__":
  main()
