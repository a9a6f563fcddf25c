"""Input pipeline: tfds data source -> width-bucketed, statically shaped, per-process batches.

The order of training batches is a pure function of (seed, step): batch `s` is found by
replaying the epoch permutations, never by iterator state. A run resumed at step s therefore
reads exactly the batches that an uninterrupted run would have read, on any process count.
A background thread prepares the next batches while the device computes.
"""
from __future__ import annotations

import bisect
import functools
import os
import queue
import threading
import time

import jax
import ml_collections
import numpy as np
from absl import logging

from ocr_jax import charset as charset_lib
from ocr_jax.data import augment as augment_lib
from ocr_jax.data import preprocess
from ocr_jax.omr import tokens as tokens_lib

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), ".cache", "ocr_jax", "tfds")


# ------------------------------------------------------------------------------------------
# Datasets.
# ------------------------------------------------------------------------------------------
def get_builder(data_config):
  """The tfds builder named by `data_config.name` (importing it registers it)."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  # pylint: disable-next=g-import-not-at-top,unused-import
  from ocr_jax.data import digit_strings, omr_synth, synth_text
  data_dir = data_config.get("data_dir") or DEFAULT_DATA_DIR
  name = data_config.name
  if name == "line_folder":
    from ocr_jax.data import folder  # pylint: disable=g-import-not-at-top
    return folder.builder(data_config, data_dir)
  if name == "primus":
    from ocr_jax.data import primus  # pylint: disable=g-import-not-at-top,unused-import
  if data_config.get("builder_config"):
    name = f"{name}/{data_config.builder_config}"
  return tfds.builder(name, data_dir=data_dir)


def mix_sources(data_config) -> list[tuple[object, int | None]]:
  """(data config, number of lines or None for all) of each dataset the training split mixes.

  `data_config.mix`, e.g. 'english_print_wide:80000,english_print_flush:40000', names
  builder configs of `data_config.name` and how many of their training lines to take (the
  first n: a draw stores its lines in random order). Empty: the training split of
  `builder_config` alone. Validation is always `builder_config`'s."""
  spec = (data_config.get("mix") or "").strip()
  if not spec:
    return [(data_config, None)]
  if data_config.name == "line_folder":
    raise ValueError("config.data.mix names builder configs of one tfds dataset; a line "
                     "folder has none (put the lines to mix in the folder)")
  sources = []
  for item in spec.split(","):
    name, colon, take = item.strip().partition(":")
    if not name or (colon and not (take.isdigit() and int(take) > 0)):
      raise ValueError(f"config.data.mix: {item.strip()!r} is not BUILDER_CONFIG or "
                       f"BUILDER_CONFIG:LINES (LINES a positive whole number)")
    part = ml_collections.ConfigDict(data_config.to_dict())
    part.builder_config = name
    part.mix = ""
    sources.append((part, int(take) if take else None))
  return sources


def _mixed_in(data_config) -> list:
  """The data configs of the datasets `mix` names (none without a mix)."""
  return [part for part, _ in mix_sources(data_config) if part is not data_config]


def prepare(data_config) -> None:
  """Prepares the dataset if it is not there yet (and every dataset `mix` names)."""
  for part in _mixed_in(data_config):
    prepare(part)
  builder = get_builder(data_config)
  if builder.is_prepared():
    return
  start = time.time()
  logging.info("Preparing dataset %s in %s (one time; later runs reuse it) ...",
               builder.info.full_name, builder.data_dir)
  kwargs = {}
  if data_config.get("manual_dir"):  # manual-download datasets (PrIMuS)
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    kwargs["download_config"] = tfds.download.DownloadConfig(
        manual_dir=os.path.abspath(os.path.expanduser(data_config.manual_dir)))
  builder.download_and_prepare(file_format="array_record", **kwargs)
  logging.info("Prepared %s in %.0f s.", builder.info.full_name, time.time() - start)


def dataset_charset(data_config) -> charset_lib.Charset:
  """The charset a dataset stored at preparation (every character of its training labels);
  with `mix`, `builder_config`'s followed by what the mixed datasets add, in their order."""
  chars = ""
  for part in [data_config] + _mixed_in(data_config):
    builder = get_builder(part)
    stored = builder.info.metadata.get("charset") if builder.info.metadata else None
    if not stored:
      raise ValueError(f"dataset {builder.info.full_name} stores no charset; set "
                       f"config.charset to a named charset instead of 'from_data'")
    chars += "".join(c for c in dict.fromkeys(stored) if c not in chars)
  return charset_lib.Charset.from_string(chars)


