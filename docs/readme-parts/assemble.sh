#!/usr/bin/env bash
# Rebuilds README.md from the parts in this folder, in a fixed order.
set -euo pipefail
cd "$(dirname "$0")"
{
  for part in 00-header app attributes relations find files durability export app-export-import review review-gui team-1-git team-2-assignments team-3-agreement labeling-faster labeling-learned labeling-measured performance code 99-footer; do
    cat "$part.md"
    echo
  done
} > ../../README.md
