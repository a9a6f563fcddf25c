"""Side-by-side comparison of OCR engines on the same line images, in one run.

  python -m ocr_jax.compare --data /tmp/ocr_testsets/clean /tmp/ocr_testsets/degraded \
      --engines ocr_jax,ocr_jax:beam,tesseract --out docs/compare

Each `--data` folder holds line images and `labels.tsv` (`filename<TAB>text`, UTF-8). Every
engine reads the same decoded pixels (one loader, `preprocess.load_image`); a file that cannot
be read is reported once and left out of every engine's figures. A folder with `sizes.tsv`
(`filename<TAB>type size in px`, as `python -m ocr_jax.data.devsets` writes it) also gets a row
per size band (<= 12, 13-20, 21-32, > 32 px), from the same readings. Engines:

  ocr_jax[:greedy|:beam|:words]  our model (`--model`, default the released English model)
                                 with greedy, CTC prefix beam or word-list-rescored decoding
                                 (`:words-all`: the word-list beam search on every line, also
                                 those `:words` trusts; see inference.WORDS_TRUST)
  ocr_jax-onnx[:DECODER]         the same model exported to ONNX (fp32) as it ships to devices,
  ocr_jax-int8[:DECODER]         or quantised to int8 (`ocr-jax export --quantize int8`), read
                                 by onnxruntime with `--threads` threads (the `export` extra)
  tesseract[:N]                  Tesseract in-process through tesserocr (`--psm 7`, one line),
                                 N API instances in threads (default `--threads`)
  tesseract-cli                  the `tesseract` program (Debian's) through pytesseract
  rapidocr[:N]                   PP-OCR's recognition model (PP-OCRv6 small, the ONNX file in
                                 RapidOCR's wheel) through RapidOCR and onnxruntime, one line
                                 per call as its users call it (no detection, no angle
                                 classifier), N instances of one intra-op thread each in
                                 threads (default `--threads`)

An engine that is not installed is skipped with a message. Text normalisation, identical for
all engines and the references: Unicode NFKC (ligatures split), typographic quotes and dashes
to ASCII, runs of whitespace to one space, stripped ends. Speed: each engine reads the whole
set once to warm up (compilations, caches), then the engines take turns reading it timed
(`--repeats` passes each, interleaved, so a shared machine's drift reaches all alike);
lines/s = lines / median timed pass, one process for all engines (ours uses XLA's threads;
Tesseract gets `--threads` API instances, default one per core, so both use every core).

With `--pages DIR`, each engine also reads whole pages (page_NNN.png + page_NNN.gt.txt) with
its own layout analysis (ours: page.py; Tesseract: --psm 3); page CER compares the lines
joined by newlines, so missed, split or reordered lines count as errors. For whole pages the
"exact lines" column is the share of pages read without any error, and lines/s (layout
analysis included) is timed as for lines: a warm-up pass, then `--repeats` interleaved
passes (a cold pass would time our compilations of the page lines' shapes).

Writes OUT.md (table, command, machine), OUT.csv and OUT.png (CER and lines/s per engine).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import os
import platform
import re
import shutil
import sys
import time
import unicodedata

import numpy as np

from ocr_jax import released
from ocr_jax import metrics
from ocr_jax.data import preprocess
from ocr_jax.data import testsets

TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")

_TRANSLATE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                            "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2032": "'",
                            "\u2033": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-",
                            "\u2010": "-", "\u2011": "-", "\u00ad": "", "\u2026": "..."})


def normalize(text: str) -> str:
  """The one normalisation applied to every engine's output and to the references."""
  text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
  return re.sub(r"\s+", " ", text).strip()


class EngineUnavailable(RuntimeError):
  """The engine's software is not installed here."""


# ------------------------------------------------------------------------------------------
# Engines: name, version, read(list of uint8[H, W] grey lines) -> list of text.
# ------------------------------------------------------------------------------------------
class _OurReader:
  """What the engines of our model share: a `recognizer` with read_arrays / read_layouts
  (inference.Recognizer or onnx_reader.OnnxRecognizer)."""
  recognizer = None

  def read(self, greys):
    return [r.text for r in self.recognizer.read_arrays(greys)]

  def read_pages(self, greys):
    return [[r.text for r in out[1]] for out in self.recognizer.read_layouts(greys, "page")]


