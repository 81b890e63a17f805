//! The app's severity scale for findings (DOMAIN.md, "Severity and deadlines"):
//! critical (zero tolerance), major, minor, observation, good practice.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
///
/// Ordered by seriousness: `Critical` is the **greatest** value, so
/// `iter().max()` picks the most severe finding; `GoodPractice` is the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Zero tolerance (RBA Priority, amfori ZT): contain at once, CAP in 7 days.
    Critical,
    /// RBA Major: CAP in 14 days.
    Major,
    /// RBA Minor: record gaps, signage.
    Minor,
    /// SMETA observation: a weak system, looked at again at the next audit.
    Observation,
    /// SMETA good example: recorded, no action.
    GoodPractice,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Observation,
        Severity::GoodPractice,
    ];

    /// The stable string form used in template files, the database and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Observation => "observation",
            Severity::GoodPractice => "good_practice",
        }
    }

    /// Whether a finding of this severity is a non-conformance needing a
    /// corrective action (critical, major, minor), as opposed to an observation or
    /// a good practice.
    pub fn is_non_conformance(self) -> bool {
        matches!(self, Severity::Critical | Severity::Major | Severity::Minor)
    }

    fn rank(self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::Major => 3,
            Severity::Minor => 2,
            Severity::Observation => 1,
            Severity::GoodPractice => 0,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the severity names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown severity `{0}` (expected one of: critical, major, minor, observation, good_practice)"
)]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_strings() {
        for sev in Severity::ALL {
            assert_eq!(sev.as_str().parse::<Severity>(), Ok(sev));
            assert_eq!(sev.to_string(), sev.as_str());
        }
        assert_eq!(
            "Critical".parse::<Severity>(),
            Err(UnknownSeverity("Critical".into()))
        );
        assert_eq!(
            "high".parse::<Severity>(),
            Err(UnknownSeverity("high".into()))
        );
    }

    #[test]
    fn critical_is_greatest() {
        assert!(Severity::Critical > Severity::Major);
        assert!(Severity::Major > Severity::Minor);
        assert!(Severity::Minor > Severity::Observation);
        assert!(Severity::Observation > Severity::GoodPractice);
        let worst = [Severity::Minor, Severity::Critical, Severity::Major]
            .into_iter()
            .max();
        assert_eq!(worst, Some(Severity::Critical));
    }

    #[test]
    fn serde_uses_snake_case() {
        assert_eq!(
            serde_json::to_string(&Severity::GoodPractice)
                .ok()
                .as_deref(),
            Some("\"good_practice\"")
        );
        assert_eq!(
            serde_json::from_str::<Severity>("\"major\"").ok(),
            Some(Severity::Major)
        );
    }

    #[test]
    fn non_conformance_split() {
        assert!(Severity::Minor.is_non_conformance());
        assert!(!Severity::Observation.is_non_conformance());
        assert!(!Severity::GoodPractice.is_non_conformance());
    }
}
