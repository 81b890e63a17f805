//! Reading a report's seal back (`fieldaudit report verify`): the PDF is parsed
//! with `lopdf`, the file attachment named [`SEAL_FILE_NAME`] is found among the
//! PDF's file specifications (wherever the name tree puts it), decompressed and
//! decoded, and core checks it against the signature and the audit on this device.

use fieldaudit_core::report::seal::{Seal, SealCheck, SEAL_FILE_NAME};
use fieldaudit_core::Store;
use lopdf::{Document, Object};

use crate::ReportError;

/// What reading a PDF found.
#[derive(Debug)]
pub enum ReportSeal {
    /// The PDF carries a seal.
    Sealed(Box<Seal>),
    /// A FieldAudit report of an audit not signed off (or changed since): a draft
    /// (its attached file says so).
    Draft,
}

fn text(o: &Object) -> Option<String> {
    match o {
        Object::String(bytes, _) => {
            // PDF text strings are PDFDocEncoding or UTF-16BE with a BOM.
            if bytes.starts_with(&[0xFE, 0xFF]) {
                let units: Vec<u16> = bytes[2..].chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
                String::from_utf16(&units).ok()
            } else {
                Some(String::from_utf8_lossy(bytes).into_owned())
            }
        }
        _ => None,
    }
}

/// Finds the seal's bytes in a parsed PDF.
fn seal_bytes(doc: &Document) -> Result<Option<Vec<u8>>, ReportError> {
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        let named = ["UF", "F"].iter().any(|k| dict.get(k.as_bytes()).ok().and_then(text).as_deref() == Some(SEAL_FILE_NAME));
        if !named {
            continue;
        }
        let Ok(ef) = dict.get_deref(b"EF", doc).and_then(Object::as_dict) else { continue };
        let stream = ef.get_deref(b"F", doc).and_then(Object::as_stream).map_err(|e| ReportError::Damaged(format!("the embedded sign-off cannot be read: {e}")))?;
        let bytes = stream.get_plain_content().map_err(|e| ReportError::Damaged(format!("the embedded sign-off cannot be decompressed: {e}")))?;
        return Ok(Some(bytes));
    }
    Ok(None)
}

/// Reads the seal of a report PDF.
pub fn read_seal(pdf: &[u8]) -> Result<ReportSeal, ReportError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(ReportError::Invalid("this file is not a PDF".into()));
    }
    let doc = Document::load_mem(pdf).map_err(|e| ReportError::Damaged(format!("the PDF cannot be read: {e}")))?;
    match seal_bytes(&doc)? {
        Some(bytes) => {
            let damaged = |e: serde_json::Error| ReportError::Damaged(format!("the embedded sign-off is not valid: {e}"));
            let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(damaged)?;
            if value.get("draft").and_then(serde_json::Value::as_bool) == Some(true) {
                return Ok(ReportSeal::Draft);
            }
            let seal: Seal = serde_json::from_value(value).map_err(damaged)?;
            Ok(ReportSeal::Sealed(Box::new(seal)))
        }
        None => Err(ReportError::Invalid("this PDF is not a FieldAudit report (it carries no FieldAudit sign-off file)".into())),
    }
}

/// What `report verify` found.
#[derive(Debug)]
pub enum Verification {
    /// A sealed report, checked.
    Checked(SealCheck),
    /// A draft report: nothing to verify.
    Draft,
}

/// Reads and checks a report PDF against `store`.
pub fn verify_pdf(store: &Store, pdf: &[u8]) -> Result<Verification, ReportError> {
    match read_seal(pdf)? {
        ReportSeal::Sealed(seal) => Ok(Verification::Checked(store.check_seal(&seal)?)),
        ReportSeal::Draft => Ok(Verification::Draft),
    }
}
