#!/usr/bin/env bash
# The changes under vendor/patches/upstream/ are written to be proposed to the crates' own
# projects: each *.patch is one change with its test, against the crates.io releases that
# vendor/ starts from. This script shows that each one holds up on its own:
#
#   check.sh [NAME...]          for each patch (or the named ones, file names without .patch):
#                               its test fails on the releases with the test alone, and passes
#                               with the whole patch
#   check.sh --apply            only that every patch applies to its releases (CI runs this)
#   check.sh --edit NAME        unpack the releases with NAME applied into work/NAME/, to edit
#   check.sh --diff NAME        rewrite NAME.patch's diff from work/NAME/ (its header is kept)
#
# A patch file starts with a header (everything before the first `diff`), read here:
#
#   Crates: <crate> <version>[, <crate> <version>...]   the releases it changes or tests
#   Requires: <other>.patch [<other>.patch...]            applied first, fix and test alike
#   Test: <crate> <cargo test arguments>                  the test that shows the change
#   Test-files: <path> [<path>...]                        the files holding the test
#   Fails-without-fix-on: <cpu flag>                      the test can only fail on such CPUs
#   Kind: speed                                           the change keeps every result: its
#                                                         test must pass with and without it
#
# Paths in a patch begin with the crate's folder (`burn-dispatch/src/...`), so one patch can
# span crates of one repository. In the crate's own repository, apply it with `git apply -p1
# --directory=crates` (Burn), `git apply -p1` (gemm: crate folders at the root) or `git apply
# -p2` (Rhai: the crate is the root).
#
# Two things differ from a checkout of the repository, and this script bridges both: the
# releases' manifests list their targets (`autotests = false`), so a new file under tests/
# would not run, and the crates of one change find each other through `[patch.crates-io]`
# given on the command line. Set UPSTREAM_CHECK_TARGET to keep the build between runs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
vendor="$(cd "$here/../.." && pwd)"
# shellcheck source=vendor/originals.sh
. "$vendor/originals.sh"

mode=test
case "${1:-}" in
--apply | --edit | --diff)
    mode="${1#--}"
    shift
    ;;
--* | -*)
    echo "usage: check.sh [--apply | --edit NAME | --diff NAME | NAME...]" >&2
    exit 2
    ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target="${UPSTREAM_CHECK_TARGET:-$work/target}"
# cargo's output of each test run is kept here (ignored by git).
logs="$here/work/logs"
mkdir -p "$logs"

header() { # file field -> the field's value ("" when absent)
    sed -n '/^diff /q;p' "$1" | sed -n "s/^$2: *//p" | tail -1
}

# Every release any patch names, resolved once.
releases=()
for file in "$here"/*.patch; do
    IFS=',' read -ra named <<<"$(header "$file" Crates)"
    for entry in "${named[@]}"; do
        releases+=("$(echo "$entry" | xargs)")
    done
done
mapfile -t releases < <(printf '%s\n' "${releases[@]}" | sort -u)
resolve_originals "$work" "${releases[@]}"

# The releases a patch names, copied into $2 (one folder per crate), with the patches it
# requires applied first (each once, in the order named, their own requirements before them).
unpack() { # patch_file dest
    local file="$1" dest="$2" entry name version required
    IFS=',' read -ra named <<<"$(header "$file" Crates)"
    for entry in "${named[@]}"; do
        read -r name version <<<"$entry"
        [ -d "$dest/$name" ] || copy_original "$name" "$version" "$dest/$name"
    done
    for required in $(header "$file" Requires); do
        grep -qx "$required" "$dest/.applied" 2>/dev/null && continue
        unpack "$here/$required" "$dest"
        apply "$here/$required" "$dest"
        echo "$required" >>"$dest/.applied"
    done
}

apply() { # patch_file dest [git apply options...]
    local file="$1" dest="$2"
    shift 2
    # The ceiling keeps git from taking glit's own repository for the tree's (work/ is in it).
    if ! (cd "$dest" && GIT_CEILING_DIRECTORIES="$(dirname "$dest")" \
        git apply --whitespace=nowarn -p1 "$@" "$file"); then
        echo "$(basename "$file") does not apply to the releases it names" >&2
        return 1
    fi
}

# The failing tests of a cargo log and their assertions, at most $2 lines.
failures() { # log lines
    grep -E '^---- |panicked at|^  left|^ right|^assertion' "$1" | head -"$2"
}

# Run the patch's test in the tree $2; prints cargo's output to $3.
run_test() { # patch_file tree log
    local file="$1" tree="$2" log="$3" test crate name
    test="$(header "$file" Test)"
    read -r crate _ <<<"$test"
    sed -i 's/^autotests = false$/autotests = true/' "$tree/$crate/Cargo.toml"
    local patches=()
    for name in "$tree"/*/; do
        name="$(basename "$name")"
        [ "$name" = "$crate" ] || patches+=(--config "patch.crates-io.$name.path=\"$tree/$name\"")
    done
    # shellcheck disable=SC2086 # the Test field is a list of cargo arguments
    (cd "$tree/$crate" && CARGO_TARGET_DIR="$target" cargo test "${patches[@]}" ${test#"$crate"} \
        -- --nocapture) >"$log" 2>&1
}

