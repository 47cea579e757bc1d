#!/usr/bin/env bash
# vendor/ is the registry's original release of each patched crate plus one patch file
# (vendor/patches/<crate>-<version>.patch). This script moves between the two:
#
#   vendor/regenerate.sh            rebuild every vendor/<crate> from its release and its patch
#   vendor/regenerate.sh --check    fail, naming the files, if vendor/ differs from that rebuild
#   vendor/regenerate.sh --diff     rewrite every patch from the edited vendor/<crate>
#
# The releases come through cargo (vendor/originals.sh, which leaves the registry's bookkeeping
# files out). Patches keep the original line endings (some Rhai files are CRLF);
# .gitattributes keeps git from touching them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
patches="$here/patches"
mode="${1:-apply}"
case "$mode" in apply | --check | --diff) ;; *)
    echo "usage: vendor/regenerate.sh [--check | --diff]" >&2
    exit 2
    ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each patch file names its crate and version: <crate>-<version>.patch.
crates=()
for file in "$patches"/*.patch; do
    base="$(basename "$file" .patch)"
    crates+=("${base%-*} ${base##*-}")
done

# shellcheck source=vendor/originals.sh
. "$here/originals.sh"
resolve_originals "$work" "${crates[@]}"

status=0
for entry in "${crates[@]}"; do
    read -r name version <<<"$entry"
    patch_file="$patches/$name-$version.patch"
    mkdir -p "$work/$name"
    copy_original "$name" "$version" "$work/$name/a"
    if [ "$mode" = "--diff" ]; then
        cp -R "$here/$name" "$work/$name/b"
        diff_trees "$work/$name" >"$patch_file"
        echo "wrote vendor/patches/$name-$version.patch ($(grep -c '^[-+][^-+]' "$patch_file") changed lines)"
        continue
    fi
    (cd "$work/$name/a" && git apply --whitespace=nowarn -p1 "$patch_file")
    if [ "$mode" = "--check" ]; then
        if ! diff -r "$work/$name/a" "$here/$name" >"$work/$name.diff"; then
            echo "vendor/$name differs from $name $version plus its patch:" >&2
            sed -n '1,20p' "$work/$name.diff" >&2
            status=1
        fi
    else
        rm -rf "${here:?}/$name"
        cp -R "$work/$name/a" "$here/$name"
        echo "vendor/$name: $name $version plus vendor/patches/$name-$version.patch"
    fi
done
if [ "$mode" = "--check" ] && [ "$status" -eq 0 ]; then
    echo "vendor/ is every original release plus its patch"
fi
exit "$status"
