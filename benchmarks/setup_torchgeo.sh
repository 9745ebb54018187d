#!/usr/bin/env bash
# Create a separate virtual environment with TorchGeo 0.10, used only by the comparison in
# benchmarks/sampling.py (which runs the TorchGeo part in a subprocess with this venv's python).
# TorchGeo is never a dependency of eoforge.
#
# TorchGeo 0.10 requires Python >= 3.12 (eoforge's own venv is 3.11), so this venv uses a 3.12+
# interpreter: $PYTHON if set, else the first of python3.12 / python3.13 found on PATH or in pyenv.
# torch/torchvision are pinned by the repository's constraints.txt to the same versions as
# eoforge's venv, so both sides of the comparison run the same torch release.
#
# Usage: bash benchmarks/setup_torchgeo.sh            # creates <repo>/.venv-torchgeo (gitignored)
#        PYTHON=/path/to/python3.12 VENV=/some/where bash benchmarks/setup_torchgeo.sh
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv-torchgeo}"
CONSTRAINTS="$REPO_ROOT/constraints.txt"

find_python() {
    local candidate
    for candidate in python3.12 python3.13 \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torchgeo" 2>/dev/null; then
    echo "TorchGeo venv already present: $VENV" \
        "(torchgeo $("$VENV/bin/python" -c 'import torchgeo; print(torchgeo.__version__)'))"
    exit 0
fi

PYTHON="${PYTHON:-$(find_python || true)}"
if [ -z "$PYTHON" ]; then
    echo "TorchGeo 0.10 needs Python >= 3.12 and none was found; set PYTHON=/path/to/python3.12" >&2
    exit 1
fi

echo "Creating $VENV with $PYTHON ($("$PYTHON" --version))"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# Same rasterio (hence the same bundled GDAL and codecs) as eoforge's venv, when that venv exists,
# so that the comparison measures the libraries and not two GDAL builds.
EXTRA=()
if [ -x "$REPO_ROOT/.venv/bin/python" ]; then
    RIO="$("$REPO_ROOT/.venv/bin/python" -c 'import rasterio; print(rasterio.__version__)' || true)"
    if [ -n "$RIO" ]; then EXTRA+=("rasterio==$RIO"); fi
fi
"$VENV/bin/pip" install --quiet -c "$CONSTRAINTS" "torchgeo==0.10.*" psutil "${EXTRA[@]}"
"$VENV/bin/python" -c "import torchgeo, torch, rasterio; print('torchgeo', torchgeo.__version__, \
'torch', torch.__version__, 'rasterio', rasterio.__version__, 'GDAL', rasterio.__gdal_version__)"
echo "TorchGeo venv ready: $VENV"