names=("$@")
if [ "$mode" = edit ] || [ "$mode" = diff ]; then
    [ "${#names[@]}" -eq 1 ] || { echo "--$mode takes one patch name" >&2; exit 2; }
fi
if [ "${#names[@]}" -eq 0 ]; then
    for file in "$here"/*.patch; do names+=("$(basename "$file" .patch)"); done
fi

status=0
for name in "${names[@]}"; do
    file="$here/$name.patch"
    [ -f "$file" ] || { echo "no patch $file" >&2; exit 2; }
    case "$mode" in
    apply)
        unpack "$file" "$work/$name"
        apply "$file" "$work/$name" || status=1
        ;;
    edit)
        rm -rf "$here/work/$name"
        unpack "$file" "$here/work/$name/a"
        cp -R "$here/work/$name/a" "$here/work/$name/b"
        # A new patch may be a header alone.
        ! grep -q '^diff ' "$file" || apply "$file" "$here/work/$name/b"
        echo "work/$name/b: the releases with $name.patch; edit there, then: check.sh --diff $name"
        ;;
    diff)
        [ -d "$here/work/$name/b" ] || { echo "no work/$name/b (check.sh --edit $name first)" >&2; exit 2; }
        sed -n '/^diff /q;p' "$file" >"$work/header"
        diff_trees "$here/work/$name" | cat "$work/header" - >"$file"
        echo "wrote $name.patch ($(grep -c '^[-+][^-+]' "$file") changed lines)"
        ;;
    test)
        # One tree: the test alone first, then the rest of the patch, so cargo rebuilds only
        # the changed crate (and never runs a binary built from other sources).
        tree="$work/$name"
        unpack "$file" "$tree"
        includes=() excludes=()
        for path in $(header "$file" Test-files); do
            includes+=(--include="$path")
            excludes+=(--exclude="$path")
        done
        [ "${#includes[@]}" -gt 0 ] || { echo "$name.patch: no Test-files" >&2; status=1; continue; }
        apply "$file" "$tree" "${includes[@]}"
        flag="$(header "$file" Fails-without-fix-on)"
        kind="$(header "$file" Kind)"
        if run_test "$file" "$tree" "$logs/$name.without.log"; then
            if [ "$kind" = speed ]; then
                echo "$name: without the change the test passes, as it must (the change keeps every result): $(grep '^test result' "$logs/$name.without.log" | grep -v ' 0 passed' | head -1)"
            elif [ -n "$flag" ] && ! grep -qw "$flag" /proc/cpuinfo; then
                echo "$name: without the fix the test passes here, as it must on a CPU without $flag"
            else
                echo "$name: FAILED: the test passes without the fix (cargo's output: $logs/$name.without.log)" >&2
                tail -20 "$logs/$name.without.log" >&2
                status=1
            fi
        elif ! grep -q '^test result: FAILED' "$logs/$name.without.log"; then
            echo "$name: FAILED: the test does not build without the change:" >&2
            grep -E '^error' -A6 "$logs/$name.without.log" | head -30 >&2
            status=1
        elif [ "$kind" = speed ]; then
            echo "$name: FAILED: the test fails on the releases, so it does not show what the change keeps:" >&2
            failures "$logs/$name.without.log" 12 >&2
            status=1
        else
            echo "$name: without the fix the test fails, as it should:"
            failures "$logs/$name.without.log" 6 | sed 's/^/    /'
        fi
        apply "$file" "$tree" "${excludes[@]}"
        if run_test "$file" "$tree" "$logs/$name.with.log"; then
            echo "$name: with the change the test passes: $(grep '^test result' "$logs/$name.with.log" | grep -v ' 0 passed' | head -1)"
        else
            echo "$name: FAILED: the test fails with the fix:" >&2
            grep -E '^---- |panicked at|^  left|^ right|^error' -A3 "$logs/$name.with.log" | head -30 >&2
            status=1
        fi
        ;;
    esac
done
[ "$mode" != apply ] || [ "$status" -ne 0 ] || echo "every upstream patch applies to the releases it names"
exit "$status"
