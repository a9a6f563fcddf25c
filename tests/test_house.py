"""The house: a short README whose links resolve and whose Python example runs as written,
and imports inside ocr_jax that point one way."""
import ast
import os
import re

import numpy as np
from PIL import Image

from conftest import REPO

README = os.path.join(REPO, "README.md")
DOCS = os.path.join(REPO, "docs")


def _module_graph() -> dict[str, set[str]]:
  """{module: ocr_jax modules it imports}, counting imports inside functions too."""
  root = os.path.join(REPO, "ocr_jax")
  files = {}
  for folder, _, names in os.walk(root):
    for name in names:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        module = os.path.relpath(path[:-3], REPO).replace(os.sep, ".")
        files[module.removesuffix(".__init__")] = path
  graph = {}
  for module, path in files.items():
    deps = set()
    with open(path, encoding="utf-8") as f:
      tree = ast.parse(f.read())
    for node in ast.walk(tree):
      if isinstance(node, ast.Import):
        deps.update(a.name for a in node.names)
      elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for a in node.names:
          full = f"{node.module}.{a.name}"
          deps.add(full if full in files else node.module)
    graph[module] = {d for d in deps if d in files and d != module}
  return graph


def _cycles(graph) -> list[list[str]]:
  found, state, stack = [], {}, []

  def visit(u):
    state[u] = "open"
    stack.append(u)
    for v in sorted(graph[u]):
      if state.get(v) == "open":
        found.append(stack[stack.index(v):] + [v])
      elif v not in state:
        visit(v)
    stack.pop()
    state[u] = "done"

  for u in sorted(graph):
    if u not in state:
      visit(u)
  return found


def test_imports_point_one_way():
  graph = _module_graph()
  assert "ocr_jax.inference" in graph and "ocr_jax.train" in graph  # the walk saw the tree
  assert _cycles(graph) == []
  # The finder itself finds a circle when there is one.
  assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_readme_fits_on_a_few_screens():
  with open(README, encoding="utf-8") as f:
    assert len(f.read().splitlines()) <= 200


def _markdown_files():
  yield README
  for folder, _, names in os.walk(DOCS):
    for name in names:
      if name.endswith(".md"):
        yield os.path.join(folder, name)
  yield from (os.path.join(REPO, "ocr_jax", "released", n, "README.md")
              for n in os.listdir(os.path.join(REPO, "ocr_jax", "released"))
              if os.path.exists(os.path.join(REPO, "ocr_jax", "released", n, "README.md")))


def test_relative_links_resolve():
  broken = []
  for path in _markdown_files():
    with open(path, encoding="utf-8") as f:
      text = f.read()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
      if re.match(r"[a-z]+:", target) or target.startswith("#"):
        continue
      file = target.split("#")[0]
      if not os.path.exists(os.path.join(os.path.dirname(path), file)):
        broken.append(f"{os.path.relpath(path, REPO)} -> {target}")
  assert not broken


def test_readme_python_example_runs_as_written(tmp_path, monkeypatch):
  """The README's first Python block, verbatim, in a folder holding the files it names."""
  from ocr_jax.data import render, testsets
  from ocr_jax.omr import engrave, synth
  with open(README, encoding="utf-8") as f:
    code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
  rng = np.random.default_rng(3)
  Image.fromarray(testsets.clean_line("Read me in one call.", render.TEST_FONTS[2],
                                      rng)).save(tmp_path / "line.png")
  page, lines, *_ = testsets.render_page(rng, render.TEST_FONTS[4], num_lines=4)
  Image.fromarray(page).save(tmp_path / "page.png")
  incipit = synth.random_incipit(np.random.default_rng(5))
  Image.fromarray(engrave.engrave(incipit.mei(), "Leipzig")).save(tmp_path / "staff.png")
  monkeypatch.chdir(tmp_path)
  scope = {}
  exec(compile(code, "README.md", "exec"), scope)  # pylint: disable=exec-used
  readings, scores = scope["readings"], scope["scores"]
  assert [r.source for r in readings] == ["line.png", "page.png"]
  assert readings[0].text == "Read me in one call."
  assert len(readings[1].lines) == len(lines)
  assert (tmp_path / "staff.mid").stat().st_size > 20 and scores[0].tokens


def test_released_models_are_picked_by_name(tmp_path):
  """A released model's name works wherever a model directory does."""
  import ocr_jax
  from ocr_jax import cli, released
  assert released.resolve("english_print") == ocr_jax.ENGLISH_MODEL
  assert released.resolve("music_synth") == ocr_jax.MUSIC_MODEL
  assert {"english_print", "music_synth", "music_piano", "korean"} <= set(released.names())
  assert released.resolve("korean") == released.KOREAN_MODEL
  assert released.resolve("no_such_model") == "no_such_model"  # left for the loader to report
  assert released.resolve(str(tmp_path)) == str(tmp_path)
  grey = np.full((40, 300), 255, np.uint8)
  grey[12:28, 20:280:9] = 0
  Image.fromarray(grey).save(tmp_path / "line.png")
  assert cli.main(["read", "--model", "english_print", str(tmp_path / "line.png")]) == 0
  assert cli.main(["read", "--model", "no_such_model", str(tmp_path / "line.png")]) == 2


def test_ci_installs_the_debian_packages_the_code_names():
  """`.ci/run` installs every Debian package a training config's faces come from, so a
  clean machine renders what the tests render (a missing one failed CI on a fresh box)."""
  from ocr_jax.data import render  # pylint: disable=import-outside-toplevel
  with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as f:
    debian = set(re.search(r'DEBIAN="([^"]*)"', f.read()).group(1).split())
  named = " ".join((render.SYSTEM_FONT_PACKAGES, render.WIDE_FONT_PACKAGES,
                    render.KOREAN_FONT_PACKAGES)).split()
  assert set(named) - debian == set()
