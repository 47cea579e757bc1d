#!/usr/bin/env bash
# Builds what bench/gpu_check.sh runs, for a GPU machine that cannot build: the release glit
# and the integration test binary, both with `--features cuda,ndarray`, copied to .gpu-bin/.
# Needs no CUDA toolkit.
#
#   bench/gpu_prepare.sh && GLIT=.gpu-bin/glit TESTS=.gpu-bin/integration bench/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --features cuda,ndarray
tests=$(cargo test --release --features cuda,ndarray --test integration --no-run --message-format=json \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "integration" and m.get("executable"):
        print(m["executable"])')
mkdir -p .gpu-bin
cp target/release/glit .gpu-bin/glit
cp "$tests" .gpu-bin/integration
ls -la .gpu-bin
