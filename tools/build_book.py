"""Build the course book offline and fail on any warning that is not allowlisted.

1. Executes the chapters of ``_toc.yml`` into the jupyter cache (``_build/.jupyter_cache``),
   two chapters at a time on two cores (jupyter-cache's ``local-parallel`` executor). A
   chapter whose code is unchanged since its last execution is not run again; the whole
   cache is dropped when the package's code or the installed libraries changed, since the
   cache only knows the notebooks' own code.
2. Runs ``jupyter-book build .`` from the repository root (output: ``_build/html``); it
   finds every chapter in the cache and executes nothing itself. When the book's own
   static files (``book/_static``: CSS, JS, favicon) changed since the last build, every
   page is written again (``--all``): Sphinx copies static files and stamps their
   checksums into the pages only when it writes pages, and an unchanged chapter is not.
3. Copies Debian's MathJax into the output so the pages render math with no network, and
   checks the log: every Sphinx/myst-nb warning or error must match a pattern in
   ``book/warnings-allowlist.txt`` and every chapter must have a page.

Exit status 0 only when all of that holds. A cell that raises (a failed ``assert`` of a
claim the prose makes, for one) fails the build. The executed chapters stay in the cache:
``pytest`` compares them with the outputs stored in ``book/*.ipynb`` (``book/conftest.py``).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CACHE = ROOT / "_build" / ".jupyter_cache"
INPUTS_STAMP = CACHE / "cnncourse-inputs.sha256"
STATIC = ROOT / "book" / "_static"
STATIC_STAMP = ROOT / "_build" / "cnncourse-static.sha256"
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


def inputs_fingerprint() -> str:
    """A hash of what chapter outputs depend on besides their own code: the package and
    tooling sources and the versions of every installed distribution."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("cnncourse/**/*.py"), ROOT / "pyproject.toml"]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    versions = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def static_fingerprint() -> str:
    """A hash of the book's own static files (book/_static), names and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def chapter_environment() -> None:
    """Environment of the kernels that execute the chapters (they inherit ours)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger notice on kernel start


def execute_chapters(notebooks: list[Path], timeout: int) -> tuple[dict[str, float], dict[str, str]]:
    """Execute the chapters the cache has no outputs for; return (seconds, tracebacks) by path."""
    fingerprint = inputs_fingerprint()
    if CACHE.is_dir() and (not INPUTS_STAMP.is_file() or INPUTS_STAMP.read_text() != fingerprint):
        shutil.rmtree(CACHE)  # the package changed under the cached outputs
    CACHE.mkdir(parents=True, exist_ok=True)
    cache = get_cache(CACHE)
    INPUTS_STAMP.write_text(fingerprint)
    uris = [str(path) for path in notebooks]
    for uri in uris:
        cache.add_nb_to_project(uri)
    chapter_environment()
    result = load_executor("local-parallel", cache).run_and_cache(
        filter_uris=uris, timeout=timeout, allow_errors=False)
    seconds = {}
    for uri in result.succeeded:
        record = cache.get_cached_project_nb(uri)
        seconds[uri] = record.data.get("execution_seconds", 0.0) if record else 0.0
    failed = {uri: cache.get_project_record(uri).traceback or "failed before execution"
              for uri in result.excepted + result.errored}
    return seconds, failed


def run_build(write_all: bool = False) -> tuple[int, str, float]:
    """Run jupyter-book from the repository root; return (status, combined log, seconds).
    ``write_all`` writes every page again, not only those whose source changed."""
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "")
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", ".", "--builder", "html", "--keep-going"]
    if write_all:
        command.append("--all")
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr), time.perf_counter() - start


def main() -> int:
    allowed = read_allowlist(ALLOWLIST)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    chapters = [ROOT / f"{f}.ipynb" for f in toc_files(ROOT / "_toc.yml") if (ROOT / f"{f}.ipynb").is_file()]
    started = time.perf_counter()
    executed, failed = execute_chapters(chapters, timeout=config["execute"]["timeout"])
    print(f"build_book: executed {len(executed)} of {len(chapters)} chapters in "
          f"{time.perf_counter() - started:.1f} s (the others were unchanged and come from the cache)")
    for uri, secs in sorted(executed.items()):
        print(f"  executed {Path(uri).relative_to(ROOT)} in {secs:.1f} s")
    for uri, traceback in failed.items():
        print(f"build_book: FAILED to execute {Path(uri).relative_to(ROOT)}:\n{traceback}")
    if failed:
        return 1
    # Execution reports of an earlier failed build would otherwise fail this one.
    shutil.rmtree(HTML / "reports", ignore_errors=True)
    static = static_fingerprint()
    static_changed = not STATIC_STAMP.is_file() or STATIC_STAMP.read_text() != static
    status, log, seconds = run_build(write_all=static_changed)
    (ROOT / "_build").mkdir(exist_ok=True)
    if status == 0:
        STATIC_STAMP.write_text(static)
    (ROOT / "_build" / "build_book.log").write_text(log)

    problems = [line.strip() for line in log.splitlines() if PROBLEM.search(line)]
    unexpected = [p for p in problems if not any(rx.search(p) for rx, _ in allowed)]
    missing = [f for f in toc_files(ROOT / "_toc.yml") if not (HTML / f"{f}.html").is_file()]
    reports = sorted((HTML / "reports").glob("**/*.log")) if (HTML / "reports").is_dir() else []
    if HTML.is_dir():
        copy_mathjax(HTML / "_static")

    late = re.findall(r"Executed notebook in ([\d.]+)", log)
    print(f"build_book: jupyter-book exited {status} after {seconds:.1f} s (log: _build/build_book.log)")
    if late:  # every chapter should have come from the cache
        print(f"  NOT ALLOWED: jupyter-book executed {len(late)} notebook(s) itself")
    print(f"  pages expected from _toc.yml: {len(toc_files(ROOT / '_toc.yml'))}, missing: {len(missing)}")
    print(f"  warnings: {len(problems)} ({len(problems) - len(unexpected)} allowlisted)")
    for line in unexpected:
        print(f"  NOT ALLOWED: {line}")
    for page in missing:
        print(f"  MISSING PAGE: {page}.html")
    for report in reports:
        print(f"  EXECUTION REPORT: {report.relative_to(ROOT)}")
    ok = status == 0 and not unexpected and not missing and not reports and not late
    print("build_book: OK" if ok else "build_book: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
