//! Where attachment bytes are kept, as one setting every command shares: a local
//! directory (the default, `<data-dir>/attachments`) or S3-compatible object storage
//! (`--attachments-url s3://bucket/prefix`), both through the `object_store` crate.
//!
//! For S3 the endpoint, region and credentials come from the usual AWS environment
//! variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP`, …, every `AWS_*`
//! key that `object_store`'s `AmazonS3Builder` knows). The storage is given short timeouts
//! and few retries, so that when it is down a request fails within seconds with
//! `storage_unavailable` (503) and the device tries again later, instead of hanging
//! for minutes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

use crate::attachments::Blobs;

/// The environment variable that may carry `--attachments-url`.
pub const ATTACHMENTS_URL_ENV: &str = "FIELDAUDIT_ATTACHMENTS_URL";

/// Where attachments live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageLocation {
    /// A directory on this machine.
    Local(PathBuf),
    /// An S3 bucket, with every object under `prefix` (may be empty).
    S3 {
        /// The bucket's name.
        bucket: String,
        /// The key prefix (no leading or trailing `/`).
        prefix: String,
    },
}

impl StorageLocation {
    /// The location from the command line: `url` (`s3://bucket/prefix` or
    /// `file:///absolute/dir`) if given, else `dir`, else `<data_dir>/attachments`.
    pub fn from_args(
        url: Option<&str>,
        dir: Option<&Path>,
        data_dir: &Path,
    ) -> Result<StorageLocation, String> {
        match (url.map(str::trim).filter(|u| !u.is_empty()), dir) {
            (Some(_), Some(_)) => {
                Err("give either --attachments-url or --attachments-dir, not both".into())
            }
            (Some(url), None) => StorageLocation::parse_url(url),
            (None, Some(dir)) => Ok(StorageLocation::Local(dir.to_owned())),
            (None, None) => Ok(StorageLocation::Local(data_dir.join("attachments"))),
        }
    }

    /// Parses `s3://bucket/prefix` or `file:///absolute/dir`.
    pub fn parse_url(url: &str) -> Result<StorageLocation, String> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                })
                && !bucket.starts_with(['-', '.'])
                && !bucket.ends_with(['-', '.']);
            if !valid_bucket {
                return Err(format!(
                    "{url:?}: {bucket:?} is not an S3 bucket name (3 to 63 lower-case letters, digits, '-' or '.'); write s3://bucket/prefix"
                ));
            }
            let prefix = prefix.trim_matches('/').to_owned();
            if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
                return Err(format!(
                    "{url:?}: the prefix may not contain empty, '.' or '..' parts"
                ));
            }
            return Ok(StorageLocation::S3 {
                bucket: bucket.to_owned(),
                prefix,
            });
        }
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!("{url:?}: a file URL needs an absolute path, e.g. file:///var/lib/fieldaudit/attachments"));
            }
            return Ok(StorageLocation::Local(PathBuf::from(path)));
        }
        Err(format!(
            "{url:?} is not an attachments URL; write s3://bucket/prefix (S3-compatible storage) or file:///absolute/dir"
        ))
    }

    /// How the location is shown in logs and messages (never with credentials).
    pub fn describe(&self) -> String {
        match self {
            StorageLocation::Local(dir) => dir.display().to_string(),
            StorageLocation::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
            StorageLocation::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Opens the store. A local directory is created if missing; an S3 bucket must
    /// exist (this makes no request: a missing bucket shows on first use).
    pub fn open(&self) -> Result<Blobs, String> {
        match self {
            StorageLocation::Local(dir) => crate::attachments::local(dir),
            StorageLocation::S3 { bucket, prefix } => open_s3(bucket, prefix),
        }
    }
}

/// The S3 timeouts and retries: a storage outage answers within about
/// `REQUEST_TIMEOUT` plus `RETRY_TIMEOUT`, not object_store's default of minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const RETRY_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RETRIES: usize = 2;

fn open_s3(bucket: &str, prefix: &str) -> Result<Blobs, String> {
    let has_credentials = [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
        || std::env::var("AWS_SKIP_SIGNATURE").is_ok_and(|v| v == "true")
        || std::env::var("FIELDAUDIT_S3_INSTANCE_CREDENTIALS").is_ok_and(|v| v == "true");
    if !has_credentials {
        return Err(format!(
            "no credentials for s3://{bucket}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_WEB_IDENTITY_TOKEN_FILE, or AWS_SKIP_SIGNATURE=true for a public bucket; on EC2, FIELDAUDIT_S3_INSTANCE_CREDENTIALS=true uses the instance's role)"
        ));
    }
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT,
    };
    let client = ClientOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_timeout(REQUEST_TIMEOUT);
    // The client options first, then every AWS_* variable as `from_env` reads them
    // (so AWS_ALLOW_HTTP and the like land on these options instead of being replaced).
    let mut builder = AmazonS3Builder::new()
        .with_client_options(client)
        .with_retry(retry);
    for (key, value) in std::env::vars_os() {
        if let (Some(key), Some(value)) = (key.to_str(), value.to_str()) {
            if key.starts_with("AWS_") {
                if let Ok(k) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(k, value);
                }
            }
        }
    }
    let s3 = builder.with_bucket_name(bucket).build().map_err(|e| {
        format!("cannot use s3://{bucket}: {e}; check AWS_ENDPOINT, AWS_REGION and the credentials")
    })?;
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(PrefixStore::new(s3, prefix)))
    }
}

/// Whether a storage error means the storage is unreachable or failing (answer 503
/// and let the device retry), rather than a fault in this server.
pub fn is_unavailable(e: &object_store::Error) -> bool {
    !matches!(
        e,
        object_store::Error::NotFound { .. }
            | object_store::Error::InvalidPath { .. }
            | object_store::Error::NotSupported { .. }
            | object_store::Error::NotImplemented
            | object_store::Error::UnknownConfigurationKey { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_to_locations() {
        assert_eq!(
            StorageLocation::parse_url("s3://fa-photos/prod/eu"),
            Ok(StorageLocation::S3 {
                bucket: "fa-photos".into(),
                prefix: "prod/eu".into()
            })
        );
        assert_eq!(
            StorageLocation::parse_url("s3://fa-photos"),
            Ok(StorageLocation::S3 {
                bucket: "fa-photos".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            StorageLocation::parse_url("s3://fa-photos/prod/"),
            Ok(StorageLocation::S3 {
                bucket: "fa-photos".into(),
                prefix: "prod".into()
            })
        );
        assert_eq!(
            StorageLocation::parse_url("file:///srv/att"),
            Ok(StorageLocation::Local("/srv/att".into()))
        );
        for bad in [
            "s3://",
            "s3://UPPER/x",
            "s3://a/x",
            "s3://ok-bucket/../x",
            "file://relative",
            "gs://b/x",
            "/srv/att",
        ] {
            let e = StorageLocation::parse_url(bad).expect_err(bad);
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn the_default_is_the_data_directory_and_both_flags_are_refused() {
        let data = Path::new("/d");
        assert_eq!(
            StorageLocation::from_args(None, None, data),
            Ok(StorageLocation::Local("/d/attachments".into()))
        );
        assert_eq!(
            StorageLocation::from_args(Some(" "), Some(Path::new("/x")), data),
            Ok(StorageLocation::Local("/x".into()))
        );
        assert!(
            StorageLocation::from_args(Some("s3://bkt/p"), Some(Path::new("/x")), data).is_err()
        );
        assert_eq!(
            StorageLocation::from_args(Some("s3://bkt/p"), None, data).map(|l| l.describe()),
            Ok("s3://bkt/p".into())
        );
    }
}
