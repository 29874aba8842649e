#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options]
# Evaluates with GPUS processes on this node through torchrun. For several
# nodes, run it on every node with NNODES, NODE_RANK (0..NNODES-1),
# MASTER_ADDR (node 0's address) and PORT set alike. Without CUDA the
# processes run on CPUs and communicate over gloo.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_dist_launch.sh" test.py "$3" "$1" "$2" "${@:4}"
