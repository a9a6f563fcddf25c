"""Writes tests/data/bad_inputs/: files that `read` and `compare` must survive, and expected.tsv.

  python tests/data/make_bad_inputs.py

Each file either holds a line the tests' overfit model knows (then `text:<its text>` is
expected, whatever odd encoding carries it; `result:` where the encoding changes the pixels,
so that any text will do) or cannot be read (then `error:<phrase>` is expected in the
one-line message). The files are committed (69 KB in all); this script
documents how each was made and rebuilds them.
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bad_inputs")
TEXT = "hello world"  # tests/test_read.py's overfit model reads it exactly


def line() -> Image.Image:
  import sys  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
  from ocr_jax.data import render  # pylint: disable=g-import-not-at-top
  return Image.fromarray(render.render_line(TEXT, "DejaVuSans.ttf", np.random.default_rng(0),
                                            augment=False))


def png_bytes(img, **kw) -> bytes:
  buf = io.BytesIO()
  img.save(buf, format="PNG", **kw)
  return buf.getvalue()


def claimed_size_png(width: int, height: int) -> bytes:
  """A 1x1 PNG whose header claims width x height pixels (CRC fixed, so it parses)."""
  data = bytearray(png_bytes(Image.new("L", (1, 1), 255)))
  data[16:24] = struct.pack(">II", width, height)
  data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
  return bytes(data)


def main() -> None:
  os.makedirs(OUT, exist_ok=True)
  img = line()
  grey = np.asarray(img)
  files, expected = {}, {}

  def add(name, data, expect):
    files[name] = data
    expected[name] = expect

  ok = f"text:{TEXT}"
  full = png_bytes(img)
  jpg = io.BytesIO()
  img.save(jpg, format="JPEG", quality=95)
  jpg = jpg.getvalue()
  add("truncated.png", full[:len(full) // 2], "error:truncated")
  add("truncated.jpg", jpg[:len(jpg) // 2], "error:truncated")
  add("zero_bytes.png", b"", "error:empty file")
  add("text_file.png", b"This is a text file, not an image.\n", "error:not an image")
  add("html_page.jpg", b"<!doctype html><html><body>404</body></html>", "error:not an image")
  add("pdf_file.png", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "error:not an image")
  add("svg_file.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
      "error:not an image")
  add("one_pixel.png", png_bytes(Image.new("L", (1, 1), 255)), "error:too small")
  add("thin_3x30000.png", png_bytes(Image.new("L", (3, 30000), 255)), "error:too small")
  add("wide_30000.png", png_bytes(Image.new("L", (30000, 32), 255)), "error:too wide")
  add("bomb_header.png", claimed_size_png(100_000, 100_000), "error:decompression bomb")
  add("bomb_real.png", png_bytes(Image.new("1", (9000, 9000), 1), optimize=True),
      "error:too large")
  g16 = (grey.astype(np.uint16) * 257)
  add("gray16.png", png_bytes(Image.fromarray(g16)), ok)
  buf = io.BytesIO()
  Image.fromarray(grey.astype(np.float32) / 255.0, mode="F").save(buf, format="TIFF")
  add("float32.tif", buf.getvalue(), ok)
  buf = io.BytesIO()
  img.convert("CMYK").save(buf, format="JPEG", quality=95)
  add("cmyk.jpg", buf.getvalue(), ok)
  add("palette.png", png_bytes(img.convert("RGB").convert("P", palette=Image.ADAPTIVE)), ok)
  rgba = Image.new("RGBA", img.size, (0, 0, 0, 0))
  rgba.putalpha(Image.fromarray(255 - grey))  # black ink, transparent paper
  add("alpha_transparent.png", png_bytes(rgba), ok)
  # Binarising changes the anti-aliased pixels the overfit model memorised: any result will do.
  add("bilevel.png", png_bytes(img.point(lambda v: 255 if v > 128 else 0).convert("1")),
      "result:")
  frames = [img.convert("P"), Image.new("L", img.size, 0).convert("P")]
  buf = io.BytesIO()
  frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100,
                 loop=0)
  add("animated.gif", buf.getvalue(), ok)  # the first frame is read
  exif = Image.Exif()
  exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
  buf = io.BytesIO()
  img.transpose(Image.ROTATE_90).save(buf, format="JPEG", quality=95, exif=exif)
  add("exif_rotated.jpg", buf.getvalue(), ok)
  add("png_named.jpg", full, ok)
  buf = io.BytesIO()
  img.convert("RGB").save(buf, format="BMP")
  add("rgb.bmp", buf.getvalue(), ok)
  buf = io.BytesIO()
  img.save(buf, format="WEBP", lossless=True)
  add("lossless.webp", buf.getvalue(), ok)

  for name, data in files.items():
    with open(os.path.join(OUT, name), "wb") as f:
      f.write(data)
  with open(os.path.join(OUT, "expected.tsv"), "w", encoding="utf-8") as f:
    for name in sorted(expected):
      f.write(f"{name}\t{expected[name]}\n")
  with open(os.path.join(OUT, "labels.tsv"), "w", encoding="utf-8") as f:
    for name in sorted(expected):
      f.write(f"{name}\t{TEXT}\n")
  print(f"wrote {len(files)} files to {OUT} "
        f"({sum(map(len, files.values())) / 1024:.0f} KB)")


if __name__ == "__main__":
  main()
