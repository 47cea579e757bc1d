#!/usr/bin/env bash
# Checks that two builds of glit compute the same numbers: a one-epoch supernet training and a
# one-epoch standalone training of the baseline on the bundled data, run with each binary, must
# give identical metrics (timings aside) and identical bytes in every checkpoint tensor.
#
#   bench/same_numbers.sh BEFORE_BINARY AFTER_BINARY
#
# Used to show that a performance change (such as the patched CPU backend in
# vendor/burn-flex) leaves every result bit for bit as it was. Exits 1 on any difference.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BINARY AFTER_BINARY" >&2; exit 2; }
before=$1
after=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for job in supernet baseline; do
  args=(train --set epochs=1 --quiet)
  [ "$job" = baseline ] && args+=(--arch baseline)
  for side in before after; do
    binary=$before
    [ "$side" = after ] && binary=$after
    start=$(date +%s%N)
    "$binary" "${args[@]}" --out "$work/$job-$side" > /dev/null
    echo "$job, $side: $(( ($(date +%s%N) - start) / 1000000 )) ms"
  done
  # Columns 1-6 are epoch, step, lr, loss and accuracies; the rest are timings.
  if cmp -s <(cut -d, -f1-6 "$work/$job-before/metrics.csv") \
            <(cut -d, -f1-6 "$work/$job-after/metrics.csv"); then
    echo "$job: metrics identical"
  else
    echo "$job: METRICS DIFFER"; status=1
  fi
  # A safetensors file is an 8-byte header length, a JSON header (which may record times),
  # then the tensors' bytes: compare those.
  if python3 - "$work/$job-before/checkpoint.safetensors" "$work/$job-after/checkpoint.safetensors" <<'PY'
import struct, sys
def tensors(path):
    data = open(path, "rb").read()
    return data[8 + struct.unpack("<Q", data[:8])[0]:]
sys.exit(0 if tensors(sys.argv[1]) == tensors(sys.argv[2]) else 1)
PY
  then
    echo "$job: every weight identical"
  else
    echo "$job: WEIGHTS DIFFER"; status=1
  fi
done
exit $status
