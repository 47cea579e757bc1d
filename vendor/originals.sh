#!/usr/bin/env bash
# Sourced by vendor/regenerate.sh and vendor/patches/upstream/check.sh: unpacked original
# releases from the crates.io registry, through cargo, so the registry's checksums are checked.
#
#   resolve_originals WORK "name version" ...   resolve the releases (once per script)
#   copy_original NAME VERSION DEST             a clean copy of one release into DEST
#   diff_trees DIR                              the patch from DIR/a to DIR/b, on stdout
#
# A throwaway package depending on each exact version is resolved with `cargo metadata`, which
# unpacks the sources and names their folders. The registry's bookkeeping files (.cargo-ok,
# .cargo_vcs_info.json, Cargo.toml.orig, Cargo.lock) are left out of every copy.

resolve_originals() { # work_dir "name version"...
    local work="$1"
    shift
    mkdir -p "$work/fetch/src"
    {
        printf '[package]\nname = "glit-vendor-originals"\nversion = "0.0.0"\nedition = "2021"\n'
        printf '[workspace]\n[dependencies]\n'
        local entry name version
        for entry in "$@"; do
            read -r name version <<<"$entry"
            printf '%s = { version = "=%s", default-features = false }\n' "$name" "$version"
        done
    } >"$work/fetch/Cargo.toml"
    : >"$work/fetch/src/lib.rs"
    cargo metadata --quiet --format-version 1 --manifest-path "$work/fetch/Cargo.toml" \
        >"$work/metadata.json"
    ORIGINALS_METADATA="$work/metadata.json"
}

original_of() { # name version -> directory of the unpacked release
    python3 - "$ORIGINALS_METADATA" "$1" "$2" <<'PY'
import json, os, sys
meta, name, version = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for package in meta["packages"]:
    if package["name"] == name and package["version"] == version:
        print(os.path.dirname(package["manifest_path"]))
        break
else:
    sys.exit(f"cargo did not resolve {name} {version}")
PY
}

copy_original() { # name version dest
    local source
    source="$(original_of "$1" "$2")"
    mkdir -p "$3"
    cp -R "$source/." "$3/"
    rm -f "$3/.cargo-ok" "$3/.cargo_vcs_info.json" "$3/Cargo.toml.orig" "$3/Cargo.lock"
}

diff_trees() { # dir -> the unified diff from dir/a to dir/b, without file times
    local status=0
    # diff exits 1 when the trees differ, which is the point of a patch.
    (cd "$1" && diff -ruN a b) >"$1.diff" || status=$?
    [ "$status" -le 1 ] || return "$status"
    # Without the file times, so a patch changes only when the change does.
    sed -E 's/^(---|\+\+\+) ([^\t]*)\t.*$/\1 \2/' "$1.diff"
}
