#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR
#            [tools/train.py options]
# Trains as one Slurm job on PARTITION through srun, as mmdet's script
# does: GPUS processes in all (default 8), GPUS_PER_NODE per node
# (default 8), CPUS_PER_TASK CPUs each (default 5); SRUN_ARGS adds srun
# options. Runs from any directory.
set -euo pipefail

if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]" >&2
    echo "error: expected PARTITION, JOB_NAME, CONFIG and WORK_DIR," \
        "got $# argument(s)" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_slurm_launch.sh" "$1" "$2" train.py "$3" \
    --work-dir="$4" --launcher=slurm "${@:5}"
