"""CER-versus-wall-clock of a run, from its <workdir>/metrics.jsonl: a Markdown table and a PNG.

  python launch/plot_metrics.py --workdir=/tmp/ocr_default --out=docs/default_cer_vs_time.png

Wall time counts from the start of the first run in the workdir (data preparation included).
"""
import argparse
import json
import os


def load(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--workdir", required=True, action="append",
                      help="run directory (repeat to overlay several runs)")
  parser.add_argument("--label", action="append", help="legend label per workdir")
  parser.add_argument("--out", help="PNG to write")
  args = parser.parse_args()
  labels = args.label or [os.path.basename(w.rstrip("/")) for w in args.workdir]
  runs = []
  for workdir, label in zip(args.workdir, labels):
    evals = [r for r in load(workdir) if r["kind"] == "eval"]
    runs.append((label, evals))
    print(f"\n{label} ({workdir})\n")
    print("| step | wall clock (min) | val CER | val WER | line accuracy |")
    print("|---:|---:|---:|---:|---:|")
    for r in evals:
      print(f"| {r['step']} | {r['wall_seconds'] / 60:.1f} | {100 * r['cer']:.2f} % | "
            f"{100 * r['wer']:.2f} % | {100 * r['line_accuracy']:.1f} % |")
  if args.out:
    import matplotlib  # pylint: disable=g-import-not-at-top
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for label, evals in runs:
      ax.plot([r["wall_seconds"] / 60 for r in evals], [100 * r["cer"] for r in evals],
              marker="o", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("wall clock since start, data preparation included (min)")
    ax.set_ylabel("validation CER (%), unseen fonts and text")
    ax.axhline(5, color="grey", lw=0.8, ls="--")
    ax.axhline(1, color="grey", lw=0.8, ls=":")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
  main()
