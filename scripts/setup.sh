#!/usr/bin/env bash
# Everything the main job needs on a fresh machine: build dependencies and the build
# (scripts/setup_build.sh), then the pretrained lite0..lite2 models (scripts/setup_models.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_build.sh
bash scripts/setup_models.sh