def unknown_symbols(split, charset, max_examples: int = 0):
  """(number of lines, set of symbols) of a split's labels that `charset` lacks."""
  n = len(split) if not max_examples else min(len(split), max_examples)
  lines, symbols = 0, set()
  for i in range(n):
    missing = charset.unknown_symbols(split.text(i))
    lines += bool(missing)
    symbols |= missing
  return (lines, symbols) if lines else None


def report_skipped(data_config) -> int:
  """Logs the lines left out at preparation (on_error='skip'); returns their number."""
  meta = get_builder(data_config).info.metadata or {}
  skipped = list(meta.get("skipped") or [])
  for part in _mixed_in(data_config):
    skipped += list((get_builder(part).info.metadata or {}).get("skipped") or [])
  if skipped:
    logging.warning("This dataset was prepared WITHOUT %d problem line(s) (on_error='skip'):"
                    "\n  %s", len(skipped), "\n  ".join(skipped[:50]) +
                    (f"\n  ... and {len(skipped) - 50} more" if len(skipped) > 50 else ""))
  return len(skipped)


class Split:
  """One split of a prepared dataset: random access to examples plus every example's width."""

  def __init__(self, data_config, split: str):
    builder = get_builder(data_config)
    self._reopen = (data_config, split)
    self.name = f"{builder.info.full_name}/{split}"
    self.source = builder.as_data_source()[split]
    self.widths = self._load_widths(builder.data_dir, split)
    self.opening_clefs = data_config.get("clef_names", "") == "opening"

  def __len__(self) -> int:
    return len(self.source)

  def __reduce__(self):
    # A worker process reopens the dataset (the data source's file handles do not pickle);
    # the widths come back from their cache.
    return Split, self._reopen

  def _load_widths(self, data_dir: str, split: str) -> np.ndarray:
    # Widths are needed up front to bucket; read once and cache beside the data.
    cache = os.path.join(data_dir, f"widths-{split}.npy")
    if os.path.exists(cache):
      widths = np.load(cache)
      if len(widths) == len(self.source):
        return widths
    logging.info("Reading image widths of %s (%d examples, cached afterwards) ...",
                 self.name, len(self.source))
    widths = np.array([self._width(i) for i in range(len(self.source))], np.int32)
    try:
      np.save(cache, widths)
    except OSError:
      pass  # A read-only dataset directory only costs the re-read.
    return widths

  def _width(self, index: int) -> int:
    # A PNG's width sits in its IHDR chunk, 16 bytes after the signature: reading it from the
    # raw record is ~5x faster than decoding the example. Other encodings are decoded.
    raw = getattr(self.source, "data_source", None)
    if raw is not None:
      record = raw[index]
      at = record.find(_PNG_SIGNATURE)
      if at >= 0 and record[at + 12:at + 16] == b"IHDR":
        return int.from_bytes(record[at + 16:at + 20], "big")
    return int(self.source[index]["image"].shape[1])

  def text(self, index: int) -> str:
    return self.example(index)["text"]

  def example(self, index: int) -> dict:
    ex = self.source[int(index)]
    text = ex["text"]
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    if self.opening_clefs:
      text = " ".join(tokens_lib.clef_change_names(text.split(), to_opening=True))
    return {"image": ex["image"], "text": text}


class MixedSplit:
  """The first `take` lines of each of several splits, as one split (`config.data.mix`)."""

  def __init__(self, parts, takes):
    self.parts = list(parts)
    self.takes = [len(p) if t is None else min(int(t), len(p)) for p, t in zip(parts, takes)]
    self.name = "+".join(f"{p.name}[:{t}]" for p, t in zip(self.parts, self.takes))
    self.widths = np.concatenate([p.widths[:t] for p, t in zip(self.parts, self.takes)])
    self._ends = np.cumsum(self.takes).tolist()

  def __len__(self) -> int:
    return self._ends[-1]

  def _locate(self, index: int) -> tuple[Split, int]:
    index = int(index)
    if not 0 <= index < len(self):
      raise IndexError(f"{self.name}: index {index} outside 0..{len(self) - 1}")
    k = bisect.bisect_right(self._ends, index)
    return self.parts[k], index - (self._ends[k - 1] if k else 0)

  def text(self, index: int) -> str:
    split, i = self._locate(index)
    return split.text(i)

  def example(self, index: int) -> dict:
    split, i = self._locate(index)
    return split.example(i)


