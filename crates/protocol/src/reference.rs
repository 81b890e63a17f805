//! Organisation-wide reference data that every device holds: the dated exchange-rate
//! table (for converting recruitment fees to one reporting currency) and the World
//! Bank Worldwide Governance Indicators (for country risk and the audit plan).
//!
//! An admin imports them on a device (`fieldaudit rates import`, `fieldaudit risk
//! import`); they sync as ordinary org-scope rows. Row ids are UUIDv5 of what a row
//! is about, so importing the same rate or indicator twice updates one row.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace of the UUIDv5 ids of reference rows.
const REFERENCE_NAMESPACE: Uuid = Uuid::from_u128(0x2b9e_51c4_7d3a_4f1e_9c06_84e2_5a1d_73bf);

/// The six WGI dimensions, by the codes the published data file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WgiIndicator {
    /// Voice and accountability (`va`).
    Va,
    /// Political stability and absence of violence/terrorism (`pv`).
    Pv,
    /// Government effectiveness (`ge`).
    Ge,
    /// Regulatory quality (`rq`).
    Rq,
    /// Rule of law (`rl`).
    Rl,
    /// Control of corruption (`cc`).
    Cc,
}

impl WgiIndicator {
    /// Every indicator, in the order the World Bank lists them.
    pub const ALL: [WgiIndicator; 6] = [
        WgiIndicator::Va,
        WgiIndicator::Pv,
        WgiIndicator::Ge,
        WgiIndicator::Rq,
        WgiIndicator::Rl,
        WgiIndicator::Cc,
    ];
    /// The wire names (the registry's enum values).
    pub const NAMES: &'static [&'static str] = &["va", "pv", "ge", "rq", "rl", "cc"];
    /// The four that country risk averages (DOMAIN.md): rule of law, control of
    /// corruption, government effectiveness, voice and accountability.
    pub const COUNTRY_RISK: [WgiIndicator; 4] = [
        WgiIndicator::Rl,
        WgiIndicator::Cc,
        WgiIndicator::Ge,
        WgiIndicator::Va,
    ];

    /// The wire name (the WGI file's code).
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The indicator with this code (case-insensitive, as files vary).
    pub fn parse(code: &str) -> Option<WgiIndicator> {
        let code = code.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|i| i.as_str() == code)
    }

    /// The indicator's English name.
    pub fn title(self) -> &'static str {
        match self {
            WgiIndicator::Va => "Voice and accountability",
            WgiIndicator::Pv => "Political stability and absence of violence",
            WgiIndicator::Ge => "Government effectiveness",
            WgiIndicator::Rq => "Regulatory quality",
            WgiIndicator::Rl => "Rule of law",
            WgiIndicator::Cc => "Control of corruption",
        }
    }
}

/// A closed set like the others (the registry's `wgi_value.indicator` options and the
/// UI's generated list); its own `parse` also accepts upper-case file codes.
impl crate::closed_sets::ClosedSet for WgiIndicator {
    const LABEL: &'static str = "governance indicator";
    const TYPE_NAME: &'static str = "WgiIndicator";
    const VALUES: &'static [WgiIndicator] = &WgiIndicator::ALL;
    const NAMES: &'static [&'static str] = WgiIndicator::NAMES;

    fn as_str(self) -> &'static str {
        WgiIndicator::as_str(self)
    }
}

/// The id of the rate converting `from` to `to` on `date` (`YYYY-MM-DD`).
pub fn exchange_rate_id(from: &str, to: &str, date: &str) -> Uuid {
    Uuid::new_v5(
        &REFERENCE_NAMESPACE,
        format!("exchange_rate/{from}/{to}/{date}").as_bytes(),
    )
}

/// The id of one country's value of one WGI indicator.
pub fn wgi_value_id(country: &str, indicator: WgiIndicator) -> Uuid {
    Uuid::new_v5(
        &REFERENCE_NAMESPACE,
        format!("wgi/{country}/{}", indicator.as_str()).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_codes_round_trip_and_serde_agrees() {
        for i in WgiIndicator::ALL {
            assert_eq!(WgiIndicator::parse(i.as_str()), Some(i));
            assert_eq!(
                serde_json::to_value(i).unwrap(),
                serde_json::json!(i.as_str())
            );
        }
        assert_eq!(WgiIndicator::parse(" RL "), Some(WgiIndicator::Rl));
        assert_eq!(WgiIndicator::parse("xx"), None);
    }

    #[test]
    fn ids_are_stable_per_subject() {
        assert_eq!(
            exchange_rate_id("BDT", "USD", "2026-01-01"),
            exchange_rate_id("BDT", "USD", "2026-01-01")
        );
        assert_ne!(
            exchange_rate_id("BDT", "USD", "2026-01-01"),
            exchange_rate_id("BDT", "USD", "2026-02-01")
        );
        assert_ne!(
            wgi_value_id("BD", WgiIndicator::Rl),
            wgi_value_id("BD", WgiIndicator::Cc)
        );
    }
}
