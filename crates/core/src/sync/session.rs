//! The device's server session: server URL, organisation, user and bearer token.
//!
//! Kept in `session.json` in the data directory, outside the database file, readable
//! only by the user (mode 0600 on Unix), so a copied database never carries a token.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{CoreError, Result};

const FILE: &str = "session.json";

/// A signed-in device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Server base URL, e.g. `https://audit.example.org`.
    pub server_url: String,
    /// Organisation slug.
    pub organisation: String,
    /// User name.
    pub user: String,
    /// The user's role.
    pub role: String,
    /// Bearer token of this device.
    pub token: String,
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The stored session, if the device is signed in.
pub fn load(data_dir: &Path) -> Result<Option<Session>> {
    let p = path(data_dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CoreError::Invalid(format!("{} is damaged ({e}); sign in again", p.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CoreError::io(format!("cannot read {}", p.display()), e)),
    }
}

/// Stores a session, readable only by this user.
pub fn save(data_dir: &Path, session: &Session) -> Result<()> {
    let p = path(data_dir);
    let tmp = data_dir.join(".session.json.tmp");
    let bytes =
        serde_json::to_vec_pretty(session).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |e| CoreError::io(format!("cannot write {}", tmp.display()), e);
    let mut f = opts.open(&tmp).map_err(io)?;
    std::io::Write::write_all(&mut f, &bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &p).map_err(|e| CoreError::io(format!("cannot write {}", p.display()), e))
}

/// Forgets the session (sign out). Signing out twice is fine.
pub fn remove(data_dir: &Path) -> Result<()> {
    match std::fs::remove_file(path(data_dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CoreError::io("cannot remove the session file", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        let s = Session {
            server_url: "http://x".into(),
            organisation: "o".into(),
            user: "u".into(),
            role: "auditor".into(),
            token: "t".into(),
        };
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(s));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        remove(dir.path()).unwrap();
        remove(dir.path()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
    }
}
