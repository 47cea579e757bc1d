//! Saving one drawing as both SVG and PNG: the drawing code is written once against
//! plotters' backend trait, text uses the embedded DejaVu Sans (so PNGs look the same on any
//! machine, with no system fonts), and both files are written atomically.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::atomic_file;
use crate::error::{Error, Result};

/// The font every figure's text uses (DejaVu Sans; see assets/fonts/LICENSE-DejaVu.txt).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The font family name figures ask for.
pub const FAMILY: &str = "sans-serif";

/// What a drawing function returns: plotters' errors as text.
pub type Drawn = std::result::Result<(), String>;

/// Turns any plotters error into the text of [`Drawn`].
pub fn failed(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`, which covers the whole figure.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn;
}

/// Draws `figure` to `<dir>/<stem>.svg` and `<dir>/<stem>.png`; returns both paths.
pub fn save(figure: &impl Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    register_font()?;
    let (width, height) = figure.size();
    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        render(figure, &root).map_err(|m| plot_error(&svg_path, m))?;
    }
    atomic_file::write(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{stem}.png"));
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        render(figure, &root).map_err(|m| plot_error(&png_path, m))?;
    }
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| plot_error(&png_path, "pixel buffer of the wrong size".into()))?;
    let mut png = Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| plot_error(&png_path, e.to_string()))?;
    atomic_file::write(&png_path, png.get_ref())?;
    Ok(vec![svg_path, png_path])
}

fn render<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> Drawn {
    root.fill(&WHITE).map_err(failed)?;
    figure.draw(root)?;
    root.present().map_err(failed)
}

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the embedded font does not parse".to_string())
        })
        .clone()
        .map_err(|message| Error::InvalidData {
            origin: "assets/fonts/DejaVuSans.ttf".into(),
            message,
        })
}

fn plot_error(path: &Path, message: String) -> Error {
    Error::InvalidData {
        origin: path.display().to_string(),
        message: format!("cannot draw the figure: {message}"),
    }
}

/// The text style of figures at `size` pixels.
pub fn text(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

/// Colours figures use, named by role (Paul Tol's colour-blind-safe "bright" scheme).
pub mod palette {
    use plotters::style::RGBColor;
    /// Global (attention) heads; a first series.
    pub const BLUE: RGBColor = RGBColor(0x44, 0x77, 0xAA);
    /// Local (convolution) heads; a second series.
    pub const ORANGE: RGBColor = RGBColor(0xEE, 0x77, 0x33);
    /// A third series; the Pareto front.
    pub const RED: RGBColor = RGBColor(0xCC, 0x33, 0x11);
    /// A fourth series.
    pub const GREEN: RGBColor = RGBColor(0x22, 0x88, 0x33);
    /// A fifth series.
    pub const PURPLE: RGBColor = RGBColor(0xAA, 0x33, 0x77);
    /// A sixth series.
    pub const CYAN: RGBColor = RGBColor(0x66, 0xCC, 0xEE);
    /// A seventh series.
    pub const YELLOW: RGBColor = RGBColor(0xCC, 0xBB, 0x44);
    /// Background points and frames.
    pub const GREY: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
    /// Text and outlines.
    pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
    /// Several series in order.
    pub const SERIES: [RGBColor; 7] = [BLUE, ORANGE, GREEN, RED, PURPLE, CYAN, YELLOW];
}
