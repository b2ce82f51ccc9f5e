#!/usr/bin/env bash
# The prepared GPU check (issue #18): CUDA-marked tests and the GPU benchmarks, one JSON of figures.
#
#   benchmarks/gpu_check.sh                      # on a CUDA machine, <= 8 minutes on one H100
#   benchmarks/gpu_check.sh --device cpu --out /tmp/gpu_check_cpu.json   # reduced sizes, end to end on the CPU
#
# Writes benchmarks/results/gpu_check.json unless --out is given; the steps and their sizes are listed in
# benchmarks/gpu_check.py. Exit status 1 when a step failed (its output tail is in the JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then
    PYTHON=.venv/bin/python
else
    PYTHON=${PYTHON:-python}
fi
export GRAPHKIT_DATA="${GRAPHKIT_DATA:-$(cd .. && pwd)/shared/datasets}"
exec "$PYTHON" benchmarks/gpu_check.py "$@"