def train_split(data_config):
  """The training split: `builder_config`'s, or the mixture `data_config.mix` names."""
  sources = mix_sources(data_config)
  if len(sources) == 1 and sources[0][0] is data_config:
    return Split(data_config, "train")
  return MixedSplit([Split(part, "train") for part, _ in sources], [t for _, t in sources])


# ------------------------------------------------------------------------------------------
# Batching.
# ------------------------------------------------------------------------------------------
def encode_labels(texts, charset: charset_lib.Charset, max_len: int, where: str = ""):
  """Texts -> (labels int32[B, max_len], label_paddings float32[B, max_len])."""
  labels = np.zeros((len(texts), max_len), np.int32)
  paddings = np.ones((len(texts), max_len), np.float32)
  for i, text in enumerate(texts):
    ids = charset.encode(text)
    if len(ids) > max_len:
      raise ValueError(f"{where}: label of {len(ids)} symbols exceeds max_label_length="
                       f"{max_len}: {text[:60]!r}")
    labels[i, :len(ids)] = ids
    paddings[i, :len(ids)] = 0.0
  return labels, paddings


def make_batch(examples, width: int, height: int, charset, max_label_length: int,
               where: str = "", with_labels: bool = True, augment=None) -> dict:
  """Examples ({'image': uint8[h, w, 1], 'text'}) -> one batch padded to `width`;
  `augment(row, line)`, if given, distorts each prepared line (training only)."""
  lines = [preprocess.prepare_line(ex["image"][..., 0], height) for ex in examples]
  if augment is not None:
    lines = [_still_readable(augment(row, line), line, examples[row].get("text"))
             for row, line in enumerate(lines)]
  images, image_paddings = preprocess.batch_lines(lines, width)
  if not with_labels:
    return {"image": images, "image_paddings": image_paddings}
  labels, label_paddings = encode_labels([ex["text"] for ex in examples], charset,
                                         max_label_length, where)
  return {"image": images, "image_paddings": image_paddings,
          "labels": labels, "label_paddings": label_paddings}


def _still_readable(distorted: np.ndarray, line: np.ndarray, text: str | None) -> np.ndarray:
  """The distorted line, or the line as it was where the distortion left fewer frames than
  its label needs: a recrop with wide margins narrows a line up to ~2x, and a rule of 24
  '=' then has no CTC alignment at all (a loss of ~1e5 that wrecks the step)."""
  frames = distorted.shape[1] // preprocess.COLUMNS_PER_FRAME
  return line if text and frames < preprocess.ctc_frames_needed(text) + 1 else distorted


def assign_buckets(widths, buckets) -> np.ndarray:
  """The width bucket of every example."""
  return np.array([preprocess.bucket_width(int(w), buckets) for w in widths], np.int32)


class BatchPlan:
  """Which examples form global training batch `step`, as a pure function of (seed, step)."""

  def __init__(self, widths: np.ndarray, buckets, global_batch_size: int, seed: int):
    self.widths = np.asarray(widths)
    self.buckets = [int(b) for b in buckets]
    self.batch_size = global_batch_size
    self.seed = seed
    self.bucket_of = assign_buckets(self.widths, self.buckets)
    too_wide = self.bucket_of > self.buckets[-1]
    if too_wide.any():
      widest = int(self.widths.max())
      raise ValueError(f"{too_wide.sum()} examples are wider than the largest width bucket "
                       f"{self.buckets[-1]} (the widest is {widest} px); add a bucket of at "
                       f"least {-(-widest // 64) * 64} to config.data.width_buckets")
    self._epoch_ends = []  # cumulative number of batches at the end of each epoch
    self._cache = {}

  def _epoch(self, epoch: int) -> list[tuple[int, np.ndarray]]:
    if epoch not in self._cache:
      rng = np.random.default_rng([self.seed, epoch])
      order = rng.permutation(len(self.widths))
      batches = []
      for b in self.buckets:
        members = order[self.bucket_of[order] == b]
        n = len(members) // self.batch_size  # drop_remainder: every batch has a static shape
        batches += [(b, members[i * self.batch_size:(i + 1) * self.batch_size])
                    for i in range(n)]
      if not batches:
        raise ValueError(f"no width bucket holds a full batch of {self.batch_size} examples")
      batches = [batches[i] for i in rng.permutation(len(batches))]
      self._cache = {epoch: batches}  # keep one epoch in memory
    return self._cache[epoch]

  def __call__(self, step: int) -> tuple[int, np.ndarray]:
    """(bucket width, global example indices) of batch `step`."""
    while not self._epoch_ends or self._epoch_ends[-1] <= step:
      e = len(self._epoch_ends)
      prev = self._epoch_ends[-1] if self._epoch_ends else 0
      self._epoch_ends.append(prev + len(self._epoch(e)))
    epoch = bisect.bisect_right(self._epoch_ends, step)
    start = self._epoch_ends[epoch - 1] if epoch else 0
    return self._epoch(epoch)[step - start]


