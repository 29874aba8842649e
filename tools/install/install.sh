#!/usr/bin/env bash
# Installs mmpoolformer and its pinned OpenMMLab stack into a virtual environment.
# Usage: tools/install/install.sh [VENV]   (default: .venv at the repository root; a relative VENV is taken from
# the folder you run this in, as `make` passes it from the repository root)
# The versions come from requirements/build.txt and requirements/all.txt.
# Every step is idempotent: run it again after a failure and it continues where it stopped.
# Environment: PYTHON (makes the venv, default python3), MMPOOLFORMER_CACHE (built mmcv wheels, default
# ~/.cache/mmpoolformer), FORCE_CUDA (1/0: mmcv's CUDA ops or not; default 1 where torch sees a GPU and nvcc is found),
# MAX_JOBS (compiler jobs, default: all cores), MMPOOLFORMER_PROGRESS_SECONDS (progress report interval, default 60).
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

# mmpoolformer and its tests need Python 3.11 or newer.
check_python() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || fail "$1 is Python $("$1" -c 'import platform; print(platform.python_version())'), mmpoolformer needs 3.11 or newer (set PYTHON=/path/to/python3.11$2)"
}

step "virtual environment: $VENV"
if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON_BIN" >/dev/null || fail "finding $PYTHON_BIN (install Python 3.11, or set PYTHON=/path/to/python3)"
    check_python "$PYTHON_BIN" ""
    "$PYTHON_BIN" -m venv "$VENV" \
        || { rm -rf "$VENV"; fail "creating the virtual environment at $VENV with $PYTHON_BIN (on Debian/Ubuntu: apt-get install python3-venv)"; }
fi
PY="$VENV/bin/python"
check_python "$PY" " and remove $VENV, which was made with it"
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

# How far the build of the source in $1 (log $2) has come: ninja's "[done/total]" counter, else the object files.
compile_progress() {
    local counter
    counter="$(grep -o '^ *\[[0-9]*/[0-9]*\]' "$2" | tail -n 1 | tr -d ' []')"
    if [ -n "$counter" ]; then
        printf '%s of %s source files compiled' "${counter%/*}" "${counter#*/}"
    else
        printf '%s source files compiled' "$(find "$1" -name '*.o' | wc -l)"
    fi
}

# The mmcv build recipe. The text of these two functions is part of the cached wheel's key (mmcv_recipe_key), so
# any change to them builds mmcv again.
# Downloads the mmcv source distribution into $1 and unpacks and patches it there, in $1/mmcv-$MMCV_VERSION.
mmcv_source() {
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$1" &&
        tar -xzf "$1/mmcv-$MMCV_VERSION.tar.gz" -C "$1" &&
        # torch >= 2.13 headers require C++20; mmcv 2.1.0 hard-codes C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$1/mmcv-$MMCV_VERSION/setup.py"
}
# Compiles the unpacked source in $1 into a wheel in $2, with mmcv's CPU ops, and its CUDA ops when FORCE_CUDA=1.
mmcv_wheel() {
    # The venv's bin first, so that torch finds the ninja installed above and compiles in parallel.
    cd "$1" && PATH="$VENV/bin:$PATH" MMCV_WITH_OPS=1 FORCE_CUDA="$FORCE_CUDA" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel -v --no-deps --no-build-isolation -w "$2" .
}

# What shaped a wheel built by the recipe: the recipe, the pins, torch, CUDA, the compiler, Python.
mmcv_recipe() {
    declare -f mmcv_source mmcv_wheel
    cat "$ROOT/requirements/build.txt"
    echo "torch $TORCH_VERSION, $CUDA_TAG, FORCE_CUDA=$FORCE_CUDA"
    echo "compiler: $("${CXX:-c++}" --version 2>&1 | head -n 1)"
    echo "python: $("$PY" -c 'import sys; print(sys.implementation.cache_tag)')"
}

# Builds the wheel into $1 (replacing what is there), printing the elapsed time and the files compiled once a
# minute (pip would print only "still running..."); the compiler's own output goes to $CACHE_DIR/mmcv-build.log,
# and its end is shown on failure.
build_mmcv() {
    local wheel_dir="$1" log="$CACHE_DIR/mmcv-build.log" build_dir pid
    build_dir="$(mktemp -d)"
    BUILD_DIRS+=("$build_dir")
    mkdir -p "$CACHE_DIR/wheels"
    mmcv_source "$build_dir" || fail "downloading and unpacking the mmcv $MMCV_VERSION source distribution"
    rm -rf "$wheel_dir" "$wheel_dir.partial"
    (mmcv_wheel "$build_dir/mmcv-$MMCV_VERSION" "$wheel_dir.partial") >"$log" 2>&1 &
    pid=$!
    local start=$SECONDS every="${MMPOOLFORMER_PROGRESS_SECONDS:-60}" elapsed next="${MMPOOLFORMER_PROGRESS_SECONDS:-60}"
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        elapsed=$((SECONDS - start))
        if [ "$elapsed" -ge "$next" ]; then
            printf '[install] compiling mmcv: %d min %02d s, %s\n' $((elapsed / 60)) $((elapsed % 60)) \
                "$(compile_progress "$build_dir/mmcv-$MMCV_VERSION" "$log")"
            next=$((next + every))
        fi
    done
    if ! wait "$pid"; then
        tail -n 40 "$log" >&2
        echo "[install] the whole compiler output: $log" >&2
        rm -rf "$wheel_dir.partial"
        fail "building mmcv $MMCV_VERSION (a C++20 compiler is needed, e.g. g++ >= 10; the compiler's messages are above)"
    fi
    printf '[install] compiled mmcv in %d min %d s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
    # The recipe goes in last: a folder without it is a build that did not finish.
    mv "$wheel_dir.partial" "$wheel_dir" && mmcv_recipe >"$wheel_dir/recipe.txt"
}

