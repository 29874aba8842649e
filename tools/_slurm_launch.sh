#!/usr/bin/env bash
# Usage: tools/_slurm_launch.sh PARTITION JOB_NAME TOOL [TOOL arguments]
# What slurm_train.sh and slurm_test.sh share: starts GPUS copies of
# tools/TOOL (GPUS_PER_NODE per node, CPUS_PER_TASK CPUs each) as one job
# on the Slurm PARTITION with srun, the repository first on PYTHONPATH.
# SRUN_ARGS adds srun options (split at spaces); PYTHON names the Python
# (default: python).
set -euo pipefail

TOOLS="$(cd "$(dirname "$0")" && pwd)"
PARTITION=$1
JOB_NAME=$2
TOOL=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PYTHON=${PYTHON:-python}
read -r -a SRUN_OPTIONS <<< "${SRUN_ARGS:-}"

for name in GPUS GPUS_PER_NODE CPUS_PER_TASK; do
    if ! [[ ${!name} =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $name must be a positive whole number, got '${!name}'" >&2
        exit 2
    fi
done
if ! command -v srun >/dev/null; then
    echo "error: srun not found: run this on a Slurm cluster, or on one" \
        "machine with tools/dist_train.sh or tools/dist_test.sh" >&2
    exit 1
fi

export PYTHONPATH="$(dirname "$TOOLS")${PYTHONPATH:+:$PYTHONPATH}"
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    "${SRUN_OPTIONS[@]}" \
    "$PYTHON" -u "$TOOLS/$TOOL" "$@"
