//! Typesetting a report model with typst, used as a library.
//!
//! The layout is one typst file (`report.typ`, embedded). The model goes in as a
//! JSON file the layout reads with `json()`, so user text (facility names, notes)
//! is data, never markup: `#`, `$`, `*`, `]` or backslashes in a note print as
//! typed. Photos go in as thumbnail files, the seal as a file the layout attaches
//! to the PDF. Nothing is read from disk or the network during compilation.

use std::collections::HashMap;

use chrono::{Datelike, Utc};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::fonts::FontSet;
use crate::ReportError;

/// The report layout.
pub const LAYOUT: &str = include_str!("report.typ");

/// The files a report is compiled from.
struct ReportWorld {
    library: LazyHash<Library>,
    fonts: &'static FontSet,
    main: FileId,
    source: Source,
    files: HashMap<FileId, Bytes>,
}

fn file_id(path: &str) -> FileId {
    // The paths are ours and valid.
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| VirtualPath::new("/invalid").expect("a valid path"));
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }
    fn main(&self) -> FileId {
        self.main
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        let d = Utc::now().date_naive();
        Datetime::from_ymd(d.year(), d.month() as u8, d.day() as u8)
    }
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")
}

/// Compiles the layout over a model (as JSON), photos (SHA-256 → JPEG bytes) and
/// an optional seal file.
pub fn compile(model_json: Vec<u8>, photos: HashMap<String, Vec<u8>>, seal_json: Option<Vec<u8>>, fonts: &'static FontSet) -> Result<PagedDocument, ReportError> {
    let main = file_id("/report.typ");
    let mut files = HashMap::new();
    files.insert(file_id("/report.json"), Bytes::new(model_json));
    if let Some(seal) = seal_json {
        files.insert(file_id("/seal.json"), Bytes::new(seal));
    }
    for (sha, jpeg) in photos {
        files.insert(file_id(&format!("/photos/{sha}.jpg")), Bytes::new(jpeg));
    }
    let world = ReportWorld { library: LazyHash::new(Library::builder().build()), fonts, main, source: Source::new(main, LAYOUT.to_owned()), files };
    let result = typst::compile::<PagedDocument>(&world);
    // typst memoises layout work across compilations (a preview re-rendered after
    // an edit reuses most of it); keep what the last few used, so a long-running
    // app's memory stays bounded.
    typst::comemo::evict(LAYOUT_CACHE_GENERATIONS);
    result.output.map_err(|errors| ReportError::Typeset(diagnostics(&errors)))
}

/// How many compilations a memoised layout result is kept unused.
const LAYOUT_CACHE_GENERATIONS: usize = 3;

/// Forgets every memoised layout result, so the next report is typeset from
/// nothing (the benchmark's cold runs).
pub fn forget_layouts() {
    typst::comemo::evict(0);
}

/// The PDF bytes of a compiled report.
pub fn pdf(doc: &PagedDocument) -> Result<Vec<u8>, ReportError> {
    typst_pdf::pdf(doc, &typst_pdf::PdfOptions::default()).map_err(|errors| ReportError::Typeset(diagnostics(&errors)))
}

/// One page as a PNG at `pixel_per_pt` (1.0 is 72 dpi).
pub fn page_png(doc: &PagedDocument, index: usize, pixel_per_pt: f32) -> Result<Vec<u8>, ReportError> {
    let page = doc.pages().get(index).ok_or_else(|| ReportError::Invalid(format!("the report has {} pages; there is no page {}", doc.pages().len(), index + 1)))?;
    let pixmap = typst_render::render(page, &typst_render::RenderOptions { pixel_per_pt: f64::from(pixel_per_pt).into(), render_bleed: false });
    pixmap.encode_png().map_err(|e| ReportError::Invalid(format!("cannot encode page {} as PNG: {e}", index + 1)))
}
