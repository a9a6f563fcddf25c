"""Rebuilds the Korean text files (licences in third_party/README.md).

  apt-get install gimp-help-ko
  apt-get download libreoffice-help-ko && dpkg -x libreoffice-help-ko_*.deb /tmp/lo-help-ko
  pip download --no-deps konlpy==0.6.0 -d /tmp/konlpy
  python third_party/text/make_korean.py third_party/text /tmp/konlpy/konlpy-0.6.0-*.whl

`gimp_help_ko.txt.gz` (training text; its last tenth validates) is the Korean prose of the
GIMP 2.10 manual (Debian gimp-help-ko): every paragraph of its HTML pages with at least five
Hangul syllables, code blocks dropped. `libreoffice_help_ko.txt.gz` (training text of the character language model, charlm.py) is
the Korean prose of LibreOffice 7.4's help (Debian libreoffice-help-ko, unpacked to
/tmp/lo-help-ko: its dependencies are not needed), extracted the same way.
`korean_law_dev.txt.gz` (development sets only, never
training) is the Korean constitution and ten bills of the National Assembly, the `kolaw` and
`kobill` corpora that the KoNLPy wheel ships: legal prose, dates, article numbers, circled
numbers, middle dots. Both are folded as the charset writes look-alikes (`KOREAN_FOLD`);
paragraphs with a character outside the `korean_print` charset (Hanja, mostly) are dropped
and counted. One paragraph a line.
"""
import glob
import gzip
import html.parser
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from ocr_jax import charset as charset_lib  # pylint: disable=g-import-not-at-top,wrong-import-position

GIMP_HELP = "/usr/share/gimp/2.0/help/ko"
LIBREOFFICE_HELP = "/tmp/lo-help-ko/usr/share/libreoffice/help/ko"
BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "td", "th", "br", "dt", "dd", "title")


class _Text(html.parser.HTMLParser):
  """The text of an HTML page, a newline at every block, code and scripts left out."""

  def __init__(self):
    super().__init__()
    self.parts, self.skip = [], 0

  def handle_starttag(self, tag, attrs):
    self.skip += tag in ("script", "style", "pre", "code")
    if tag in BLOCKS:
      self.parts.append("\n")

  def handle_endtag(self, tag):
    self.skip -= tag in ("script", "style", "pre", "code")

  def handle_data(self, data):
    if not self.skip:
      self.parts.append(data)


def hangul(text: str) -> int:
  return sum("\uac00" <= c <= "\ud7a3" for c in text)


def keep(paragraphs, min_hangul: int) -> tuple[list[str], int]:
  """Folded, whitespace-collapsed paragraphs the charset can write; and how many were not."""
  known = set(charset_lib.get_charset("korean_print").symbols)
  out, dropped, seen = [], 0, set()
  for par in paragraphs:
    par = " ".join(par.translate(charset_lib.KOREAN_FOLD).split())
    if hangul(par) < min_hangul or par in seen:
      continue
    seen.add(par)
    if set(par) <= known:
      out.append(par)
    else:
      dropped += 1
  return out, dropped


def html_paragraphs(pattern: str) -> list[str]:
  paragraphs = []
  for path in sorted(glob.glob(pattern, recursive=True)):
    parser = _Text()
    with open(path, encoding="utf-8") as f:
      parser.feed(f.read())
    paragraphs.extend("".join(parser.parts).split("\n"))
  return paragraphs


def law_paragraphs(wheel: str) -> list[str]:
  with zipfile.ZipFile(wheel) as z:
    names = sorted(n for n in z.namelist() if "/corpus/ko" in n and n.endswith(".txt"))
    return [line for n in names for line in z.read(n).decode("utf-8").splitlines()]


def write(path: str, paragraphs: list[str]) -> None:
  with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
    f.write("\n".join(paragraphs) + "\n")


def main(out_dir: str, konlpy_wheel: str) -> None:
  for name, paragraphs, min_hangul in (
      ("gimp_help_ko.txt.gz", html_paragraphs(os.path.join(GIMP_HELP, "*.html")), 5),
      ("libreoffice_help_ko.txt.gz",
       html_paragraphs(os.path.join(LIBREOFFICE_HELP, "**", "*.html")), 5),
      ("korean_law_dev.txt.gz", law_paragraphs(konlpy_wheel), 1)):
    kept, dropped = keep(paragraphs, min_hangul)
    write(os.path.join(out_dir, name), kept)
    print(f"{name}: {len(kept)} paragraphs, {sum(map(len, kept))} characters "
          f"({sum(map(hangul, kept))} syllables); {dropped} dropped for characters outside "
          "the charset")


if __name__ == "__main__":
  main(*sys.argv[1:])
