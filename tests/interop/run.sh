#!/usr/bin/env bash
# Exports the seed annotations in every format to a temp folder and checks them with the real
# tools (spaCy, Hugging Face datasets, seqeval): see check_exports.py.
#
#   tests/interop/run.sh [WORKSPACE]
#
# WORKSPACE defaults to the repository. If it has no annotation layers yet, a temp copy of the
# seeds is annotated by importing the golden jsonl (tests/fixtures/golden/seed-000.jsonl) as
# editor-a and the ten CoNLL-2002 news documents in brat (tests/fixtures/brat/conll2002-esp)
# as editor-b.
# Needs python3 with spacy, datasets and seqeval (set PYTHON to choose the interpreter, e.g. a
# venv made with `python3 -m venv v && v/bin/pip install spacy datasets seqeval`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ws="${1:-$repo}"
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# MARGINALIA_BIN runs a binary already built; else a debug build (honouring CARGO_TARGET_DIR).
bin="${MARGINALIA_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet --manifest-path "$repo/Cargo.toml" --bin marginalia
  bin="${CARGO_TARGET_DIR:-$repo/target}/debug/marginalia"
fi

if [ -z "$(find "$ws/annotations" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]; then
  echo "no annotation layers in $ws; annotating a temp copy of the seeds from the golden jsonl"
  mkdir -p "$tmp/ws/annotations"
  cp -r "$repo/seeds" "$tmp/ws/seeds"
  "$bin" import --format jsonl --annotator editor-a "$repo/tests/fixtures/golden/seed-000.jsonl" "$tmp/ws"
  "$bin" import --format brat --annotator editor-b "$repo/tests/fixtures/brat/conll2002-esp" "$tmp/ws" | head -1
  ws="$tmp/ws"
fi

out="$tmp/out"
mkdir -p "$out"
"$bin" export --format jsonl --all-layers -o "$out/seeds.jsonl" "$ws"
"$bin" export --format conll --all-layers -o "$out/seeds.conll" "$ws"
"$bin" export --format csv --all-layers -o "$out/seeds.csv" "$ws"
"$bin" export --format w3c --all-layers -o "$out/seeds.w3c.jsonld" "$ws"
"$bin" export --format brat --all-layers -o "$out/brat" "$ws"
"$python" "$repo/tests/interop/check_exports.py" "$out" "$ws"
