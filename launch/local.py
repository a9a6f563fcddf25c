"""Runs N processes of one command on this machine as one JAX distributed job.

  python launch/local.py --num_processes=2 -- \
      python -m ocr_jax.main --config=configs/default.py:quick --workdir=/tmp/ocr_2proc

Each worker gets OCR_JAX_DISTRIBUTED=1, OCR_JAX_COORDINATOR_ADDRESS=localhost:<free port>,
OCR_JAX_NUM_PROCESSES and OCR_JAX_PROCESS_ID, which `ocr_jax.main` passes to
`jax.distributed.initialize()` (CPU collectives go through gloo). Worker 0 prints to this
terminal; every worker's output is also kept in <log_dir>/worker-<i>.log. If any worker
exits with an error, the others are stopped and the launcher exits with that worker's code.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _pump(stream, log, echo: bool, prefix: str):
  for line in iter(stream.readline, b""):
    log.write(line)
    log.flush()
    if echo:
      sys.stdout.buffer.write(prefix.encode() + line)
      sys.stdout.flush()


def _stop(procs, grace_s: float = 10.0):
  for p in procs:
    if p.poll() is None:
      os.killpg(p.pid, signal.SIGTERM)
  deadline = time.time() + grace_s
  for p in procs:
    try:
      p.wait(timeout=max(0.1, deadline - time.time()))
    except subprocess.TimeoutExpired:
      os.killpg(p.pid, signal.SIGKILL)
      p.wait()


def launch(command: list[str], num_processes: int, log_dir: str, echo_all: bool = False,
           port: int | None = None) -> int:
  """Runs the job; returns 0, or the exit code of the first worker that failed."""
  os.makedirs(log_dir, exist_ok=True)
  address = f"localhost:{port or free_port()}"
  procs, pumps, logs = [], [], []
  for i in range(num_processes):
    env = dict(os.environ, OCR_JAX_DISTRIBUTED="1", OCR_JAX_COORDINATOR_ADDRESS=address,
               OCR_JAX_NUM_PROCESSES=str(num_processes), OCR_JAX_PROCESS_ID=str(i))
    log = open(os.path.join(log_dir, f"worker-{i}.log"), "wb")
    # Own process group per worker, so stopping a worker stops its children too.
    p = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    t = threading.Thread(target=_pump, args=(p.stdout, log, echo_all or i == 0, f"[{i}] "),
                         daemon=True)
    t.start()
    procs.append(p)
    pumps.append(t)
    logs.append(log)
  code = 0
  try:
    while True:
      codes = [p.poll() for p in procs]
      failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
      if failed:
        i, code = failed[0]
        print(f"launch/local.py: worker {i} exited with code {code}; stopping the others "
              f"(its log: {os.path.join(log_dir, f'worker-{i}.log')})", file=sys.stderr)
        _stop(procs)
        break
      if all(c == 0 for c in codes):
        break
      time.sleep(0.2)
  except KeyboardInterrupt:
    _stop(procs)
    code = 130
  for t in pumps:
    t.join(timeout=5)
  for log in logs:
    log.close()
  return code


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--num_processes", "-n", type=int, default=2,
                      help="processes to start on this machine")
  parser.add_argument("--log_dir", default=None,
                      help="where worker-<i>.log files go (default: a new temp dir)")
  parser.add_argument("--port", type=int, default=None, help="coordinator port (default: free)")
  parser.add_argument("--echo_all", action="store_true",
                      help="print every worker's output, prefixed [i] (default: worker 0)")
  parser.add_argument("command", nargs=argparse.REMAINDER,
                      help="-- then the command every worker runs")
  args = parser.parse_args(argv)
  command = args.command[1:] if args.command[:1] == ["--"] else args.command
  if not command:
    parser.error("no command given (put it after --)")
  log_dir = args.log_dir or tempfile.mkdtemp(prefix="ocr_jax_workers_")
  print(f"launch/local.py: {args.num_processes} workers, logs in {log_dir}", file=sys.stderr)
  return launch(command, args.num_processes, log_dir, args.echo_all, args.port)


if __name__ == "__main__":
  sys.exit(main())
