#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# Starts GPUS training processes on this node with torchrun. For several
# nodes, run it on every node with NNODES, NODE_RANK (0..NNODES-1),
# MASTER_ADDR (node 0's address) and PORT set alike. Without CUDA the
# processes run on CPUs and communicate over gloo.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_dist_launch.sh" train.py "$2" "$1" "${@:3}"