class OcrJax(_OurReader):

  def __init__(self, decoder: str, model: str, beam_width: int,
               fit_margins: bool | None = None, max_density: float | None = None,
               x_height: bool | None = None):
    from ocr_jax import inference  # pylint: disable=g-import-not-at-top
    self.name = "ocr_jax" if decoder == "greedy" else f"ocr_jax:{decoder}"
    decoder, options = _decoder_options(decoder, model)
    self.recognizer = inference.Recognizer.from_checkpoint(
        model, decoder=decoder, beam_width=beam_width, fit_margins=fit_margins,
        max_density=max_density, x_height=x_height, **options)
    self.version = f"{os.path.basename(os.path.normpath(model))} step {self.recognizer.step}"
    self.version += _reading_options(max_density, x_height)


def _reading_options(max_density: float | None, x_height: bool | None) -> str:
  """What an engine's version says of reading options set away from the model's defaults."""
  return ((f", max_density {max_density:g}" if max_density is not None else "")
          + (", x_height off" if x_height is False else ""))


def _decoder_options(decoder: str, model: str) -> tuple[str, dict]:
  """(decoder, recognizer options) for an `ocr_jax[-onnx|-int8]:DECODER` engine of `model`
  (a folder): the word list or language model beside it loaded."""
  from ocr_jax import decoding  # pylint: disable=g-import-not-at-top
  options = {}
  if decoder == "words-all":  # the word-list beam search on every line, trusted or not
    decoder, options = "words", {"words_trust": float("inf")}
  if not os.path.isdir(model):
    raise EngineUnavailable(f"no model at {model}")
  try:
    options.update(decoding.decoder_files(decoder, model))
  except OSError as e:  # no word list or language model beside this model
    raise EngineUnavailable(str(e)) from e
  return decoder, options


class OcrJaxOnnx(_OurReader):
  """Our model as it ships to devices: exported to ONNX (`ocr-jax export`, fp32 or dynamic
  int8), read by onnxruntime with `threads` intra-op threads; preprocessing, dense-line
  re-reading and decoding as the JAX reader's (onnx_reader.OnnxRecognizer)."""

  def __init__(self, decoder: str, model: str, beam_width: int, quantize: str | None,
               threads: int, max_density: float | None = None,
               x_height: bool | None = None):
    import tempfile  # pylint: disable=g-import-not-at-top
    from ocr_jax import onnx_reader  # pylint: disable=g-import-not-at-top
    kind = "int8" if quantize else "onnx"
    self.name = f"ocr_jax-{kind}" + ("" if decoder == "greedy" else f":{decoder}")
    decoder, options = _decoder_options(decoder, model)
    try:
      from ocr_jax import export  # pylint: disable=g-import-not-at-top
      import onnx  # pylint: disable=g-import-not-at-top,unused-import
    except ImportError as e:
      raise EngineUnavailable(f"{e} (pip install -e '.[export]')") from None
    try:
      with tempfile.TemporaryDirectory() as tmp:  # the session keeps the graph in memory
        path = export.export(model, os.path.join(tmp, "model.onnx"), quantize=quantize)[-1]
        self.recognizer = onnx_reader.OnnxRecognizer.from_file(
            path, threads=threads, decoder=decoder, beam_width=beam_width,
            max_density=max_density, x_height=x_height, **options)
    except (export.ExportError, onnx_reader.ModelFileError) as e:  # a network not exported
      raise EngineUnavailable(f"{model}: {e}") from None
    import onnxruntime  # pylint: disable=g-import-not-at-top
    step = self.recognizer.session.get_modelmeta().graph_name.rpartition(" ")[2]
    self.version = (f"{os.path.basename(os.path.normpath(model))} step {step}, ONNX "
                    f"{'int8' if quantize else 'fp32'} (onnxruntime {onnxruntime.__version__}, "
                    f"{threads} thr)") + _reading_options(max_density, x_height)