def process_slice(indices: np.ndarray, process_index: int | None = None,
                  process_count: int | None = None) -> np.ndarray:
  """This process's contiguous share of a global batch."""
  pi = jax.process_index() if process_index is None else process_index
  pc = jax.process_count() if process_count is None else process_count
  if len(indices) % pc:
    raise ValueError(f"global batch {len(indices)} is not divisible by {pc} processes")
  n = len(indices) // pc
  return indices[pi * n:(pi + 1) * n]


class _BatchMaker:
  """Builds this process's batch of training step `step` (picklable: a worker process gets a
  copy; `split` reopens its dataset there)."""

  def __init__(self, split: Split, plan: BatchPlan, charset, height: int,
               max_label_length: int, augment):
    self.split, self.plan, self.charset = split, plan, charset
    self.augment = augment if augment_lib.enabled(augment) else None
    self.height, self.max_len = height, max_label_length
    self.process = (jax.process_index(), jax.process_count())

  def __call__(self, step: int) -> dict:
    width, indices = self.plan(step)
    local = process_slice(indices, *self.process)
    examples = [self.split.example(i) for i in local]
    distort = None
    if self.augment is not None:
      distort = lambda row, line: augment_lib.augment_line(  # noqa: E731
          line, self.augment, augment_lib.rng_for(self.plan.seed, step, local[row]), width)
    return make_batch(examples, width, self.height, self.charset, self.max_len,
                      where=f"{self.split.name} step {step}", augment=distort)


def _put(q, item, stop) -> bool:
  """Puts `item` on `q` unless `stop` is set first; True if it was put."""
  while not stop.is_set():
    try:
      q.put(item, timeout=0.5)
      return True
    except queue.Full:
      continue
  return False


def _worker_process(make_batch_fn: _BatchMaker, step: int, every: int, out, stop):
  """A loader process: sends the batches of steps step, step+every, ... in order on `out`,
  the write end of a pipe (a send blocks while the trainer has not read the last one)."""
  os.environ["JAX_PLATFORMS"] = "cpu"  # never claim the accelerator the trainer holds
  while not stop.is_set():
    try:
      item = make_batch_fn(step)
    except Exception as e:  # pylint: disable=broad-except
      item = e  # re-raised in the training thread
    if not _send(out, item):
      return  # the trainer closed its end
    step += every


def _send(out, item) -> bool:
  """Sends `item` on the pipe `out`; False once the trainer has closed its end."""
  try:
    out.send(item)
  except (BrokenPipeError, EOFError, OSError):
    return False
  except Exception:  # pylint: disable=broad-except
    # An exception that does not pickle still reaches the trainer, as its message.
    return _send(out, RuntimeError(f"{type(item).__name__}: {item}"))
  return True


