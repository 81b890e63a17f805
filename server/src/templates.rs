//! Checklist templates served to devices: the built-in ones (from the
//! `fieldaudit-templates` crate) are written to the store at start-up, so every
//! server on one database serves the same set.

use crate::store::{ServerStore, StoreResult, StoredTemplate};

/// The built-in templates as the server stores them (the JSON is the template itself).
pub fn builtin() -> StoreResult<Vec<StoredTemplate>> {
    fieldaudit_templates::builtin()
        .iter()
        .map(|t| {
            Ok(StoredTemplate {
                id: t.id.clone(),
                version: t.version.to_string(),
                title: t.title.en().to_owned(),
                body: serde_json::to_value(t)?,
            })
        })
        .collect()
}

/// Writes (or refreshes) every built-in template in the store. Returns how many.
pub async fn seed_builtin(store: &dyn ServerStore) -> StoreResult<usize> {
    let all = builtin()?;
    for t in &all {
        store.put_template(t).await?;
    }
    Ok(all.len())
}
