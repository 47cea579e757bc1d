//! MNIST-style IDX files (gzip-compressed or not): images (IDX3, unsigned bytes) and labels
//! (IDX1). Every failure names the file and what is wrong with it.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// The most a gzip-compressed IDX file may expand to (MNIST's largest file is 47 MB).
const MAX_DECOMPRESSED: u64 = 4 << 30;

/// Images as read from an IDX3 file: `count` images of `rows`×`cols` bytes, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count·rows·cols` pixel bytes.
    pub pixels: Vec<u8>,
}

fn invalid(origin: &str, message: impl Into<String>) -> Error {
    Error::InvalidData {
        origin: origin.into(),
        message: message.into(),
    }
}

/// The file's bytes, gunzipped when they start with the gzip magic.
fn decompress(bytes: &[u8], origin: &str) -> Result<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_DECOMPRESSED + 1)
            .read_to_end(&mut out)
            .map_err(|e| invalid(origin, format!("corrupt gzip data: {e}")))?;
        if out.len() as u64 > MAX_DECOMPRESSED {
            return Err(invalid(
                origin,
                format!("decompresses to more than {MAX_DECOMPRESSED} bytes (a gzip bomb?)"),
            ));
        }
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// The big-endian u32 at `index` of the header.
fn header(bytes: &[u8], index: usize, origin: &str) -> Result<u32> {
    let at = 4 * index;
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| invalid(origin, format!("truncated header ({} bytes)", bytes.len())))
}

/// Fails unless the header's magic number is `expected`; `kind` names the file type.
fn check_magic(bytes: &[u8], expected: u32, kind: &str, origin: &str) -> Result<()> {
    let magic = header(bytes, 0, origin)?;
    if magic != expected {
        return Err(invalid(
            origin,
            format!("not an IDX {kind} file (magic 0x{magic:08x}, expected 0x{expected:08x})"),
        ));
    }
    Ok(())
}

/// Parses IDX3 image bytes (gzip or raw); `origin` names the source in errors.
pub fn parse_images(bytes: &[u8], origin: &str) -> Result<IdxImages> {
    let bytes = decompress(bytes, origin)?;
    check_magic(&bytes, IMAGES_MAGIC, "image", origin)?;
    let count = header(&bytes, 1, origin)? as usize;
    let rows = header(&bytes, 2, origin)? as usize;
    let cols = header(&bytes, 3, origin)? as usize;
    if rows == 0 || cols == 0 {
        return Err(invalid(origin, format!("images of {rows}×{cols} pixels")));
    }
    // Checked: a damaged header can claim more bytes than any machine could address.
    let expected = count.checked_mul(rows).and_then(|n| n.checked_mul(cols));
    let pixels = &bytes[16..];
    if expected != Some(pixels.len()) {
        let expected = expected.map_or("more than can be addressed".into(), |n| n.to_string());
        return Err(invalid(
            origin,
            format!(
                "header says {count} images of {rows}×{cols} ({expected} bytes) but {} bytes follow",
                pixels.len()
            ),
        ));
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: pixels.to_vec(),
    })
}

/// Parses IDX1 label bytes (gzip or raw).
pub fn parse_labels(bytes: &[u8], origin: &str) -> Result<Vec<u8>> {
    let bytes = decompress(bytes, origin)?;
    check_magic(&bytes, LABELS_MAGIC, "label", origin)?;
    let count = header(&bytes, 1, origin)? as usize;
    let labels = &bytes[8..];
    if labels.len() != count {
        return Err(invalid(
            origin,
            format!(
                "header says {count} labels but {} bytes follow",
                labels.len()
            ),
        ));
    }
    Ok(labels.to_vec())
}

/// Reads an IDX3 image file.
pub fn read_images(path: &Path) -> Result<IdxImages> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_images(&bytes, &path.display().to_string())
}

/// Reads an IDX1 label file.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_labels(&bytes, &path.display().to_string())
}
