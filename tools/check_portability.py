"""Run every chapter again as another CPU would, and compare with the stored outputs.

    .venv/bin/python tools/check_portability.py [book/07-lenet.ipynb ...] [-- extra pytest args]

The stored outputs of ``book/*.ipynb`` were recorded on one machine; the book's tests must
pass on any other. This executes the chapters with nbval (strict, the same sanitizer and
cell tags as ``pytest``) in an environment that makes the arithmetic round differently:

- ``OMP_NUM_THREADS=1``: one thread for OpenMP, OpenBLAS and TensorFlow's pools, so
  reductions are split (and summed) differently than with all cores;
- ``ATEN_CPU_CAPABILITY=default``: PyTorch's portable kernels instead of its AVX2/AVX-512
  ones;
- ``ONEDNN_MAX_CPU_ISA=SSE41``: oneDNN (PyTorch's and TensorFlow's convolutions) limited to
  SSE4.1 code paths;
- ``OPENBLAS_CORETYPE=Sandybridge`` where the CPU has AVX: NumPy's BLAS kernels of a 2011
  CPU, without FMA.

A cell whose output still changes is hardware-dependent and must not be compared digit by
digit (see "Outputs that hold on any machine" in the README). Two chapters run at a time
(pytest-xdist, one notebook per worker), so the single-threaded run still uses two cores.
Exit status: pytest's.
"""
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def portable_environment():
    """The variables that make this machine round as a different one would."""
    env = {"OMP_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "default"}
    if platform.machine() in ("x86_64", "AMD64"):
        env["ONEDNN_MAX_CPU_ISA"] = "SSE41"
        if "avx" in cpu_flags():  # OpenBLAS would crash on a core type the CPU cannot run
            env["OPENBLAS_CORETYPE"] = "Sandybridge"
    return env


def main(argv):
    paths, extra = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    chapters = paths or ["book"]
    changes = portable_environment()
    workers = str(max(1, min(2, os.cpu_count() or 1)))
    command = [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
               "-n", workers, "--dist", "loadfile", *chapters, *extra]
    print("check_portability: " + " ".join(f"{k}={v}" for k, v in changes.items()), flush=True)
    started = time.perf_counter()
    status = subprocess.call(command, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **changes})
    print(f"check_portability: {'passed' if status == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
