#!/usr/bin/env bash
# Usage: tools/gpu_check.sh [--device cpu] [--quick] [--out-dir DIR]
# mmpoolformer.analysis.gpu_check from this checkout; where mmengine, mmcv's
# cnn or mmpretrain is missing, first the wheels of $WHEELS (default .whl,
# see requirements/gpu_check.txt) into a folder of its own.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
if ! "$python" -c 'import mmengine, mmcv.cnn, mmpretrain' 2>/dev/null; then
    site="${TMPDIR:-/tmp}/mmpoolformer_gpu_check"
    "$python" -m pip install -q --no-index --no-deps --no-compile \
        --target "$site" "${WHEELS:-$root/.whl}"/*.whl
    export PYTHONPATH="$site:$PYTHONPATH"
fi
exec "$python" -m mmpoolformer.analysis.gpu_check "$@"
