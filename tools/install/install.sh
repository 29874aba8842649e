#!/usr/bin/env bash
# Installs mmpoolformer and its pinned OpenMMLab stack into a virtual environment.
# Usage: tools/install/install.sh [VENV]   (default: .venv at the repository root)
# Every step is idempotent: run it again after a failure and it continues where it stopped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
CACHE_DIR="${MMPOOLFORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmpoolformer}"

TORCH_PIN="torch==2.14.1"
TORCHVISION_PIN="torchvision==0.29.1"
MMENGINE_PIN="mmengine==0.10.7"
MMCV_VERSION="2.1.0"
MMDET_PIN="mmdet==3.3.0"
MMSEG_PIN="mmsegmentation==1.2.2"
MMPRETRAIN_PIN="mmpretrain==1.2.0"
# mmcv 2.1.0's setup.py imports pkg_resources (removed in setuptools 82); torch >= 2.13 needs setuptools >= 77.
SETUPTOOLS_PIN="setuptools>=77,<82"

step() { printf '\n[install] %s\n' "$*"; }
fail() {
    printf '\n[install] FAILED: %s\n[install] Fix the cause above, then run `make install` again (finished steps are skipped).\n' "$1" >&2
    exit 1
}

step "virtual environment: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV" || fail "creating the virtual environment at $VENV with $PYTHON_BIN"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "build tools ($SETUPTOOLS_PIN, wheel, ninja)"
"${PIP[@]}" install -q --upgrade pip "$SETUPTOOLS_PIN" wheel ninja || fail "installing build tools"

step "torch"
if "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "keeping the torch already in $VENV: $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')"
else
    "${PIP[@]}" install "$TORCH_PIN" "$TORCHVISION_PIN" "$SETUPTOOLS_PIN" || fail "installing $TORCH_PIN $TORCHVISION_PIN"
fi

step "$MMENGINE_PIN"
"${PIP[@]}" install -q "$MMENGINE_PIN" "$SETUPTOOLS_PIN" || fail "installing $MMENGINE_PIN"

step "mmcv $MMCV_VERSION with ops"
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    echo "mmcv $MMCV_VERSION with ops is already installed"
else
    # CUDA ops when this torch can use a GPU, CPU ops otherwise; the cached wheel is keyed by both.
    read -r TORCH_VERSION CUDA_TAG <<<"$("$PY" -c '
import torch
cuda = torch.version.cuda if torch.cuda.is_available() else None
print(torch.__version__.replace("+", "_"), ("cu" + cuda.replace(".", "")) if cuda else "cpu")')"
    WHEEL_DIR="$CACHE_DIR/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$CUDA_TAG"
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        echo "no cached wheel in $WHEEL_DIR: building mmcv from source (10-20 minutes on 2 cores)"
        BUILD_DIR="$(mktemp -d)"
        trap 'rm -rf "$BUILD_DIR"' EXIT
        "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD_DIR" \
            || fail "downloading the mmcv $MMCV_VERSION source distribution"
        tar -xzf "$BUILD_DIR/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD_DIR"
        SRC="$BUILD_DIR/mmcv-$MMCV_VERSION"
        # torch >= 2.13 headers require C++20; mmcv 2.1.0 hard-codes C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
        FORCE_CUDA=0
        [ "$CUDA_TAG" != cpu ] && FORCE_CUDA=1
        mkdir -p "$WHEEL_DIR"
        (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
            "${PIP[@]}" wheel --no-deps --no-build-isolation -w "$WHEEL_DIR.partial" .) \
            || { rm -rf "$WHEEL_DIR" "$WHEEL_DIR.partial"; fail "building mmcv $MMCV_VERSION (see the compiler output above)"; }
        mv "$WHEEL_DIR.partial"/mmcv-*.whl "$WHEEL_DIR"/ && rm -rf "$WHEEL_DIR.partial"
    else
        echo "using the cached wheel in $WHEEL_DIR"
    fi
    "${PIP[@]}" install --no-deps "$WHEEL_DIR"/mmcv-*.whl || fail "installing the mmcv wheel from $WHEEL_DIR"
    "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python || fail "installing mmcv's runtime requirements"
fi

step "$MMDET_PIN, $MMSEG_PIN, $MMPRETRAIN_PIN and test requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/all.txt" "$SETUPTOOLS_PIN" \
    || fail "installing the packages in requirements/all.txt"

step "mmpoolformer (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT" || fail "installing mmpoolformer in editable mode"

"$PY" -c 'import mmcv.ops, mmdet, mmseg, mmpretrain, mmpoolformer' || fail "importing the installed stack"
touch "$VENV/.mmpoolformer-installed"
step "done: $("$PY" -c 'import torch, mmcv, mmdet, mmseg, mmpretrain; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmdet", mmdet.__version__, "mmseg", mmseg.__version__, "mmpretrain", mmpretrain.__version__)')"
