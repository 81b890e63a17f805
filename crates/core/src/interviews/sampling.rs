//! Interview sampling guidance (DOMAIN.md, "Interview sampling"): suggested
//! n = max(6, ⌈√N⌉) for N workers, capped at 50 (and never more than N), and the
//! coverage per category so far, so the interviewer can spread the sample across
//! department, shift, gender, contract type and migrant/agency status (at least 2
//! per non-empty group).
//!
//! Coverage counts the categories of finalised interviews. Because categories
//! could single someone out, the tally is kept encrypted under the interviewer's
//! draft key, like drafts: nobody without the passphrase reads it on the device.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{read_encrypted, write_encrypted, DraftKey, InterviewContent, OptionCounts};
use crate::{Result, Store, Writer};

/// Largest suggested sample.
pub const MAX_SAMPLE: u64 = 50;
/// Smallest suggested sample (when the site has that many workers).
pub const MIN_SAMPLE: u64 = 6;
/// Interviews wanted per non-empty category group.
pub const PER_GROUP: u32 = 2;

/// Suggested number of workers to interview for a site of `workers`:
/// max(6, ⌈√N⌉), at most 50 and at most N.
pub fn suggested_sample(workers: u64) -> u64 {
    let mut root = (workers as f64).sqrt().ceil() as u64;
    // Correct float rounding at perfect squares and their neighbours.
    while root > 0 && (root - 1) * (root - 1) >= workers {
        root -= 1;
    }
    while root * root < workers {
        root += 1;
    }
    root.max(MIN_SAMPLE).min(MAX_SAMPLE).min(workers)
}

/// Category items whose spread sampling tracks.
pub const COVERAGE_ITEMS: &[&str] = &[
    "category.department",
    "category.shift",
    "category.gender",
    "category.contract",
    "category.nationality_group",
    "category.agency",
    "category.service",
];

/// What finalised interviews of an audit covered (stored encrypted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tally {
    /// Interviews finalised on this device.
    pub interviews: u32,
    /// Workers in them (group sizes added up).
    pub workers: u32,
    /// Interviews per category option.
    pub by_category: OptionCounts,
}

/// Sampling guidance for an audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SamplingGuidance {
    /// Workers at the site, as given or from the facility.
    pub site_workers: Option<u64>,
    /// Suggested workers to interview (None without a worker count).
    pub suggested: Option<u64>,
    /// Coverage of the interviews finalised on this device.
    pub covered: Tally,
    /// Workers still to interview to reach the suggestion.
    pub remaining: Option<u64>,
    /// Category options seen fewer than [`PER_GROUP`] times (`item=option`).
    pub thin_groups: Vec<String>,
    /// Drafts not yet finalised.
    pub drafts: u32,
}

pub(crate) fn add_to_tally(
    w: &Writer<'_>,
    key: &DraftKey,
    audit_id: Uuid,
    content: &InterviewContent,
) -> Result<()> {
    let mut tally: Tally = read_encrypted(w.conn(), key, audit_id)?;
    tally.interviews += 1;
    tally.workers += content.workers();
    for item in COVERAGE_ITEMS {
        let chosen: Vec<&str> = match content.answers.get(*item) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => continue,
        };
        for option in chosen {
            *tally
                .by_category
                .entry((*item).to_owned())
                .or_default()
                .entry(option.to_owned())
                .or_default() += 1;
        }
    }
    write_encrypted(w, key, audit_id, &tally)
}

impl Store {
    /// Sampling guidance for an audit. `site_workers` defaults to the facility's
    /// worker count (its upper bound when given as a range).
    pub fn interview_sampling(
        &self,
        key: &DraftKey,
        audit_id: Uuid,
        site_workers: Option<u64>,
    ) -> Result<SamplingGuidance> {
        let audit = self.audit(audit_id)?;
        let site_workers = match site_workers {
            Some(n) => Some(n),
            None => match audit.facility_id {
                Some(f) => self
                    .get::<crate::model::Facility>(fieldaudit_protocol::EntityKind::Facility, f)?
                    .and_then(|f| f.workers_max.or(f.workers_min))
                    .map(|n| n.max(0) as u64),
                None => None,
            },
        };
        let covered: Tally = read_encrypted(self.conn(), key, audit_id)?;
        let suggested = site_workers.map(suggested_sample);
        let drafts: u32 = self.conn().query_row(
            "SELECT count(*) FROM interview_draft WHERE audit_id = ?1",
            [audit_id.to_string()],
            |r| r.get(0),
        )?;
        let thin_groups = covered
            .by_category
            .iter()
            .flat_map(|(item, options)| {
                options
                    .iter()
                    .filter(|(_, n)| **n < PER_GROUP)
                    .map(move |(o, _)| format!("{item}={o}"))
            })
            .collect();
        Ok(SamplingGuidance {
            site_workers,
            suggested,
            remaining: suggested.map(|s| s.saturating_sub(covered.workers as u64)),
            covered,
            thin_groups,
            drafts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_size_follows_the_rule() {
        assert_eq!(suggested_sample(0), 0);
        assert_eq!(
            suggested_sample(4),
            4,
            "never more than the workers there are"
        );
        assert_eq!(suggested_sample(10), 6);
        assert_eq!(suggested_sample(36), 6);
        assert_eq!(suggested_sample(37), 7);
        assert_eq!(suggested_sample(49), 7);
        assert_eq!(suggested_sample(50), 8);
        assert_eq!(suggested_sample(400), 20);
        assert_eq!(suggested_sample(2401), 49);
        assert_eq!(suggested_sample(2402), 50);
        assert_eq!(suggested_sample(100_000), 50);
        for n in 0..3000u64 {
            let s = suggested_sample(n);
            let root = (1..).find(|r: &u64| r * r >= n).unwrap_or(0);
            assert_eq!(s, root.max(6).min(50).min(n), "{n}");
        }
    }
}