def find_tessdata(lang: str = "eng") -> str | None:
  """The tessdata folder holding LANG.traineddata (every '+'-joined language), or None."""
  for d in ([os.environ["TESSDATA_PREFIX"]] if os.environ.get("TESSDATA_PREFIX") else []) + \
      list(TESSDATA_DIRS):
    if all(os.path.exists(os.path.join(d, f"{l}.traineddata")) for l in lang.split("+")):
      return d
  return None


class Tesseract:
  """Tesseract in-process (tesserocr), page segmentation mode 7 (one text line), LSTM engine,
  `threads` API instances reading disjoint images in parallel (tesserocr releases the GIL)."""

  def __init__(self, threads: int, psm: int = 7, lang: str = "eng"):
    try:
      import tesserocr  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise EngineUnavailable(f"tesserocr is not installed ({e}); pip install tesserocr") from None
    tessdata = find_tessdata(lang)
    if tessdata is None:
      raise EngineUnavailable(f"no {lang}.traineddata found (apt-get install "
                              f"tesseract-ocr-{lang.split('+')[0]})")
    self.lang = lang
    self._tesserocr, self._tessdata, self._page_api = tesserocr, tessdata, None
    self.apis = [tesserocr.PyTessBaseAPI(path=tessdata + "/", lang=lang, psm=psm,
                                         oem=tesserocr.OEM.LSTM_ONLY)
                 for _ in range(max(1, threads))]
    self.name = "tesseract"
    self.version = tesserocr.tesseract_version().split()[1] + f" (tesserocr, {len(self.apis)} thr)"

  def read_pages(self, greys):
    """Whole pages, Tesseract's own layout analysis (--psm 3), one API instance."""
    from PIL import Image  # pylint: disable=g-import-not-at-top
    if self._page_api is None:
      self._page_api = self._tesserocr.PyTessBaseAPI(
          path=self._tessdata + "/", lang=self.lang, psm=self._tesserocr.PSM.AUTO,
          oem=self._tesserocr.OEM.LSTM_ONLY)
    out = []
    for g in greys:
      self._page_api.SetImage(Image.fromarray(g))
      out.append(self._page_api.GetUTF8Text().splitlines())
    return out

  def _read_some(self, api, greys):
    from PIL import Image  # pylint: disable=g-import-not-at-top
    out = []
    for g in greys:
      api.SetImage(Image.fromarray(g))
      out.append(api.GetUTF8Text())
    return out

  def read(self, greys):
    return _in_threads(self._read_some, self.apis, greys)


class TesseractCli:
  """The `tesseract` program (e.g. Debian's tesseract-ocr) through pytesseract, one process per
  line as pytesseract runs it, `--psm 7`."""

  def __init__(self, psm: int = 7, lang: str = "eng"):
    try:
      import pytesseract  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise EngineUnavailable(f"pytesseract is not installed ({e})") from None
    if shutil.which("tesseract") is None:
      raise EngineUnavailable("no `tesseract` program on PATH (apt-get install tesseract-ocr)")
    self._pt, self.config, self.lang = pytesseract, f"--psm {psm} --oem 1", lang
    self.name = "tesseract-cli"
    self.version = str(pytesseract.get_tesseract_version()) + " (CLI)"

  def read(self, greys):
    from PIL import Image  # pylint: disable=g-import-not-at-top
    return [self._pt.image_to_string(Image.fromarray(g), lang=self.lang, config=self.config)
            for g in greys]


  def read_pages(self, greys):
    from PIL import Image  # pylint: disable=g-import-not-at-top
    return [self._pt.image_to_string(Image.fromarray(g), lang=self.lang,
                                     config="--psm 3 --oem 1").splitlines() for g in greys]


