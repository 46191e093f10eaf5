#!/usr/bin/env bash
# Creates the Python test environment (idempotent):
#  - Debian packages for the PyTorch reference checks, run with /usr/bin/python3:
#    python3-torch python3-numpy python3-pil python3-venv (apt-get only if missing);
#  - .venv (the `python3` on PATH, or $PYTHON) with tensorflow, ai-edge-litert,
#    pillow and numpy for the LiteRT interop checks, and onnxruntime, openvino and onnx
#    (its checker) for the ONNX export checks (pip only if the imports fail).
# pip's cache stays in its default location so that re-runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

APT_PACKAGES=(python3-torch python3-numpy python3-pil python3-venv)
PIP_PACKAGES=(tensorflow ai-edge-litert pillow numpy onnxruntime openvino onnx)
VENV=.venv

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  echo "[setup_python] apt-get install ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "[setup_python] Debian packages present: ${APT_PACKAGES[*]}"
fi
/usr/bin/python3 -c "import torch, numpy, PIL; print('[setup_python] /usr/bin/python3: torch', torch.__version__, 'numpy', numpy.__version__)"

CHECK='import tensorflow as tf, ai_edge_litert, PIL, numpy, onnxruntime, openvino, onnx; print("[setup_python] '"$VENV"': tensorflow", tf.__version__, "numpy", numpy.__version__, "pillow", PIL.__version__, "onnxruntime", onnxruntime.__version__, "openvino", openvino.__version__, "onnx", onnx.__version__)'
if [[ -x $VENV/bin/python ]] && TF_CPP_MIN_LOG_LEVEL=3 $VENV/bin/python -c "$CHECK" 2>/dev/null; then
  echo "[setup_python] $VENV ready"
else
  PY=${PYTHON:-python3}
  if [[ ! -x $VENV/bin/python ]]; then
    echo "[setup_python] $PY -m venv $VENV"
    "$PY" -m venv "$VENV"
  fi
  echo "[setup_python] pip install ${PIP_PACKAGES[*]} into $VENV"
  $VENV/bin/python -m pip install --upgrade pip
  $VENV/bin/python -m pip install "${PIP_PACKAGES[@]}"
  TF_CPP_MIN_LOG_LEVEL=3 $VENV/bin/python -c "$CHECK"
fi
echo "[setup_python] done in $((SECONDS - start)) s"
