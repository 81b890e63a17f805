//! Photo thumbnails: made once per photo (by SHA-256) and kept under the data
//! directory (`thumbnails/ab/abcdef….jpg`), used by reports and by the app's
//! workspace instead of sending full photos (up to 50 MiB) to the webview.
//!
//! Decoding uses the `image` crate, which reads the EXIF orientation of JPEG,
//! PNG and WebP files; the thumbnail is turned upright, so a phone photo taken in
//! portrait is portrait on paper. Thumbnails are JPEG, at most
//! [`THUMBNAIL_EDGE`] pixels on the long edge.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use fieldaudit_core::Store;
use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::{write_atomically, ReportError};

/// Longest edge of a thumbnail in pixels (sharp at 3.6 cm wide when printed).
pub const THUMBNAIL_EDGE: u32 = 480;

/// JPEG quality of thumbnails.
const QUALITY: u8 = 82;

/// Where the thumbnail of the photo with this digest is kept.
pub fn thumbnail_path(store: &Store, sha256: &str) -> PathBuf {
    store.data_dir().join("thumbnails").join(&sha256[..2.min(sha256.len())]).join(format!("{sha256}.jpg"))
}

/// Makes a thumbnail (upright, JPEG) from image bytes.
pub fn make_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ReportError> {
    let bad = |e: image::ImageError| ReportError::Invalid(format!("the photo cannot be read as an image: {e}"));
    let mut decoder = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| ReportError::Invalid(format!("the photo cannot be read: {e}")))?.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().map_err(bad)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(bad)?;
    img.apply_orientation(orientation);
    let small = if img.width().max(img.height()) > THUMBNAIL_EDGE { img.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE) } else { img };
    let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY);
    rgb.write_with_encoder(encoder).map_err(|e| ReportError::Invalid(format!("cannot encode the thumbnail: {e}")))?;
    Ok(out)
}

/// The thumbnail of a stored photo, made and cached on first use. `Ok(None)` when
/// the photo's bytes are not on this device (not synced yet).
pub fn thumbnail(store: &Store, sha256: &str) -> Result<Option<Vec<u8>>, ReportError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ReportError::Invalid(format!("{sha256:?} is not a SHA-256 digest")));
    }
    let cached = thumbnail_path(store, sha256);
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(Some(bytes));
    }
    let original = store.attachment_path(sha256);
    let bytes = match std::fs::read(&original) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReportError::Io { what: format!("cannot read {}", original.display()), source: e }),
    };
    let thumb = make_thumbnail(&bytes)?;
    write_atomically(&cached, &thumb)?;
    Ok(Some(thumb))
}

/// A light grey placeholder for a photo whose bytes are not on this device.
pub fn placeholder() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(320, 240, image::Rgb([225, 228, 232]));
    let mut out = Vec::new();
    let _ = DynamicImage::ImageRgb8(img).write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70));
    out
}

/// Whether a path is a thumbnail cache file (for tests and clean-up).
pub fn is_cached(path: &Path) -> bool {
    path.exists()
}
