#!/usr/bin/env bash
# Trains the model that ships as data/pride-and-prejudice.safetensors (the page's
# "Try a trained model", the README's embed example) with the project's own CLI.
# The CPU reference engine is deterministic, so the same command gives the same file
# bit for bit; on a machine with a GPU, --engine gpu trains the same model faster
# (equal to float32 rounding). STEPS defaults to the number the shipped file has.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${STEPS:-1501}"
ENGINE="${ENGINE:-cpu}"
node --import tsx --import ./src/cli/register-wgsl.mjs src/cli/main.ts train \
  --engine "$ENGINE" --corpus data/pride-and-prejudice.txt \
  --embed 32 --hidden 128 --layers 1 --batch 32 --seq-len 64 --schedule streams \
  --lr 0.005 --lr-decay 0.9995 --steps "$STEPS" --sample-every 250 --val-every 250 \
  --export data/pride-and-prejudice.safetensors
