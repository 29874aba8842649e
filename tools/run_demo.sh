#!/usr/bin/env bash
# `make demo`: generates the synthetic shapes dataset, trains RetinaNet-PoolFormer-S12 on it from scratch,
# tests the saved checkpoint (mmdet's COCO metric lines), draws the test predictions and ends with two pictures:
# an overview of val images with their true and predicted boxes, and the training curve.
# Usage: bash tools/run_demo.sh [extra tools/train.py arguments, e.g. --cfg-options train_cfg.max_iters=100]
# Environment: PYTHON (default .venv/bin/python), WORK_DIR (default work_dirs/retinanet_poolformer_s12_demo),
# NUM_TRAIN and NUM_VAL (images generated, default 500 and 100).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CONFIG=configs/demo/retinanet_poolformer_s12_demo.py
WORK_DIR="${WORK_DIR:-work_dirs/retinanet_poolformer_s12_demo}"
SHOW_DIR="$(realpath -m "$WORK_DIR")/pictures"

step() { printf '\n[demo] %s\n' "$*"; }

step "generating the demo dataset in data/demo"
"$PYTHON" tools/make_demo_data.py --out data/demo --num-train "${NUM_TRAIN:-500}" --num-val "${NUM_VAL:-100}"

step "training $CONFIG from scratch (progress below; mmengine logs iteration, ETA and losses)"
"$PYTHON" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
CHECKPOINT="$(cat "$WORK_DIR/last_checkpoint")"

step "testing $CHECKPOINT on the demo val split"
rm -rf "$SHOW_DIR"
PREDICTIONS="$WORK_DIR/predictions.pkl"
"$PYTHON" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR" --show-dir "$SHOW_DIR" --out "$PREDICTIONS"

step "drawing an overview of the predictions and the training curve"
"$PYTHON" tools/draw_demo_results.py "$CONFIG" "$PREDICTIONS" --work-dir "$WORK_DIR" --out-dir "$SHOW_DIR"

step "done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "[demo] checkpoint: $CHECKPOINT"
echo "[demo] prediction pictures: $SHOW_DIR"
echo "[demo] overview (true boxes green, predictions magenta): $SHOW_DIR/overview.png"
echo "[demo] training curve (losses, val bbox mAP): $SHOW_DIR/training_curve.png"
echo "[demo] one image: $PYTHON demo/image_demo.py data/demo/images/val/000000.png $CONFIG $CHECKPOINT --out-dir outputs"
