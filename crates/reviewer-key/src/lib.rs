//! Reviewer public keys: the `age1…` X25519 recipients that finalised worker
//! interviews are sealed to. The device parses them to seal; the server parses
//! them to refuse a bad key at `reviewer add`, before any device syncs it.

use std::str::FromStr;

pub use age::x25519::Recipient;

/// A text that is not a reviewer public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key:?} is not a reviewer public key ({reason}); it starts with age1 and is printed by `fieldaudit reviewer keygen`")]
pub struct InvalidReviewerKey {
    /// The text given (trimmed).
    pub key: String,
    /// What age found wrong with it.
    pub reason: String,
}

/// Parses a reviewer public key (`age1…`, surrounding whitespace ignored), saying
/// what is wrong if it is not one.
pub fn parse_recipient(public_key: &str) -> Result<Recipient, InvalidReviewerKey> {
    let key = public_key.trim();
    Recipient::from_str(key).map_err(|reason| InvalidReviewerKey {
        key: key.to_owned(),
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_and_garbage_says_what_to_do() {
        let key = age::x25519::Identity::generate().to_public().to_string();
        assert_eq!(
            parse_recipient(&format!("  {key}\n")).map(|r| r.to_string()),
            Ok(key)
        );
        let err = parse_recipient("age1notakey").unwrap_err().to_string();
        assert!(err.contains("\"age1notakey\" is not a reviewer public key"), "{err}");
        assert!(err.contains("fieldaudit reviewer keygen"), "{err}");
        assert!(parse_recipient("").is_err());
    }
}