class RapidOcr:
  """PP-OCR recognition through RapidOCR (PyPI `rapidocr`, whose wheel ships the PP-OCRv6
  ONNX models; `onnxruntime` runs them): `use_det=False, use_cls=False`, so it reads the
  line image it is given, as Tesseract's --psm 7 does. `threads` instances, each with one
  onnxruntime intra-op thread, read disjoint lines in parallel (onnxruntime releases the
  GIL), so it uses the same cores as the other engines."""

  def __init__(self, threads: int):
    try:
      import rapidocr  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise EngineUnavailable(f"rapidocr is not installed ({e}); pip install rapidocr "
                              "onnxruntime (or the `compare` extra)") from None
    params = {"Global.use_det": False, "Global.use_cls": False, "Global.log_level": "error",
              "EngineConfig.onnxruntime.intra_op_num_threads": 1,
              "EngineConfig.onnxruntime.inter_op_num_threads": 1}
    try:
      self.engines = [rapidocr.RapidOCR(params=params) for _ in range(max(1, threads))]
    except Exception as e:  # pylint: disable=broad-except
      raise EngineUnavailable(f"RapidOCR did not start ({type(e).__name__}: {e})") from None
    rec = self.engines[0].cfg.Rec
    from importlib import metadata  # pylint: disable=g-import-not-at-top
    value = lambda v: str(getattr(v, "value", v))
    self.name = "rapidocr"
    self.version = (f"{value(rec.ocr_version)} {value(rec.model_type)} rec (RapidOCR "
                    f"{metadata.version('rapidocr')}, {len(self.engines)} thr)")

  @staticmethod
  def _read_some(engine, greys):
    out = []
    for g in greys:
      result = engine(np.repeat(g[:, :, None], 3, axis=2), use_det=False, use_cls=False,
                      use_rec=True)
      out.append(" ".join(result.txts or ()))
    return out

  def read(self, greys):
    return _in_threads(self._read_some, self.engines, greys)


def _in_threads(read_some, workers, greys):
  """read_some(worker, lines) over disjoint interleaved slices of `greys`, one thread per
  worker; the texts come back in the order of `greys`."""
  n = len(workers)
  if n == 1:
    return read_some(workers[0], greys)
  parts = [greys[i::n] for i in range(n)]
  with concurrent.futures.ThreadPoolExecutor(n) as pool:
    results = list(pool.map(read_some, workers, parts))
  out = [None] * len(greys)
  for i in range(n):
    out[i::n] = results[i]
  return out


def make_engine(spec: str, args):
  name, _, option = spec.partition(":")
  x_height = False if getattr(args, "no_x_height", False) else None
  if name == "ocr_jax":
    fit = {"model": None, "on": True, "off": False}[args.fit_margins]
    return OcrJax(option or "greedy", released.resolve(args.model), args.beam_width, fit,
                  args.max_density, x_height)
  if name in ("ocr_jax-onnx", "ocr_jax-int8"):
    return OcrJaxOnnx(option or "greedy", released.resolve(args.model), args.beam_width,
                      "int8" if name == "ocr_jax-int8" else None, args.threads,
                      args.max_density, x_height)
  if name == "tesseract":
    engine = Tesseract(int(option) if option else args.threads, lang=args.lang)
    engine.name = spec
    return engine
  if name == "tesseract-cli":
    return TesseractCli(lang=args.lang)
  if name == "rapidocr":
    engine = RapidOcr(int(option) if option else args.threads)
    engine.name = spec
    return engine
  raise ValueError(f"unknown engine {spec!r} (ocr_jax[:greedy|:beam|:words|:words-all|:lm], "
                   "ocr_jax-onnx[:DECODER], ocr_jax-int8[:DECODER], tesseract[:N], "
                   "tesseract-cli, rapidocr[:N])")


