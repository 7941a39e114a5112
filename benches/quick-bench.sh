#!/bin/sh
# Runs a bench binary in the test profile with only this crate optimised (opt-level 3, no debug
# assertions), reusing the dependencies already built for `cargo test` (opt-level 2). Use it when
# a full `cargo bench` (which rebuilds every dependency in release mode) is too slow to build.
#
#   benches/quick-bench.sh open_save
#   MARGINALIA_BENCH_DOCS=10mb benches/quick-bench.sh frame
set -eu
bench=${1:?usage: benches/quick-bench.sh open_save|frame}
cd "$(dirname "$0")/.."
for p in dev test; do
  set -- "$@" --config "profile.$p.package.marginalia.opt-level=3" \
    --config "profile.$p.package.marginalia.debug-assertions=false" \
    --config "profile.$p.package.marginalia.overflow-checks=false"
done
shift
exec cargo "$@" test -q --bench "$bench"
