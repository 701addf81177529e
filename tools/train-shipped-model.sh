#!/usr/bin/env bash
# Trains the model that ships as data/pride-and-prejudice.safetensors (the page's
# "Try a trained model", the README's embed example): the "novel" settings preset
# (E 64, H 256, 2 layers, 32 streams × 64, Adam lr 0.002 decaying 0.9998 a step) on the
# whole of Pride and Prejudice, STEPS steps (default: the number the shipped file has).
#
#   tools/train-shipped-model.sh            # PyTorch on the CPU (how the shipped file was made)
#   tools/train-shipped-model.sh gpu        # char-lm's own CLI on a hardware GPU (Dawn)
#
# Both train the same model on the same data split, batches and optimiser and write the
# same model-only format (src/model/shipped-model.test.ts checks that the two commands,
# the preset and the shipped file agree). PyTorch: `apt-get install python3-torch
# libopenblas0-pthread` on Debian; seeded, so one machine and thread count give the same file.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-3000}"
OUT="${OUT:-data/pride-and-prejudice.safetensors}"
case "${1:-pytorch}" in
  pytorch)
    PYTHON="${PYTHON:-python3}"
    exec "$PYTHON" tools/train-shipped-model.py --steps "$STEPS" --val-every 500 --out "$OUT"
    ;;
  gpu)
    exec node --import tsx --import ./src/cli/register-wgsl.mjs src/cli/main.ts train \
      --engine gpu --settings novel --corpus data/pride-and-prejudice.txt \
      --steps "$STEPS" --sample-every 500 --val-every 500 --export "$OUT"
    ;;
  *)
    echo "usage: tools/train-shipped-model.sh [pytorch|gpu]   (STEPS=N OUT=FILE to change the defaults)" >&2
    exit 2
    ;;
esac