BUILD_DIRS=()
trap 'rm -rf "${BUILD_DIRS[@]}"' EXIT

# Installs the wheel in $1; fails (status 1) if it does not install or its ops do not import.
install_mmcv_wheel() {
    "${PIP[@]}" install -q --no-deps --force-reinstall "$1"/mmcv-*.whl &&
        "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python &&
        "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'"
}

MMENGINE_PIN="$(pin mmengine "$ROOT/requirements/all.txt")"
step "$MMENGINE_PIN"
"${PIP[@]}" install -q "$MMENGINE_PIN" "$SETUPTOOLS_PIN" || fail "installing $MMENGINE_PIN"

step "mmcv $MMCV_VERSION with ops"
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    echo "mmcv $MMCV_VERSION with ops is already installed"
else
    read -r TORCH_VERSION CUDA_TAG <<<"$("$PY" -c '
import torch
cuda = torch.version.cuda if torch.cuda.is_available() else None
print(torch.__version__.replace("+", "_"), ("cu" + cuda.replace(".", "")) if cuda else "cpu")')"
    # CUDA ops when this torch can use a GPU and nvcc is there to compile them; FORCE_CUDA=0 or 1 decides instead.
    if [ -z "${FORCE_CUDA:-}" ]; then
        FORCE_CUDA=0
        [ "$CUDA_TAG" != cpu ] && command -v "${CUDA_HOME:+$CUDA_HOME/bin/}nvcc" >/dev/null && FORCE_CUDA=1
    fi
    # The cached wheel's folder is named by the hash of everything that shaped it (mmcv_recipe).
    RECIPE_KEY="$(mmcv_recipe | sha256sum | cut -c 1-16)"
    WHEEL_DIR="$CACHE_DIR/wheels/mmcv-$MMCV_VERSION-$CUDA_TAG-$RECIPE_KEY"
    if [ -f "$WHEEL_DIR/recipe.txt" ] && ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        echo "using the cached wheel in $WHEEL_DIR (recipe key $RECIPE_KEY)"
        if ! install_mmcv_wheel "$WHEEL_DIR"; then
            echo "[install] the cached wheel in $WHEEL_DIR does not install or import: building it again"
            build_mmcv "$WHEEL_DIR"
            install_mmcv_wheel "$WHEEL_DIR" || fail "installing the mmcv wheel built in $WHEEL_DIR"
        fi
    else
        echo "no cached wheel for recipe key $RECIPE_KEY in $CACHE_DIR/wheels: building mmcv from source (10-20 min, 2 cores)"
        build_mmcv "$WHEEL_DIR"
        install_mmcv_wheel "$WHEEL_DIR" || fail "installing the mmcv wheel built in $WHEEL_DIR"
    fi
fi

step "the OpenMMLab stack and test requirements (requirements/all.txt)"
"${PIP[@]}" install -q -r "$ROOT/requirements/all.txt" "$SETUPTOOLS_PIN" \
    || fail "installing the packages in requirements/all.txt"

# mim reads the package's .mim beside its distribution, in site-packages: link it there. (The editable install puts
# the checkout on sys.path, setup.py's package_dir, so that folder does not hide the package as a namespace.)
step "mmpoolformer (editable; mim finds it through site-packages/mmpoolformer/.mim)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT" \
    && SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" && mkdir -p "$SITE/mmpoolformer" \
    && ln -sfn "$ROOT/mmpoolformer/.mim" "$SITE/mmpoolformer/.mim" || fail "installing mmpoolformer in editable mode"

"$PY" -c 'import mmcv.ops, mmdet, mmseg, mmpretrain, mmpoolformer' || fail "importing the installed stack"
touch "$VENV/.mmpoolformer-installed"
step "done: $("$PY" -c 'import torch, mmcv, mmdet, mmseg, mmpretrain; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmdet", mmdet.__version__, "mmseg", mmseg.__version__, "mmpretrain", mmpretrain.__version__)')"