# ------------------------------------------------------------------------------------------
# Data, measurement, reports.
# ------------------------------------------------------------------------------------------
def load_set(folder: str, log=print):
  """(names, grey images, normalised references) of the readable files of a labelled folder;
  each unreadable one is reported as `error: PATH: problem` and skipped."""
  # Imported here: the peers' engines (and their cold starts) do without JAX.
  from ocr_jax import inference  # pylint: disable=g-import-not-at-top
  names, greys, refs = [], [], []
  for name, text in testsets.read_labels(folder):
    path = os.path.join(folder, name)
    try:
      grey = preprocess.load_image(path)
      # What our reader refuses (at its usual 32 px height) is left out for every engine.
      preprocess.check_line_width(grey, 32, inference.MAX_WIDTH)
    except preprocess.ImageError as e:
      log(f"error: {path}: {e}")
      continue
    names.append(name)
    greys.append(grey)
    refs.append(normalize(text))
  return names, greys, refs


def load_pages(folder: str, log=print):
  """(names, grey pages, normalised reference texts) of `page_*.png` + `page_*.gt.txt` pairs;
  a page's text is its normalised lines joined by newlines."""
  names, greys, refs = [], [], []
  for name in sorted(os.listdir(folder)):
    gt = os.path.join(folder, os.path.splitext(name)[0] + ".gt.txt")
    if not name.lower().endswith(preprocess.IMAGE_EXTENSIONS) or not os.path.exists(gt):
      continue
    try:
      greys.append(preprocess.load_image(os.path.join(folder, name)))
    except preprocess.ImageError as e:
      log(f"error: {os.path.join(folder, name)}: {e}")
      continue
    with open(gt, encoding="utf-8") as f:
      refs.append(page_text(f.read().splitlines()))
    names.append(name)
  return names, greys, refs


def set_names(folders) -> dict[str, str]:
  """A set's name is its folder's name, or parent/name where two folders share a name."""
  base = {f: os.path.basename(os.path.normpath(f)) for f in folders}
  clash = {n for n in base.values() if list(base.values()).count(n) > 1}
  return {f: (os.path.join(os.path.basename(os.path.dirname(os.path.normpath(f))), n)
              if n in clash else n) for f, n in base.items()}


def size_bands(folder: str, names) -> dict[str, list[int]]:
  """{size band: indices into `names`} from the folder's sizes.tsv (type size in px per
  line, as devsets writes it), bands in size order; {} without sizes.tsv."""
  from ocr_jax.data import devsets  # pylint: disable=g-import-not-at-top
  sizes = devsets.read_sizes(folder)
  bands = {}
  for i, name in enumerate(names):
    if name in sizes:
      bands.setdefault(devsets.size_band(sizes[name]), []).append(i)
  order = [devsets.size_band(hi) for _, hi in devsets.SIZE_BANDS]
  return {b: bands[b] for b in order if b in bands}


def page_text(lines) -> str:
  return "\n".join(t for t in (normalize(l) for l in lines) if t)


def measure_engines(engines, greys, refs, repeats: int = 1, pages: bool = False) -> list[dict]:
  """Metrics and lines/s of each engine on one set. Every engine reads the set once to warm
  up, then the timed passes take turns (pass 1 of every engine, then pass 2, ...), so a
  change in the shared machine's speed during the run reaches every engine alike; lines/s
  is the median pass; `lines` is the number of lines scored. `pages`: `greys` are whole
  pages read by `read_pages`, scored page by page (reading order matters: lines are joined
  by newlines), `lines` counting the references' lines."""
  read = (lambda e: e.read_pages(greys)) if pages else (lambda e: e.read(greys))
  for engine in engines:
    read(engine)  # warm-up: compilations, caches
  times = [[] for _ in engines]
  hyps = [None] * len(engines)
  for _ in range(repeats):
    for i, engine in enumerate(engines):
      start = time.perf_counter()
      hyps[i] = read(engine)
      times[i].append(time.perf_counter() - start)
  num_lines = sum(r.count("\n") + 1 for r in refs) if pages else len(greys)
  results = []
  for engine_hyps, engine_times in zip(hyps, times):
    engine_hyps = [page_text(h) if pages else normalize(h) for h in engine_hyps]
    result = metrics.text_metrics(refs, engine_hyps)
    result["lines"] = num_lines
    result["lines_per_s"] = num_lines / max(float(np.median(engine_times)), 1e-9)
    result["hyps"] = engine_hyps
    results.append(result)
  return results


