//! The merge rule: last writer wins, per field, ordered by `(hlc, device_id)`.
//!
//! Every replica keeps, for each `(entity, row, field)`, the [`Version`] of the
//! value it holds. An incoming change replaces the value only when its version is
//! greater. Because the order is total and the same everywhere, any set of changes
//! applied in any order, any number of times, ends in the same state on every
//! replica. Deletes are a `deleted` field and follow the same rule.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Hlc;

/// Who wrote a field value, and when. Ordered by `hlc`, then `device_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// When the value was written.
    pub hlc: Hlc,
    /// The device that wrote it; breaks ties between equal stamps.
    pub device_id: Uuid,
}

/// Whether a change with version `incoming` replaces a field currently at `current`.
pub fn should_apply(current: Option<&Version>, incoming: &Version) -> bool {
    current.is_none_or(|c| incoming > c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    type Op = (u8, u8, u64, u8, i32); // (row, field, hlc, device, value)

    fn replay(ops: &[Op]) -> HashMap<(u8, u8), (Version, i32)> {
        let mut state: HashMap<(u8, u8), (Version, i32)> = HashMap::new();
        for &(row, field, hlc, device, value) in ops {
            let v = Version {
                hlc: Hlc(hlc),
                device_id: Uuid::from_u128(device as u128),
            };
            let cur = state.get(&(row, field)).map(|(v, _)| v);
            if should_apply(cur, &v) {
                state.insert((row, field), (v, value));
            }
        }
        state
    }

    proptest! {
        /// Any order and any duplication of the same changes gives the same state.
        #[test]
        fn order_and_duplicates_do_not_matter(
            ops in prop::collection::vec((0u8..3, 0u8..3, 0u64..20, 0u8..3, any::<i32>()), 0..40),
            seed in any::<u64>(),
        ) {
            // The same (hlc, device) always carries the same value for a field, as on real devices.
            let mut canon: HashMap<(u8, u8, u64, u8), i32> = HashMap::new();
            let ops: Vec<Op> = ops.into_iter().map(|(r, f, h, d, v)| (r, f, h, d, *canon.entry((r, f, h, d)).or_insert(v))).collect();
            let mut shuffled = ops.clone();
            shuffled.extend(ops.iter().step_by(2).cloned());
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(replay(&ops), replay(&shuffled));
        }
    }

    #[test]
    fn ties_on_time_are_broken_by_device() {
        let a = Version {
            hlc: Hlc(5),
            device_id: Uuid::from_u128(1),
        };
        let b = Version {
            hlc: Hlc(5),
            device_id: Uuid::from_u128(2),
        };
        assert!(should_apply(Some(&a), &b));
        assert!(!should_apply(Some(&b), &a));
        assert!(
            !should_apply(Some(&a), &a),
            "re-applying the same version is a no-op"
        );
        assert!(should_apply(None, &a));
    }
}
