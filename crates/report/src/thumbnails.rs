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
    let (cached, original) = paths(store, sha256)?;
    thumbnail_at(&cached, &original)
}

/// The thumbnails of many photos (by digest), made on all cores: a report's first
/// rendering makes one per photo, and decoding a phone photo is the slow part. A
/// photo whose thumbnail cannot be had (not on this device, not an image) gets the
/// [`placeholder`].
pub fn thumbnails(store: &Store, digests: &[String]) -> Vec<(String, Vec<u8>)> {
    // The store (one SQLite connection) stays on this thread; workers get paths.
    let jobs: Vec<(String, Option<(PathBuf, PathBuf)>)> = digests.iter().map(|sha| (sha.clone(), paths(store, sha).ok())).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(sha, paths)| {
                            let thumb = paths.as_ref().and_then(|(cached, original)| thumbnail_at(cached, original).ok().flatten());
                            (sha.clone(), thumb.unwrap_or_else(placeholder))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Where the thumbnail is kept and where the photo is, for a valid digest.
fn paths(store: &Store, sha256: &str) -> Result<(PathBuf, PathBuf), ReportError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ReportError::Invalid(format!("{sha256:?} is not a SHA-256 digest")));
    }
    Ok((thumbnail_path(store, sha256), store.attachment_path(sha256)))
}

/// The cached thumbnail at `cached`, or one made from the photo at `original`.
fn thumbnail_at(cached: &Path, original: &Path) -> Result<Option<Vec<u8>>, ReportError> {
    if let Ok(bytes) = std::fs::read(cached) {
        return Ok(Some(bytes));
    }
    let bytes = match std::fs::read(original) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReportError::Io { what: format!("cannot read {}", original.display()), source: e }),
    };
    let thumb = make_thumbnail(&bytes)?;
    write_atomically(cached, &thumb)?;
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
