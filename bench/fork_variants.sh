#!/usr/bin/env bash
# Builds the glit binaries that bench/fork_costs.sh compares, to measure what dropping each
# patched dependency costs:
#
#   bench/fork_variants.sh OUTDIR [EARLIER_COMMIT]
#
#   OUTDIR/glit-patched          this commit as it is
#   OUTDIR/glit-no-dispatch      without vendor/burn-dispatch (linear through Burn's defaults)
#   OUTDIR/glit-no-gemm-avx512   without vendor/gemm-common, upstream gemm's AVX-512 kernels
#   OUTDIR/glit-no-gemm-avx2     without vendor/gemm-common and without burn-flex's `x86-v4`
#                                (gemm's AVX2 kernels everywhere: the same bits on every CPU)
#   OUTDIR/glit-earlier          EARLIER_COMMIT, when given (e.g. the commit before a fork was
#                                dropped)
#
# It builds in this checkout, one variant after the other, so Cargo rebuilds only what each
# edit touches; the tree must be clean (commit first) and is reset to HEAD at the end.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [EARLIER_COMMIT]" >&2; exit 2; }
out=$(realpath -m "$1")
earlier=${2:-}
cd "$(git rev-parse --show-toplevel)"
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || { echo "$0: the checkout has uncommitted changes; commit them first" >&2; exit 1; }
mkdir -p "$out"
trap 'git reset -q --hard HEAD' EXIT

build() {
  echo "== building $1" >&2
  cargo build --release --quiet
  cp target/release/glit "$out/glit-$1"
}

# Drops the patch of crate $1 (its [patch.crates-io] line and its marker in src/patched.rs).
drop_patch() {
  local crate=$1 marker=${1//-/_}::GLIT_PATCH
  sed -i "/^$crate = { path = \"vendor\/$crate\" }$/d" Cargo.toml
  sed -i "/^    $marker,$/d" src/patched.rs
  local count
  count=$(grep -c '::GLIT_PATCH,$' src/patched.rs)
  sed -i "s/DEPENDENCY_PATCHES: \[&str; [0-9]*\]/DEPENDENCY_PATCHES: [\&str; $count]/" src/patched.rs
}

build patched

drop_patch burn-dispatch
build no-dispatch
git reset -q --hard HEAD

drop_patch gemm-common
build no-gemm-avx512
sed -i 's/, "x86-v4"\]/]/' Cargo.toml
build no-gemm-avx2
git reset -q --hard HEAD

if [ -n "$earlier" ]; then
  git checkout -q "$earlier" -- .
  build earlier
fi
ls -l "$out"
