//! The interview cryptography.
//!
//! - **Drafts** (on the interviewer's device): XChaCha20-Poly1305 under a 256-bit
//!   key derived from the interviewer's passphrase with Argon2id (19 MiB, 2 passes).
//!   The key and passphrase are never stored; the database holds the salt and a
//!   known value encrypted under the key (to tell a wrong passphrase from a damaged
//!   draft). Each ciphertext is bound (associated data) to what it is, e.g. the
//!   draft's id and audit, so rows cannot be swapped.
//! - **Sealing** (finalise): the content is padded to a multiple of 4 KiB (so its
//!   length says little) and encrypted with `age` to every current reviewer public
//!   key (X25519), ASCII-armored. Only a reviewer's private key opens it.
//! - **Reviewer identities**: an age X25519 identity, stored in a file encrypted
//!   with the reviewer's passphrase (age's scrypt recipient).

use std::io::{Read, Write};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::{CoreError, Result};

/// The Argon2id parameters' name as stored next to the salt.
pub(crate) const KDF_NAME: &str = "argon2id-v19-m19456-t2-p1";
const CHECK_PLAINTEXT: &[u8] = b"fieldaudit interview draft key v1";
const PAD_TO: usize = 4096;

/// A key that encrypts interview drafts on this device. Derived from the
/// interviewer's passphrase; lives only in memory.
pub struct DraftKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for DraftKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DraftKey(..)")
    }
}