class TrainIterator:
  """Yields this process's batches for steps start_step, start_step+1, ... in order.

  `num_workers` loaders build batches ahead of the training loop (loader k builds the steps
  congruent to k modulo num_workers). `loader='threads'`: threads of this process (image
  decoding and resizing release the GIL, the Python parts of augmentation do not);
  `loader='processes'`: spawned processes, for hosts with many cores per accelerator, each
  with its own copy of the dataset handle, sending finished numpy batches back. `transfer`,
  if given, runs in a thread of this process, e.g. to put the batch on the devices.
  `augment` (a `config.data.augment`, see data/augment.py) distorts every line afresh at
  every step, seeded by (plan seed, step, example index).
  """

  def __init__(self, split: Split, plan: BatchPlan, charset, *, height: int,
               max_label_length: int, start_step: int, prefetch: int = 4,
               num_workers: int = 1, transfer=None, augment=None, loader: str = "threads"):
    if loader not in ("threads", "processes"):
      raise ValueError(f"config.data.loader must be 'threads' or 'processes', not {loader!r}")
    self._make = _BatchMaker(split, plan, charset, height, max_label_length, augment)
    self._transfer = transfer
    self._start = self._next = start_step
    self._workers = max(1, num_workers)
    depth = max(1, -(-prefetch // self._workers))
    self._queues = [queue.Queue(maxsize=depth) for _ in range(self._workers)]
    self._stop = threading.Event()
    self._processes, sources = [], []
    if loader == "processes":
      import multiprocessing  # pylint: disable=g-import-not-at-top
      ctx = multiprocessing.get_context("spawn")  # not fork: JAX's threads are running
      self._process_stop = ctx.Event()
      for k in range(self._workers):
        # A pipe per loader, whose write end only the loader keeps open: a loader that dies,
        # even halfway through sending a batch, ends the pipe instead of leaving a reader
        # waiting for bytes that will never come (a multiprocessing.Queue would).
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker_process, daemon=True, name=f"ocr_jax-loader-{k}",
                           args=(self._make, start_step + k, self._workers, writer,
                                 self._process_stop))
        proc.start()
        writer.close()
        self._processes.append((proc, reader))
        sources.append(functools.partial(self._receive, reader, proc))
    else:
      sources = [self._make] * self._workers
    self._threads = [threading.Thread(target=self._fill, args=(start_step + k, q, src),
                                      daemon=True)
                     for k, (q, src) in enumerate(zip(self._queues, sources))]
    for t in self._threads:
      t.start()

  def batch(self, step: int) -> dict:
    return self._make(step)

  def _receive(self, reader, proc, step: int) -> dict:
    del step  # the process sends its steps in order
    while not self._stop.is_set():
      try:
        if reader.poll(0.5):
          return reader.recv()
      except (EOFError, OSError):
        proc.join(timeout=5)
        raise RuntimeError(f"input loader process {proc.name} died (exit code "
                           f"{proc.exitcode})") from None
    return None

  def _fill(self, step: int, q: queue.Queue, source):
    while not self._stop.is_set():
      try:
        item = source(step)
        if isinstance(item, Exception):
          raise item
        if self._transfer is not None:
          item = self._transfer(item)
      except Exception as e:  # pylint: disable=broad-except
        item = e  # re-raised in the training thread
      if not _put(q, item, self._stop):
        return
      step += self._workers

  def __next__(self) -> dict:
    item = self._queues[(self._next - self._start) % self._workers].get()
    self._next += 1
    if isinstance(item, Exception):
      raise item
    return item

  def close(self):
    """Stops the loaders and waits for them: a worker left inside a native reader or decoder
    when the interpreter exits aborts the process ('terminate called without an active
    exception', seen in launch/benchmark.py)."""
    self._stop.set()
    if self._processes:
      self._process_stop.set()
    for t in self._threads:
      t.join(timeout=30)
    for proc, reader in self._processes:
      reader.close()  # a loader blocked in sending gets a broken pipe and returns
      proc.join(timeout=10)
      if proc.is_alive():
        proc.terminate()


def eval_batches(split: Split, charset, *, batch_size: int, buckets, height: int,
                 max_label_length: int, max_examples: int | None = None,
                 with_labels: bool = False):
  """Every example once, bucketed, as global batches of `batch_size` of which this process
  reads only its own slice. The last batch of a bucket is topped up with copies whose weight
  is 0, so shapes stay static. Yields (this process's batch, its texts, its weights)."""
  n = len(split) if not max_examples else min(len(split), max_examples)
  indices = np.arange(n)
  buckets_of = assign_buckets(split.widths[:n], buckets)
  for b in sorted(set(buckets_of.tolist())):
    members = indices[buckets_of == b]
    for start in range(0, len(members), batch_size):
      chunk = members[start:start + batch_size]
      weights = np.zeros(batch_size, np.float32)
      weights[:len(chunk)] = 1.0
      chunk = np.concatenate([chunk, np.full(batch_size - len(chunk), chunk[0])])
      local = process_slice(np.arange(batch_size))
      examples = [split.example(i) for i in chunk[local]]
      # Scoring compares texts and needs no labels: a reference character the charset
      # lacks is an error the model could not avoid, not a reason to stop.
      batch = make_batch(examples, b, height, charset, max_label_length,
                         where=f"{split.name}", with_labels=with_labels)
      yield batch, [ex["text"] for ex in examples], weights[local]
