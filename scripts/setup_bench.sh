#!/usr/bin/env bash
# Installs what bench/compare.py needs into .venv (idempotent; run scripts/setup_python.sh
# first, which creates .venv with tensorflow and ai-edge-litert):
#   onnxruntime (+ its quantization tools), onnx, openvino, nncf (OpenVINO's INT8 PTQ),
#   matplotlib (the latency / accuracy plot).
# PyTorch comes from Debian (python3-torch, run with /usr/bin/python3), as in setup_python.sh.
# pip runs only when an import fails, so a re-run costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
VENV=.venv
PIP_PACKAGES=(onnxruntime onnx openvino nncf matplotlib)

if [[ ! -x $VENV/bin/python ]]; then
  echo "[setup_bench] $VENV missing: run scripts/setup_python.sh first" >&2
  exit 1
fi
CHECK='import onnxruntime, onnx, openvino, nncf, matplotlib
print("[setup_bench] onnxruntime", onnxruntime.__version__, "openvino", openvino.__version__,
      "nncf", nncf.__version__, "matplotlib", matplotlib.__version__)'
if $VENV/bin/python -c "$CHECK" 2>/dev/null; then
  echo "[setup_bench] $VENV ready"
else
  echo "[setup_bench] pip install ${PIP_PACKAGES[*]} into $VENV"
  $VENV/bin/python -m pip install "${PIP_PACKAGES[@]}"
  $VENV/bin/python -c "$CHECK"
fi
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "[setup_bench] /usr/bin/python3 has torch (the PyTorch peer)"
else
  echo "[setup_bench] /usr/bin/python3 has no torch: the PyTorch rows will be n/a" \
       "(scripts/setup_python.sh installs python3-torch)"
fi
echo "[setup_bench] done in $((SECONDS - start)) s"