impl DraftKey {
    /// Derives the key from a passphrase and the device's salt.
    pub(crate) fn derive(passphrase: &str, salt: &[u8]) -> Result<DraftKey> {
        let params = argon2::Params::new(19 * 1024, 2, 1, Some(32))
            .map_err(|e| CoreError::Invalid(format!("key derivation: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = [0u8; 32];
        argon
            .hash_password_into(passphrase.as_bytes(), salt, &mut key)
            .map_err(|e| {
                CoreError::Invalid(format!(
                    "key derivation failed ({e}); choose a passphrase of at least 8 characters"
                ))
            })?;
        let cipher = XChaCha20Poly1305::new((&key).into());
        key.fill(0);
        Ok(DraftKey { cipher })
    }

    /// A key from 32 random bytes kept outside the database (the OS keyring).
    pub(crate) fn from_bytes(mut key: [u8; 32]) -> DraftKey {
        let cipher = XChaCha20Poly1305::new((&key).into());
        key.fill(0);
        DraftKey { cipher }
    }

    /// 32 fresh random bytes for a key kept in the OS keyring.
    pub(crate) fn random_bytes() -> [u8; 32] {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        key
    }

    /// A fresh random salt.
    pub(crate) fn new_salt() -> [u8; 16] {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        salt
    }

    /// Encrypts `plaintext` bound to `context`; returns (nonce, ciphertext).
    pub(crate) fn encrypt(&self, context: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CoreError::Invalid("encryption failed".into()))?;
        Ok((nonce.to_vec(), ct))
    }

    /// Decrypts what [`DraftKey::encrypt`] made for the same `context`; `None` when
    /// the key is wrong or the bytes were changed.
    pub(crate) fn decrypt(
        &self,
        context: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Option<Vec<u8>> {
        if nonce.len() != 24 {
            return None;
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }

    /// The known value stored to recognise this key later.
    pub(crate) fn make_check(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        self.encrypt("check", CHECK_PLAINTEXT)
    }

    /// Whether a stored check value was made with this key.
    pub(crate) fn verify_check(&self, nonce: &[u8], ciphertext: &[u8]) -> bool {
        self.decrypt("check", nonce, ciphertext).as_deref() == Some(CHECK_PLAINTEXT)
    }
}

/// Parses a reviewer public key (`age1…`), saying what is wrong if it is not one.
pub fn parse_recipient(public_key: &str) -> Result<age::x25519::Recipient> {
    fieldaudit_reviewer_key::parse_recipient(public_key).map_err(|e| CoreError::Invalid(e.to_string()))
}

/// Encrypts `plaintext` to every recipient, ASCII-armored. The plaintext is padded
/// with spaces to a multiple of 4 KiB first (JSON ignores trailing whitespace).
pub(crate) fn seal(plaintext: &[u8], recipients: &[age::x25519::Recipient]) -> Result<String> {
    if recipients.is_empty() {
        return Err(CoreError::Invalid(
            "no reviewer keys are registered for your organisation, so nobody could read this interview; ask an admin to register one (fieldaudit-server reviewer add), sync, and finalise again".into(),
        ));
    }
    let mut padded = plaintext.to_vec();
    let len = padded.len().div_ceil(PAD_TO).max(1) * PAD_TO;
    padded.resize(len, b' ');
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| CoreError::Invalid(format!("cannot seal the interview: {e}")))?;
    let mut out = Vec::with_capacity(padded.len() + 1024);
    let fail = |e: std::io::Error| CoreError::Invalid(format!("cannot seal the interview: {e}"));
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(fail)?;
    let mut writer = encryptor.wrap_output(armored).map_err(fail)?;
    writer.write_all(&padded).map_err(fail)?;
    writer.finish().and_then(|a| a.finish()).map_err(fail)?;
    padded.fill(0);
    String::from_utf8(out)
        .map_err(|_| CoreError::Invalid("sealing produced non-ASCII armor".into()))
}

/// Why a sealed interview could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The interview was not sealed to this key (another organisation's reviewer,
    /// a key registered after it was sealed or removed before, or not a reviewer).
    #[error("this interview was not sealed to your key (it is sealed to the reviewer keys registered when it was finalised); ask a reviewer whose key was registered then")]
    NotForThisKey,
    /// The ciphertext was changed or damaged after sealing.
    #[error("the sealed interview was modified or damaged after it was sealed ({0}); it cannot be trusted — report it to your admin")]
    Tampered(String),
}

/// Opens a sealed interview with a reviewer's identity.
pub(crate) fn open(
    sealed: &str,
    identity: &age::x25519::Identity,
) -> std::result::Result<Vec<u8>, OpenError> {
    let reader = age::armor::ArmoredReader::new(sealed.as_bytes());
    let decryptor = age::Decryptor::new_buffered(reader).map_err(map_decrypt)?;
    let mut plain = Vec::new();
    let mut stream = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(map_decrypt)?;
    stream
        .read_to_end(&mut plain)
        .map_err(|e| OpenError::Tampered(e.to_string()))?;
    Ok(plain)
}

fn map_decrypt(e: age::DecryptError) -> OpenError {
    match e {
        age::DecryptError::NoMatchingKeys => OpenError::NotForThisKey,
        other => OpenError::Tampered(other.to_string()),
    }
}

/// A reviewer's key pair, as made by [`generate_reviewer_key`].
pub struct ReviewerKeyPair {
    /// The public key to give the admin (`age1…`).
    pub public_key: String,
    /// The private key file's contents: the identity encrypted with the reviewer's
    /// passphrase (age scrypt, ASCII-armored).
    pub identity_file: String,
}

/// Makes a reviewer key pair; the private key is returned only encrypted with
/// `passphrase`. `work_factor` is scrypt's log2 N (None: age's default, about a
/// second on this machine; tests use less).
pub fn generate_reviewer_key(passphrase: &str, work_factor: Option<u8>) -> Result<ReviewerKeyPair> {
    if passphrase.chars().count() < 8 {
        return Err(CoreError::Invalid(
            "the passphrase protecting a reviewer key must have at least 8 characters".into(),
        ));
    }
    let identity = age::x25519::Identity::generate();
    let public_key = identity.to_public().to_string();
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    if let Some(n) = work_factor {
        recipient.set_work_factor(n);
    }
    let secret = identity.to_string();
    let mut out = Vec::new();
    let fail =
        |e: std::io::Error| CoreError::Invalid(format!("cannot encrypt the reviewer key: {e}"));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| CoreError::Invalid(format!("cannot encrypt the reviewer key: {e}")))?;
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(fail)?;
    let mut w = encryptor.wrap_output(armored).map_err(fail)?;
    w.write_all(secret.expose_secret().as_bytes())
        .map_err(fail)?;
    w.finish().and_then(|a| a.finish()).map_err(fail)?;
    let identity_file =
        String::from_utf8(out).map_err(|_| CoreError::Invalid("key file is not ASCII".into()))?;
    Ok(ReviewerKeyPair {
        public_key,
        identity_file,
    })
}

/// Unlocks a reviewer's private key file with its passphrase.
pub fn unlock_reviewer_key(identity_file: &str, passphrase: &str) -> Result<age::x25519::Identity> {
    let not_key = || {
        CoreError::Invalid("this is not a FieldAudit reviewer key file (make one with `fieldaudit reviewer keygen`)".into())
    };
    let decryptor =
        age::Decryptor::new_buffered(age::armor::ArmoredReader::new(identity_file.as_bytes()))
            .map_err(|_| not_key())?;
    let mut scrypt = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    scrypt.set_max_work_factor(22);
    let mut plain = String::new();
    decryptor
        .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                CoreError::Invalid("wrong passphrase for this reviewer key file".into())
            }
            other => CoreError::Invalid(format!("cannot open the reviewer key file: {other}")),
        })?
        .read_to_string(&mut plain)
        .map_err(|e| CoreError::Invalid(format!("the reviewer key file is damaged: {e}")))?;
    let identity = age::x25519::Identity::from_str(plain.trim()).map_err(|_| not_key());
    plain.clear();
    identity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_key_binds_context_and_detects_wrong_keys() {
        let salt = DraftKey::new_salt();
        let key = DraftKey::derive("correct horse battery", &salt).unwrap();
        let (n, ct) = key.encrypt("draft/1", b"secret").unwrap();
        assert_eq!(
            key.decrypt("draft/1", &n, &ct).as_deref(),
            Some(&b"secret"[..])
        );
        assert!(
            key.decrypt("draft/2", &n, &ct).is_none(),
            "bound to its context"
        );
        let other = DraftKey::derive("wrong horse battery", &salt).unwrap();
        assert!(other.decrypt("draft/1", &n, &ct).is_none());
        let (cn, cc) = key.make_check().unwrap();
        assert!(key.verify_check(&cn, &cc) && !other.verify_check(&cn, &cc));
    }

    #[test]
    fn sealed_to_reviewers_only_and_tampering_is_detected() {
        let a = age::x25519::Identity::generate();
        let b = age::x25519::Identity::generate();
        let outsider = age::x25519::Identity::generate();
        let sealed = seal(b"{\"x\":1}", &[a.to_public(), b.to_public()]).unwrap();
        assert!(sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        for id in [&a, &b] {
            let plain = open(&sealed, id).unwrap();
            assert_eq!(plain.len(), 4096);
            assert_eq!(String::from_utf8(plain).unwrap().trim_end(), "{\"x\":1}");
        }
        assert_eq!(open(&sealed, &outsider), Err(OpenError::NotForThisKey));
        // Flip one character of the payload (the last base64 line before the footer).
        let mut lines: Vec<String> = sealed.lines().map(str::to_owned).collect();
        let i = lines.len() - 3;
        let mut chars: Vec<char> = lines[i].chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        lines[i] = chars.into_iter().collect();
        let tampered = lines.join("\n");
        assert!(
            matches!(open(&tampered, &a), Err(OpenError::Tampered(_))),
            "{:?}",
            open(&tampered, &a)
        );
        assert!(seal(b"x", &[])
            .unwrap_err()
            .to_string()
            .contains("no reviewer keys"));
    }

    #[test]
    fn reviewer_key_files_need_their_passphrase() {
        let pair = generate_reviewer_key("reviewer passphrase", Some(10)).unwrap();
        assert!(pair.public_key.starts_with("age1"));
        assert!(
            !pair.identity_file.contains("AGE-SECRET-KEY"),
            "the private key is stored encrypted"
        );
        let id = unlock_reviewer_key(&pair.identity_file, "reviewer passphrase").unwrap();
        assert_eq!(id.to_public().to_string(), pair.public_key);
        let e = unlock_reviewer_key(&pair.identity_file, "not the passphrase")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("wrong passphrase"), "{e}");
        assert!(
            unlock_reviewer_key("garbage", "x").is_err(),
            "not a key file"
        );
        assert!(generate_reviewer_key("short", Some(10)).is_err());
        assert!(parse_recipient(&pair.public_key).is_ok());
        assert!(parse_recipient("age1notakey")
            .unwrap_err()
            .to_string()
            .contains("age1"));
    }
}
