"""Rebuilds the bundled prose files from the Debian packages they come from.

Run on a Debian machine (not needed at train time; the outputs are committed):

  apt-get install bible-kjv jargon-text
  bible -l100000 "gen1:1-rev22:21" > /tmp/kjv_raw.txt
  python third_party/text/make_corpus.py /tmp/kjv_raw.txt \
      /usr/share/doc/jargon-text/jargon.txt.gz third_party/text

Each output line is one paragraph (a verse, or a Jargon File paragraph) in printable ASCII.
"""
import gzip
import re
import sys

_ASCII_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "--",
    "\u2013": "-", "\u2026": "...", "\u00a0": " ", "\u00b7": "", "\u00e9": "e",
    "\u00e8": "e", "\u00e0": "a", "\u00f6": "o", "\u00fc": "u", "\u00e4": "a",
}


def to_ascii(line: str) -> str | None:
  for k, v in _ASCII_MAP.items():
    line = line.replace(k, v)
  line = re.sub(r"\s+", " ", line).strip()
  if not line or any(not (32 <= ord(c) < 127) for c in line):
    return None
  return line


def kjv_lines(path):
  for line in open(path, encoding="utf-8"):
    m = re.match(r"^\s+\d+ (.*)$", line)
    if m and (text := to_ascii(m.group(1))):
      yield text


def jargon_lines(path):
  text = gzip.open(path, "rt", encoding="utf-8").read()
  for para in re.split(r"\n\s*\n", text):
    para = para.strip()
    # Skip headwords (":foo: n."), bare index entries and pronunciation-only lines.
    if len(para) < 60 or para.startswith(":") or "{" not in para and "." not in para:
      continue
    para = para.replace("{", "").replace("}", "")
    if text_line := to_ascii(para):
      yield text_line


def main(kjv_raw, jargon_gz, out_dir):
  for name, lines in (("kjv", kjv_lines(kjv_raw)), ("jargon", jargon_lines(jargon_gz))):
    lines = list(lines)
    with gzip.open(f"{out_dir}/{name}.txt.gz", "wt", encoding="ascii") as f:
      f.write("\n".join(lines) + "\n")
    print(name, len(lines), "lines", sum(map(len, lines)), "chars")


if __name__ == "__main__":
  main(*sys.argv[1:4])
