#!/usr/bin/env bash
# Installs mmpoolformer and its pinned OpenMMLab stack into a virtual environment.
# Usage: tools/install/install.sh [VENV]   (default: .venv at the repository root; a relative VENV is taken from
# the folder you run this in, as `make` passes it from the repository root)
# The versions come from requirements/build.txt and requirements/all.txt.
# Every step is idempotent: run it again after a failure and it continues where it stopped.
# Environment: PYTHON (the interpreter that creates the venv, default python3), MMPOOLFORMER_CACHE (where built mmcv
# wheels are kept, default ~/.cache/mmpoolformer), MAX_JOBS (parallel compiler jobs, default: all cores),
# MMPOOLFORMER_PROGRESS_SECONDS (how often the mmcv build reports progress, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Absolute from here on: later steps run in other folders.
VENV="$(realpath -m "${1:-$ROOT/.venv}")"
PYTHON_BIN="${PYTHON:-python3}"
CACHE_DIR="$(realpath -m "${MMPOOLFORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmpoolformer}")"

step() { printf '\n[install] %s\n' "$*"; }
fail() {
    printf '\n[install] FAILED: %s\n[install] Fix the cause above, then run `make install` again (finished steps are skipped).\n' "$1" >&2
    exit 1
}
# The requirement line of a package in requirements/build.txt (or the file given second): `pin torch` -> torch==2.14.1.
pin() {
    local file="${2:-$ROOT/requirements/build.txt}" line
    line="$(grep -E "^$1([=<>!~ ]|$)" "$file" | head -n 1)"
    [ -n "$line" ] || fail "reading the $1 requirement from $file"
    printf '%s' "$line"
}

SETUPTOOLS_PIN="$(pin setuptools)"
MMCV_VERSION="$(pin mmcv)"
MMCV_VERSION="${MMCV_VERSION#mmcv==}"

step "virtual environment: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON_BIN" >/dev/null || fail "finding $PYTHON_BIN (install Python 3.11, or set PYTHON=/path/to/python3)"
    "$PYTHON_BIN" -m venv "$VENV" \
        || { rm -rf "$VENV"; fail "creating the virtual environment at $VENV with $PYTHON_BIN (on Debian/Ubuntu: apt-get install python3-venv)"; }
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "build tools ($SETUPTOOLS_PIN, wheel, ninja)"
"${PIP[@]}" install -q --upgrade pip "$SETUPTOOLS_PIN" "$(pin wheel)" "$(pin ninja)" || fail "installing build tools"

step "torch"
if "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    echo "keeping the torch already in $VENV: $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')"
else
    "${PIP[@]}" install "$(pin torch)" "$(pin torchvision)" "$SETUPTOOLS_PIN" \
        || fail "installing $(pin torch) $(pin torchvision)"
fi

# How far the build of the mmcv source in $1, logging to $2, has come: ninja's "[done/total]" counter when it
# prints one, else the object files written so far.
compile_progress() {
    local counter
    counter="$(grep -o '^ *\[[0-9]*/[0-9]*\]' "$2" | tail -n 1 | tr -d ' []')"
    if [ -n "$counter" ]; then
        printf '%s of %s source files compiled' "${counter%/*}" "${counter#*/}"
    else
        printf '%s source files compiled' "$(find "$1" -name '*.o' | wc -l)"
    fi
}

# Compiles the unpacked mmcv source in $1 into a wheel in $2, printing the elapsed time and the files compiled
# once a minute (pip would print only "still running..."); the compiler's own output goes to $3, and its end is
# shown on failure.
compile_mmcv() {
    local src="$1" out="$2" log="$3" force_cuda=0 pid
    [ "$CUDA_TAG" != cpu ] && force_cuda=1
    # The venv's bin first, so that torch finds the ninja installed above and compiles in parallel.
    (cd "$src" && PATH="$VENV/bin:$PATH" MMCV_WITH_OPS=1 FORCE_CUDA=$force_cuda MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel -v --no-deps --no-build-isolation -w "$out" .) >"$log" 2>&1 &
    pid=$!
    local start=$SECONDS every="${MMPOOLFORMER_PROGRESS_SECONDS:-60}" elapsed
    local next=$every
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        elapsed=$((SECONDS - start))
        if [ "$elapsed" -ge "$next" ]; then
            printf '[install] compiling mmcv: %d min %02d s, %s\n' $((elapsed / 60)) $((elapsed % 60)) \
                "$(compile_progress "$src" "$log")"
            next=$((next + every))
        fi
    done
    if ! wait "$pid"; then
        tail -n 40 "$log" >&2
        echo "[install] the whole compiler output: $log" >&2
        return 1
    fi
    printf '[install] compiled mmcv in %d min %d s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
}

MMENGINE_PIN="$(pin mmengine "$ROOT/requirements/all.txt")"
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
        tar -xzf "$BUILD_DIR/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD_DIR" || fail "unpacking the mmcv source distribution"
        # torch >= 2.13 headers require C++20; mmcv 2.1.0 hard-codes C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$BUILD_DIR/mmcv-$MMCV_VERSION/setup.py"
        mkdir -p "$CACHE_DIR/wheels"
        rm -rf "$WHEEL_DIR.partial"
        compile_mmcv "$BUILD_DIR/mmcv-$MMCV_VERSION" "$WHEEL_DIR.partial" "$CACHE_DIR/mmcv-build.log" \
            || { rm -rf "$WHEEL_DIR.partial"; fail "building mmcv $MMCV_VERSION (a C++20 compiler is needed, e.g. g++ >= 10; the compiler's messages are above)"; }
        mkdir -p "$WHEEL_DIR" && mv "$WHEEL_DIR.partial"/mmcv-*.whl "$WHEEL_DIR"/ && rm -rf "$WHEEL_DIR.partial"
    else
        echo "using the cached wheel in $WHEEL_DIR"
    fi
    "${PIP[@]}" install --no-deps "$WHEEL_DIR"/mmcv-*.whl || fail "installing the mmcv wheel from $WHEEL_DIR"
    "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python || fail "installing mmcv's runtime requirements"
fi

step "the OpenMMLab stack and test requirements (requirements/all.txt)"
"${PIP[@]}" install -q -r "$ROOT/requirements/all.txt" "$SETUPTOOLS_PIN" \
    || fail "installing the packages in requirements/all.txt"

step "mmpoolformer (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT" || fail "installing mmpoolformer in editable mode"

"$PY" -c 'import mmcv.ops, mmdet, mmseg, mmpretrain, mmpoolformer' || fail "importing the installed stack"
touch "$VENV/.mmpoolformer-installed"
step "done: $("$PY" -c 'import torch, mmcv, mmdet, mmseg, mmpretrain; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmdet", mmdet.__version__, "mmseg", mmseg.__version__, "mmpretrain", mmpretrain.__version__)')"
