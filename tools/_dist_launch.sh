#!/usr/bin/env bash
# Usage: tools/_dist_launch.sh TOOL PROCESSES [TOOL arguments]
# What dist_train.sh and dist_test.sh share: runs tools/TOOL once with
# --dry-run, so that a bad argument is reported once rather than by every
# process, then starts PROCESSES copies of it on this node through
# torchrun (tools/_torchrun.py), with --launcher pytorch. Reads NNODES,
# NODE_RANK, MASTER_ADDR, PORT and PYTHON from the environment.
set -euo pipefail

TOOLS="$(dirname "$0")"
TOOL="$TOOLS/$1"
PROCESSES=$2
shift 2
PYTHON=${PYTHON:-python}

"$PYTHON" "$TOOL" "$@" --dry-run >/dev/null
exec "$PYTHON" "$TOOLS/_torchrun.py" --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" --nproc_per_node="$PROCESSES" \
    "$TOOL" --launcher pytorch "$@"
