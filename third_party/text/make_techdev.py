"""Rebuilds the technical prose files from library docstrings (BSD-3-Clause, see README).

  pip install scipy==1.17.1 numpy==2.4.6 scikit-learn==1.9.1
  python third_party/text/make_techdev.py third_party/text

`scipy_docs.txt.gz` is for the development sets only; `numpy_sklearn_docs.txt.gz` is
training text (configs that name it in `extra_prose`). The two share no source.
The paragraphs are the docstrings (descriptions, notes and reference lists: citations,
numbers, units, formulas in words), with reStructuredText markup removed, code examples and
parameter tables dropped, one paragraph a line, printable ASCII plus typographic quotes and
dashes.
"""
import gzip
import importlib
import inspect
import os
import re
import sys

DEV_MODULES = ("scipy.signal", "scipy.stats", "scipy.special", "scipy.optimize", "scipy.integrate",
           "scipy.interpolate", "scipy.linalg", "scipy.spatial", "scipy.ndimage", "scipy.fft",
           "scipy.sparse.linalg", "scipy.cluster.hierarchy", "scipy.io", "scipy.constants")
TRAIN_MODULES = ("numpy", "numpy.linalg", "numpy.fft", "numpy.random", "numpy.polynomial",
                 "numpy.ma", "sklearn.linear_model", "sklearn.svm", "sklearn.cluster",
                 "sklearn.decomposition", "sklearn.ensemble", "sklearn.metrics",
                 "sklearn.preprocessing", "sklearn.neighbors", "sklearn.tree",
                 "sklearn.model_selection", "sklearn.feature_extraction.text",
                 "sklearn.manifold", "sklearn.mixture", "sklearn.naive_bayes")
SKIP_SECTIONS = ("Parameters", "Returns", "Yields", "Raises", "Examples", "See Also",
                 "Attributes", "Methods", "Other Parameters", "Warns")
ALLOWED = set(chr(c) for c in range(32, 127)) | set("\u2018\u2019\u201c\u201d\u2013\u2014")


def clean(par: str) -> str | None:
  par = re.sub(r":(math|func|class|meth|ref|doc|attr|data|obj|mod|py:\w+):`~?([^`]*)`",
               r"\2", par)
  par = re.sub(r"``([^`]*)``", r"\1", par)
  par = re.sub(r"`([^`<]*?)\s*(<[^>]*>)?`_*", r"\1", par)
  par = re.sub(r"^\.\. \[(\w+)\]", r"[\1]", par)
  par = re.sub(r"\[(\w+)\]_", r"[\1]", par)
  par = re.sub(r"\*\*?([^*]+)\*\*?", r"\1", par)
  par = re.sub(r"\s+", " ", par).strip()
  if len(par) < 30 or par.startswith((".. ", ">>>", "...")) or "\\" in par:
    return None
  if any(c not in ALLOWED for c in par):
    return None
  return par


def paragraphs(doc: str):
  section = None
  lines = doc.splitlines()
  block = []
  for i, line in enumerate(lines + [""]):
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if re.fullmatch(r"-{3,}", nxt.strip()) and line.strip():
      section = line.strip()
      continue
    if re.fullmatch(r"-{3,}", line.strip()):
      continue
    if line.strip():
      block.append(line.strip())
      continue
    if block and section not in SKIP_SECTIONS and not block[0].startswith((">>>", ".. math")):
      yield " ".join(block)
    block = []


def write(out_dir: str, modules, filename: str) -> None:
  seen, out = set(), []
  for name in modules:
    module = importlib.import_module(name)
    for attr in sorted(dir(module)):
      if attr.startswith("_"):
        continue
      doc = inspect.getdoc(getattr(module, attr, None)) or ""
      for par in paragraphs(doc):
        par = clean(par)
        if not par or re.search(r"\(.*/, ", par):  # a ufunc's signature line
          continue
        key = par.split(" ", 1)[-1]  # boilerplate repeated under each function's name
        if key not in seen:
          seen.add(key)
          out.append(par)
  path = os.path.join(out_dir, filename)
  with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
    f.write("\n".join(out) + "\n")
  print(f"wrote {len(out)} paragraphs, {sum(map(len, out))} characters to {path}")


def main(out_dir: str) -> None:
  write(out_dir, DEV_MODULES, "scipy_docs.txt.gz")
  write(out_dir, TRAIN_MODULES, "numpy_sklearn_docs.txt.gz")


if __name__ == "__main__":
  main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
