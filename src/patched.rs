//! The patched dependencies glit is built against: six crates under `vendor/`, each the
//! registry's release plus one patch file (`vendor/README.md` says what each does and why).
//!
//! Cargo applies `[patch.crates-io]` only inside glit's own workspace. A build that gets the
//! unpatched releases instead (glit as another package's dependency, or a packaged copy)
//! would lose the Rhai fixes, the bit-identity across CPUs and the CPU speed without a word;
//! so glit names each patched crate's marker here, and such a build stops with
//! "cannot find value `GLIT_PATCH` in crate `…`". Build glit from its repository
//! (`cargo install --path . --locked`, or a path or git dependency on this workspace).

/// Each patched crate's marker: its name, version and patch file.
pub const DEPENDENCY_PATCHES: [&str; 6] = [
    rhai::GLIT_PATCH,
    burn_flex::GLIT_PATCH,
    burn_backend::GLIT_PATCH,
    burn_autodiff::GLIT_PATCH,
    burn_dispatch::GLIT_PATCH,
    gemm_common::GLIT_PATCH,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patch_file_is_built_in_and_every_marker_names_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/patches");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".patch"))
            .collect();
        files.sort();
        let mut named: Vec<String> = DEPENDENCY_PATCHES
            .iter()
            .map(|marker| marker.rsplit('/').next().unwrap().to_string())
            .collect();
        named.sort();
        assert_eq!(files, named);
    }
}
