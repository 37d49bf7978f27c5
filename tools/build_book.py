"""Build the course book offline and fail on any warning that is not allowlisted.

Runs ``jupyter-book build .`` from the repository root (output: ``_build/html``),
executing the chapter notebooks through the jupyter cache, copies Debian's MathJax
into the output so the pages render math with no network, then checks the log:
every Sphinx/myst-nb warning or error must match a pattern in
``book/warnings-allowlist.txt`` and every chapter in ``_toc.yml`` must have a page.
Exit status 0 only when all of that holds. Safe to run again: unchanged notebooks
come from the cache.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
ALLOWLIST = ROOT / "book" / "warnings-allowlist.txt"
MATHJAX_SRC = Path("/usr/share/javascript/mathjax")
# What MathJax 2.7 loads for config=TeX-AMS_CHTML (plus the menu/zoom extensions);
# the rest of the Debian tree (unpacked sources, other outputs) is 40 MB we do not need.
MATHJAX_PARTS = (
    "MathJax.js",
    "config/TeX-AMS_CHTML.js",
    "extensions",
    "jax/input/TeX",
    "jax/element",
    "jax/output/CommonHTML",
    "jax/output/PreviewHTML",
    "fonts/HTML-CSS/TeX/woff",
    "localization/en",
)
# Lines of the build log that report a problem, from Sphinx, docutils or myst-nb.
PROBLEM = re.compile(r"\b(WARNING|ERROR|SEVERE|CRITICAL)\b|Traceback \(most recent call last\)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # jupyter-book colours its log even when piped


def read_allowlist(path: Path) -> list[tuple[re.Pattern, str]]:
    """Return (pattern, justification) pairs; each entry is `regex  # why`."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, why = line.partition("  # ")
        if not sep or not why.strip():
            raise ValueError(f"{path}:{number}: every allowed warning needs '  # justification'")
        entries.append((re.compile(pattern.strip()), why.strip()))
    return entries


def toc_files(toc: Path) -> list[str]:
    """The document paths listed in _toc.yml (root and `file:` entries), in order."""
    files = []
    for line in toc.read_text().splitlines():
        match = re.match(r"\s*(?:-\s*)?(?:root|file):\s*(\S+)", line)
        if match:
            files.append(match.group(1))
    return files


def copy_mathjax(static: Path) -> None:
    """Copy the MathJax 2.7 files the pages load into the built site's _static."""
    if not (MATHJAX_SRC / "MathJax.js").is_file():
        raise FileNotFoundError(
            f"{MATHJAX_SRC}/MathJax.js is missing: install Debian's libjs-mathjax (tools/setup.sh does)"
        )
    target = static / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX_SRC / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def run_build() -> tuple[int, str, float]:
    """Run jupyter-book from the repository root; return (status, combined log, seconds)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger notice on kernel start
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "")
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", ".", "--builder", "html", "--keep-going"]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr), time.perf_counter() - start


def main() -> int:
    allowed = read_allowlist(ALLOWLIST)
    # Execution reports of an earlier failed build would otherwise fail this one.
    shutil.rmtree(HTML / "reports", ignore_errors=True)
    status, log, seconds = run_build()
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "build_book.log").write_text(log)

    problems = [line.strip() for line in log.splitlines() if PROBLEM.search(line)]
    unexpected = [p for p in problems if not any(rx.search(p) for rx, _ in allowed)]
    missing = [f for f in toc_files(ROOT / "_toc.yml") if not (HTML / f"{f}.html").is_file()]
    reports = sorted((HTML / "reports").glob("**/*.log")) if (HTML / "reports").is_dir() else []
    if HTML.is_dir():
        copy_mathjax(HTML / "_static")

    executed = re.findall(r"(\S+\.ipynb)[^\n]*?Executed notebook in ([\d.]+)", log)
    executed += re.findall(r"Executed notebook '?(\S+?)'? in ([\d.]+)", log)
    print(f"build_book: jupyter-book exited {status} after {seconds:.1f} s (log: _build/build_book.log)")
    for name, secs in executed:
        print(f"  executed {name} in {float(secs):.1f} s")
    print(f"  pages expected from _toc.yml: {len(toc_files(ROOT / '_toc.yml'))}, missing: {len(missing)}")
    print(f"  warnings: {len(problems)} ({len(problems) - len(unexpected)} allowlisted)")
    for line in unexpected:
        print(f"  NOT ALLOWED: {line}")
    for page in missing:
        print(f"  MISSING PAGE: {page}.html")
    for report in reports:
        print(f"  EXECUTION REPORT: {report.relative_to(ROOT)}")
    ok = status == 0 and not unexpected and not missing and not reports
    print("build_book: OK" if ok else "build_book: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
