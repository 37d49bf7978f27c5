#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: the Debian packages the course needs,
# then .venv with the project installed (editable) and every extra.
# Re-running it does nothing unless a package is missing or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Fashion-MNIST (real data, offline), MathJax for the offline book, Chromium for
# the browser test, bubblewrap for the autograder's sandbox, Graphviz to lay out the
# book's network diagrams (cnncourse.diagrams).
APT_PACKAGES=(dataset-fashion-mnist libjs-mathjax chromium chromium-driver bubblewrap graphviz)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.cnncourse-installed
want=$(cat pyproject.toml tools/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing cnncourse and its extras into .venv"
  # torch first, pinned, so nothing can pull a CUDA build in its place.
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e ".[all]"
  .venv/bin/python -m pip check
  echo "$want" > "$stamp"
fi
echo "setup: ready (.venv, $(.venv/bin/python -c 'import cnncourse; print("cnncourse", cnncourse.__version__)'))"