def measure(engine, greys, refs, repeats: int = 1) -> dict:
  """measure_engines for one engine."""
  return measure_engines([engine], greys, refs, repeats)[0]


def machine() -> str:
  cpu = platform.processor() or platform.machine()
  try:
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
      for line in f:
        if line.startswith("model name"):
          cpu = line.split(":", 1)[1].strip()
          break
  except OSError:
    pass
  import jax  # pylint: disable=g-import-not-at-top
  devices = jax.local_devices()
  return (f"{os.cpu_count()} CPU cores ({cpu}), {platform.system()} {platform.machine()}; "
          f"ocr_jax on {len(devices)} JAX {devices[0].platform.upper()} device(s)")


FIELDS = ("set", "engine", "version", "lines", "cer", "wer", "line_accuracy", "lines_per_s")


def write_reports(rows: list[dict], out: str, command: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with open(out + ".csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
  lines = [f"Command: `{command}`", "", f"Machine: {machine()}", "",
           "Normalisation (all engines and references): NFKC, typographic quotes/dashes to "
           "ASCII, whitespace runs to one space, ends stripped.", "",
           "| set | engine | version | lines | CER % | WER % | exact lines % | lines/s |",
           "|---|---|---|---:|---:|---:|---:|---:|"]
  for r in rows:
    lines.append(f"| {r['set']} | {r['engine']} | {r['version']} | {r['lines']} | "
                 f"{100 * r['cer']:.2f} | {100 * r['wer']:.2f} | "
                 f"{100 * r['line_accuracy']:.1f} | "
                 f"{'-' if r['lines_per_s'] is None else format(r['lines_per_s'], '.1f')} |")
  with open(out + ".md", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
  try:
    import matplotlib  # pylint: disable=g-import-not-at-top
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  sets = list(dict.fromkeys(r["set"] for r in rows if r["lines_per_s"] is not None))
  engines = list(dict.fromkeys(r["engine"] for r in rows))
  fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
  width = 0.8 / max(len(engines), 1)
  for k, e in enumerate(engines):
    for ax, key, scale in ((axes[0], "cer", 100), (axes[1], "lines_per_s", 1)):
      vals = [next((scale * (r[key] or 0) for r in rows if r["set"] == s and r["engine"] == e),
                   0) for s in sets]
      ax.bar(np.arange(len(sets)) + k * width, vals, width, label=e)
  for ax, title in ((axes[0], "CER % (lower is better)"), (axes[1], "lines/s (higher is better)")):
    ax.set_xticks(np.arange(len(sets)) + width * (len(engines) - 1) / 2)
    ax.set_xticklabels(sets, rotation=30, ha="right", fontsize=8)
    ax.set_title(title)
  axes[0].legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out + ".png", dpi=120)
  plt.close(fig)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--data", nargs="*", default=[],
                      help="folders of line images with labels.tsv")
  parser.add_argument("--pages", nargs="*", default=[],
                      help="folders of page_*.png with page_*.gt.txt (one line of text per "
                      "printed line): page-level CER with each engine's own layout analysis")
  parser.add_argument("--engines", default="ocr_jax,tesseract,rapidocr",
                      help="comma-separated: ocr_jax[:greedy|:beam|:words|:words-all|:lm], "
                      "ocr_jax-onnx[:DECODER], ocr_jax-int8[:DECODER], tesseract[:N], "
                      "tesseract-cli, rapidocr[:N]")
  parser.add_argument("--model", default=released.ENGLISH_MODEL,
                      help="our model: a workdir or a released model's name")
  parser.add_argument("--beam_width", type=int, default=8,
                      help="hypotheses kept per frame by ocr_jax:beam and :words (default 8)")
  parser.add_argument("--fit_margins", choices=("model", "on", "off"), default="model",
                      help="our model reads line crops through preprocess.fit_margins as its "
                           "config says, or forced on or off")
  parser.add_argument("--max_density", type=float, default=None,
                      help="our model reads again, wider, the lines it read denser than this "
                           "many characters a frame (default preprocess.MAX_DENSITY, 0.45; 0: off)")
  parser.add_argument("--no_x_height", action="store_true",
                      help="our model reads flat lines once (default: those read below 0.9 "
                           "confidence are read again as x-height letters: preprocess.read_lines)")
  parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                      help="Tesseract API / RapidOCR instances in parallel")
  parser.add_argument("--lang", default="eng",
                      help="Tesseract's language(s), e.g. kor or kor+eng (Debian's "
                      "tesseract-ocr-LANG packages)")
  parser.add_argument("--repeats", type=int, default=1, help="timed passes (median)")
  parser.add_argument("--out", default="compare", help="output path stem (.md .csv .png)")
  parser.add_argument("--errors", type=int, default=0,
                      help="print up to N misread lines per engine and set")
  args = parser.parse_args(argv)
  if args.repeats < 1:
    parser.error("--repeats must be at least 1 (the timed passes CER and speed come from)")
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  from ocr_jax import parallel  # pylint: disable=g-import-not-at-top
  parallel.use_host_cores()  # one CPU device per core: see its docstring

  def log(m):
    print(m, file=sys.stderr, flush=True)

  engines = []
  for spec in [s.strip() for s in args.engines.split(",") if s.strip()]:
    try:
      engines.append(make_engine(spec, args))
    except EngineUnavailable as e:
      log(f"skipping engine {spec}: {e}")
  if not engines:
    log("error: no engine available")
    return 2
  rows = []
  set_name_of = set_names(args.data)
  for folder in args.data:
    set_name = set_name_of[folder]
    try:
      names, greys, refs = load_set(folder, log)
    except (OSError, ValueError) as e:
      log(f"error: {folder}: {e}")
      continue
    if not greys:
      log(f"error: {folder}: no readable labelled images")
      continue
    for engine, r in zip(engines, measure_engines(engines, greys, refs, args.repeats)):
      rows.append({"set": set_name, "engine": engine.name, "version": engine.version,
                   **{k: r[k] for k in ("lines", "cer", "wer", "line_accuracy", "lines_per_s")}})
      log(f"{set_name}\t{engine.name}\tCER {100 * r['cer']:.2f} %\tWER {100 * r['wer']:.2f} %"
          f"\texact {100 * r['line_accuracy']:.1f} %\t{r['lines_per_s']:.1f} lines/s")
      for band, idx in size_bands(folder, names).items():
        m = metrics.text_metrics([refs[i] for i in idx], [r["hyps"][i] for i in idx])
        rows.append({"set": f"{set_name} {band}", "engine": engine.name,
                     "version": engine.version, "lines": len(idx), "lines_per_s": None,
                     **{k: m[k] for k in ("cer", "wer", "line_accuracy")}})
      shown = 0
      for name, ref, hyp in zip(names, refs, r["hyps"]):
        if ref != hyp and shown < args.errors:
          log(f"  {name}\tref {ref!r}\n  {' ' * len(name)}\thyp {hyp!r}")
          shown += 1
  for folder in args.pages:
    set_name = os.path.basename(os.path.normpath(folder)) + " (whole pages)"
    names, greys, refs = load_pages(folder, log)
    if not greys:
      log(f"error: {folder}: no readable pages with .gt.txt")
      continue
    for engine, r in zip(engines, measure_engines(engines, greys, refs, args.repeats,
                                                  pages=True)):
      rows.append({"set": set_name, "engine": engine.name, "version": engine.version,
                   **{k: r[k] for k in ("lines", "cer", "wer", "line_accuracy", "lines_per_s")}})
      log(f"{set_name}\t{engine.name}\tCER {100 * r['cer']:.2f} %\tWER {100 * r['wer']:.2f} %"
          f"\t{r['lines_per_s']:.1f} lines/s")
  if not rows:
    return 2
  command = "python -m ocr_jax.compare " + " ".join(sys.argv[1:] if argv is None else argv)
  write_reports(rows, args.out, command)
  log(f"wrote {args.out}.md, {args.out}.csv, {args.out}.png")
  return 0


if __name__ == "__main__":
  sys.exit(main())
