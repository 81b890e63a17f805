//! End-to-end tests of the real FieldAudit app binary, driven as a person would:
//! under Xvfb, through tauri-driver and WebKitWebDriver (TESTING.md, level 4).
//!
//! The harness starts everything it needs and ends it by process id: an Xvfb on a
//! free display, tauri-driver on a free port (it starts WebKitWebDriver itself), and
//! the app with `FIELDAUDIT_DATA_DIR` pointing at a temporary folder. Locally, when
//! Xvfb, tauri-driver or WebKitWebDriver is missing, the test prints why and is
//! skipped; with `CI=true` it fails instead (scripts/install-deps.sh installs them).
//!
//! Screenshots of each main screen go to `docs/screenshots/` and an axe-core check
//! runs on each: no serious or critical violations.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;
use thirtyfour::Capabilities;

const WAIT: Duration = Duration::from_secs(20);

/// The app tests run one at a time: each drives a whole desktop (display, driver,
/// app), and the machine has two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A child process killed (by its id) and reaped when dropped. Started in its own
/// process group, so what it started (tauri-driver's WebKitWebDriver, the app) is
/// ended with it.
struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    fn spawn(cmd: &mut Command, name: &'static str) -> Proc {
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Proc { child, name }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("e2e: stopped {} (pid {})", self.name, self.child.id());
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

struct Tools {
    xvfb: PathBuf,
    tauri_driver: PathBuf,
}

/// The tools the suite needs, or why it cannot run.
fn tools() -> Result<Tools, String> {
    let xvfb = which("Xvfb").ok_or("Xvfb is not installed (apt-get install xvfb xauth)")?;
    let tauri_driver = which("tauri-driver")
        .ok_or("tauri-driver is not installed (cargo install tauri-driver --locked)")?;
    which("WebKitWebDriver")
        .ok_or("WebKitWebDriver is not installed (apt-get install webkit2gtk-driver)")?;
    Ok(Tools { xvfb, tauri_driver })
}

/// Returns the tools, or `None` after printing why the suite is skipped. Fails
/// under CI, where skipping would hide a broken setup.
fn tools_or_skip() -> Option<Tools> {
    match tools() {
        Ok(t) => Some(t),
        Err(reason) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!(
                "end-to-end prerequisites missing under CI: {reason}; run scripts/install-deps.sh"
            )
        }
        Err(reason) => {
            eprintln!("SKIPPED end-to-end app test: {reason}");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free loopback port")
}

fn wait_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts Xvfb on a display nobody uses.
fn start_xvfb(xvfb: &Path) -> (Proc, String) {
    let n = (90..190)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number");
    let display = format!(":{n}");
    let proc = Proc::spawn(
        Command::new(xvfb)
            .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
        "Xvfb",
    );
    let start = Instant::now();
    while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "Xvfb did not start on {display}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (proc, display)
}

/// The display, tauri-driver and the data directory of one test.
struct Rig {
    _xvfb: Proc,
    display: String,
    driver_bin: PathBuf,
    data_dir: tempfile::TempDir,
    /// The app's home: WebKit's caches and anything else it writes outside the data dir.
    home: tempfile::TempDir,
    screenshots: PathBuf,
    axe: String,
    /// The app binary to run: this build's, or an installed package's.
    application: PathBuf,
}

impl Rig {
    fn new(tools: Tools) -> Rig {
        let (xvfb, display) = start_xvfb(&tools.xvfb);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let axe = std::fs::read_to_string(root.join("ui/node_modules/axe-core/axe.min.js"))
            .expect("axe-core in ui/node_modules (npm ci in ui/)");
        let screenshots = root.join("docs/screenshots");
        std::fs::create_dir_all(&screenshots).expect("docs/screenshots");
        Rig {
            _xvfb: xvfb,
            display,
            driver_bin: tools.tauri_driver,
            data_dir: tempfile::tempdir().expect("temp data dir"),
            home: tempfile::tempdir().expect("temp home"),
            screenshots,
            axe,
            application: PathBuf::from(env!("CARGO_BIN_EXE_fieldaudit-app")),
        }
    }

    /// Starts tauri-driver and opens the app (a new process) in a new session.
    async fn launch(&self, server_url: Option<&str>) -> App {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new(&self.driver_bin);
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("DISPLAY", &self.display)
            .env("FIELDAUDIT_DATA_DIR", self.data_dir.path())
            // A home of its own, so a test can read everything the app wrote.
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env("XDG_DATA_HOME", self.home.path().join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("NO_AT_BRIDGE", "1")
            // Saved reports and exports go here instead of through the native save
            // dialog, which WebDriver cannot drive.
            .env("FIELDAUDIT_SAVE_DIR", self.home.path().join("saved"))
            // No OS keyring: interview drafts take the passphrase path on every machine
            // (the keyring path is tested in crates/core/tests/interview_keyring.rs).
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/fieldaudit-e2e-bus")
            .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(std::env::temp_dir().join("fieldaudit-e2e-tauri-driver.log")).map(Stdio::from).unwrap_or_else(|_| Stdio::null()));
        match server_url {
            Some(url) => cmd.env("FIELDAUDIT_SERVER_URL", url),
            None => cmd.env_remove("FIELDAUDIT_SERVER_URL"),
        };
        let driver_proc = Proc::spawn(&mut cmd, "tauri-driver");
        wait_port(port, "tauri-driver");
        let mut caps = Capabilities::new();
        caps.set("tauri:options", json!({ "application": self.application })).expect("caps");
        // tauri-driver listens a moment before it serves; retry the first request.
        let mut tries = 0;
        let driver = loop {
            match WebDriver::new(format!("http://127.0.0.1:{port}"), caps.clone()).await {
                Ok(d) => break d,
                Err(e) if tries >= 10 => panic!("WebDriver session with the app: {e}"),
                Err(_) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
        let app = App {
            driver,
            _driver_proc: driver_proc,
            screenshots: self.screenshots.clone(),
            axe: self.axe.clone(),
        };
        app.wait_css("main").await;
        app
    }
}

/// One running app and its WebDriver session.
struct App {
    driver: WebDriver,
    _driver_proc: Proc,
    screenshots: PathBuf,
    axe: String,
}

impl App {
    async fn wait_css(&self, css: &str) -> WebElement {
        let start = Instant::now();
        loop {
            if let Ok(found) = self.driver.find_all(By::Css(css)).await {
                if let Some(e) = found.into_iter().next() {
                    return e;
                }
            }
            if start.elapsed() > WAIT {
                let body = self.driver.find(By::Tag("body")).await.ok();
                let text = match body {
                    Some(b) => b.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                panic!("no element {css:?} after {WAIT:?}; the window shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn gone(&self, css: &str) {
        let start = Instant::now();
        while self
            .driver
            .find_all(By::Css(css))
            .await
            .map(|v| !v.is_empty())
            .unwrap_or(false)
        {
            assert!(start.elapsed() < WAIT, "{css:?} is still shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until exactly `want` elements match `css` (a list re-renders after the data
    /// behind it is written, not at the same instant) and returns how many there are.
    async fn wait_count(&self, css: &str, want: usize) -> usize {
        let start = Instant::now();
        loop {
            let got = self.driver.find_all(By::Css(css)).await.map(|v| v.len()).unwrap_or(0);
            if got == want || start.elapsed() > WAIT {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks an element, retrying while it is being re-rendered or scrolled into view.
    async fn click(&self, css: &str) {
        let start = Instant::now();
        loop {
            let e = self.wait_css(css).await;
            // WebKitWebDriver does not always scroll an element inside the scrolling
            // <main> into view before clicking it ("not interactable"); a person would.
            let _ = e.scroll_into_view().await;
            match e.click().await {
                Ok(()) => return,
                Err(e) if start.elapsed() > WAIT => panic!("click {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Chooses a radio option with the keyboard (Space on the focused option).
    async fn choose(&self, testid: &str) {
        let css = format!("[data-testid='{testid}']");
        let start = Instant::now();
        loop {
            let e = self.wait_css(&css).await;
            let _ = e.send_keys(Key::Space).await;
            if e.is_selected().await.unwrap_or(false) {
                return;
            }
            assert!(start.elapsed() < WAIT, "could not choose {testid}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn click_text(&self, text: &str) {
        let xpath =
            format!("//button[normalize-space(.)={text:?}] | //label[normalize-space(.)={text:?}]");
        let start = Instant::now();
        loop {
            if let Ok(Some(e)) = self
                .driver
                .find_all(By::XPath(&xpath))
                .await
                .map(|v| v.into_iter().next())
            {
                e.click()
                    .await
                    .unwrap_or_else(|err| panic!("click {text:?}: {err}"));
                return;
            }
            assert!(start.elapsed() < WAIT, "no button {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_css(css).await;
        e.clear().await.ok();
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Types into a field and leaves it, so its `change` event saves it.
    async fn fill(&self, css: &str, text: &str) {
        self.type_into(css, text).await;
        self.wait_css(css).await.send_keys(Key::Tab).await.ok();
    }

    async fn text(&self, css: &str) -> String {
        self.wait_css(css).await.text().await.unwrap_or_default()
    }

    async fn wait_text(&self, css: &str, want: &str) {
        self.wait_text_for(css, want, WAIT).await;
    }

    /// Like `wait_text`, for things that take longer than `WAIT` on purpose.
    async fn wait_text_for(&self, css: &str, want: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let got = self.text(css).await;
            if got.contains(want) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{css:?} shows {got:?}, expected it to contain {want:?} within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until an element's text no longer starts with `prefix`.
    async fn wait_text_not_starting(&self, css: &str, prefix: &str) {
        let start = Instant::now();
        loop {
            let got = self.text(css).await;
            if !got.starts_with(prefix) {
                return;
            }
            assert!(start.elapsed() < WAIT, "{css:?} still shows {got:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until a form field's current value is `want`.
    async fn wait_value(&self, css: &str, want: &str) {
        let start = Instant::now();
        loop {
            let got = self
                .wait_css(css)
                .await
                .prop("value")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            if got == want {
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "{css:?} has value {got:?}, expected {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Gives a file to an `<input type=file>` as the picker would.
    async fn pick_file(&self, css: &str, name: &str, media_type: &str, bytes: &[u8]) {
        self.wait_css(css).await;
        let b64 = base64_encode(bytes);
        self.js(
            "const [css, name, type, b64] = arguments; const bin = atob(b64); const buf = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
             const dt = new DataTransfer(); dt.items.add(new File([buf], name, { type }));
             const input = document.querySelector(css); input.files = dt.files;
             input.dispatchEvent(new Event('change', { bubbles: true })); return true;",
            vec![json!(css), json!(name), json!(media_type), json!(b64)],
        )
        .await;
    }

    /// Drops a file on an element as a drag and drop from the file manager would.
    async fn drop_file(&self, css: &str, name: &str, media_type: &str, bytes: &[u8]) {
        self.wait_css(css).await;
        let b64 = base64_encode(bytes);
        self.js(
            "const [css, name, type, b64] = arguments; const bin = atob(b64); const buf = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
             const dt = new DataTransfer(); dt.items.add(new File([buf], name, { type }));
             const target = document.querySelector(css);
             for (const kind of ['dragenter', 'dragover', 'drop']) {
               target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt }));
             }
             return true;",
            vec![json!(css), json!(name), json!(media_type), json!(b64)],
        )
        .await;
    }

    async fn screenshot(&self, name: &str) {
        // Show each screen from its top, with no field focused, as a person opening it sees it.
        self.js("document.activeElement?.blur(); document.querySelector('main')?.scrollTo(0, 0); return true;", vec![]).await;
        self.save_screenshot(name).await;
    }

    /// A screenshot of the bottom of the current screen (its last cards).
    async fn screenshot_bottom(&self, name: &str) {
        self.js("document.activeElement?.blur(); const m = document.querySelector('main'); m?.scrollTo(0, m.scrollHeight); return true;", vec![]).await;
        self.save_screenshot(name).await;
    }

    async fn save_screenshot(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self
            .driver
            .screenshot_as_png()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        assert!(
            png.starts_with(b"\x89PNG"),
            "screenshot {name} is not a PNG"
        );
        std::fs::write(self.screenshots.join(format!("{name}.png")), png)
            .expect("write screenshot");
    }

    /// Runs axe-core in the webview; fails on serious or critical violations.
    async fn axe_check(&self, screen: &str) {
        let has_axe = self
            .js("return typeof window.axe === 'object';", vec![])
            .await;
        if has_axe != json!(true) {
            self.js(&format!("{}\nreturn true;", self.axe), vec![])
                .await;
        }
        let result = self
            .driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) })))))
                   .catch(e => done('axe failed: ' + e));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe on {screen}: {e}"));
        let text = result.json().as_str().unwrap_or_default().to_owned();
        assert!(!text.starts_with("axe failed"), "{screen}: {text}");
        let violations: Vec<Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("axe output on {screen}: {e}: {text}"));
        assert!(
            violations.is_empty(),
            "accessibility violations on the {screen} screen: {}",
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
    }

    async fn nav(&self, label: &str) {
        // Not `{label:?}`: Debug escapes combining marks (the Bengali virama in
        // "চেকলিস্ট" becomes `\u{9cd}`), and the XPath would then match nothing.
        assert!(!label.contains('"'), "nav label {label:?} has a double quote");
        let xpath = format!("//nav//button[normalize-space(.)=\"{label}\"]");
        // A click that lands while the screen re-renders can be lost; click again until
        // the item is the active one, as a person would.
        let start = Instant::now();
        loop {
            self.driver.find(By::XPath(&xpath)).await.unwrap_or_else(|e| panic!("nav {label}: {e}")).click().await.expect("nav click");
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let class = match self.driver.find(By::XPath(&xpath)).await {
                    Ok(e) => e.class_name().await.ok().flatten().unwrap_or_default(),
                    Err(_) => String::new(),
                };
                if class.split_whitespace().any(|c| c == "active") {
                    return;
                }
            }
            assert!(start.elapsed() < WAIT, "nav {label}: the menu item never became the active one");
        }
    }

    /// First run: names the device and signs in to the proposed server as `user`.
    async fn connect(&self, device_name: &str, user: &str) {
        self.type_into("#device-name", device_name).await;
        self.type_into("#org", ORG).await;
        self.type_into("#user", user).await;
        self.type_into("#password", PASSWORD).await;
        self.click("[data-testid=connect]").await;
        // Auditors and interviewers land on My audits, reviewers on the facilities.
        let start = Instant::now();
        loop {
            let h1 = self.text("main h1").await;
            if h1.contains("Facilities") || h1.contains("My audits") {
                break;
            }
            assert!(start.elapsed() < WAIT, "after connecting the app shows {h1:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Imports a facility list and starts a fire-safety audit of its first facility.
    async fn start_fire_safety_audit(&self) {
        if !self.text("main h1").await.contains("Facilities") {
            self.nav("Facilities").await;
            self.wait_text("main h1", "Facilities").await;
        }
        self.pick_file(
            "[data-testid=csv-input]",
            "summer-2017-compliance.csv",
            "text/csv",
            &fixture("summer-2017-compliance.csv"),
        )
        .await;
        self.click("[data-testid=apply-import]").await;
        self.gone("[data-testid=apply-import]").await;
        self.click("[data-testid=facility-table] tbody tr td button")
            .await;
        self.click("[data-testid=new-audit]").await;
        self.click("[data-testid=checklist-fire-safety]").await;
        self.click("[data-testid=start-audit]").await;
    }

    async fn quit(self) {
        self.driver.quit().await.expect("quit the app");
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A small valid PNG (a 2×2 red square, correct CRCs: the thumbnailer decodes it)
/// standing in for a phone photo.
fn photo_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd,
        0xd4, 0x9a, 0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0x00, 0x44, 0x0c, 0x10, 0x0a, 0x00, 0x1f, 0xee, 0x03, 0xfd, 0x8b, 0x5f, 0x14,
        0xd4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/facility-lists")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_works_through_an_audit_and_finds_it_all_after_a_restart() {
    let Some(tools) = tools_or_skip() else { return };
    let _serial = ONE_AT_A_TIME.lock().await;
    let rig = Rig::new(tools);
    let app = rig.launch(None).await;

    // First run: name the device and work offline.
    app.wait_css("[data-testid=work-offline]").await;
    app.axe_check("first run").await;
    app.screenshot("01-first-run").await;
    app.type_into("#device-name", "Dhaka laptop 2").await;
    app.click("[data-testid=work-offline]").await;

    // Facilities: import a brand list, with the preview before applying.
    app.wait_text("main h1", "Facilities").await;
    app.pick_file(
        "[data-testid=csv-input]",
        "summer-2019-compliance.csv",
        "text/csv",
        &fixture("summer-2019-compliance.csv"),
    )
    .await;
    app.wait_css("[data-testid=imp-added]").await;
    let added: usize = app
        .text("[data-testid=imp-added]")
        .await
        .trim()
        .parse()
        .expect("added count");
    assert!(
        added > 5,
        "the fixture adds facilities, preview says {added}"
    );
    app.axe_check("import preview").await;
    app.screenshot("02-import-preview").await;
    app.click("[data-testid=apply-import]").await;
    app.gone("[data-testid=imp-added]").await;
    let rows = app.wait_count("[data-testid=facility-table] tbody tr", added).await;
    assert_eq!(rows, added, "every added facility is listed");
    app.axe_check("facilities").await;
    app.screenshot("03-facilities").await;

    // Search by keyboard, open the first facility, start an audit.
    let first_name = app
        .text("[data-testid=facility-table] tbody tr td button")
        .await;
    let word: String = first_name
        .split_whitespace()
        .next()
        .unwrap_or("a")
        .to_owned();
    app.type_into("#facility-search", &word).await;
    app.wait_text("[data-testid=facility-table] tbody", &first_name)
        .await;
    app.click("[data-testid=facility-table] tbody tr td button")
        .await;
    app.wait_css("[data-testid=new-audit]").await;
    app.axe_check("facility").await;
    app.click("[data-testid=new-audit]").await;
    app.click("[data-testid=checklist-fire-safety]").await;
    app.click("[data-testid=checklist-emergency-preparedness]")
        .await;
    app.fill("#na-team", "A. Rahman, B. Chen").await;
    app.axe_check("new audit").await;
    app.screenshot("04-new-audit").await;
    app.click("[data-testid=start-audit]").await;

    // Workspace, section 1 (a repeat group): add a floor, fail a critical item.
    app.click("[data-testid=section-fire-safety-floor]").await;
    app.type_into("[data-testid=instance-label]", "Ground floor")
        .await;
    app.click("[data-testid=add-instance]").await;
    app.wait_css("[data-testid='item-floor.exit_locked']").await;
    app.click("[data-testid='floor.exit_locked-yes'] + span")
        .await;
    app.wait_css("[data-testid='floor.exit_locked-failing']")
        .await;
    app.wait_text("[data-testid=findings-panel]", "CRITICAL")
        .await;
    app.wait_text("[data-testid=save-state]", "saved").await;
    app.fill(
        "[data-testid='floor.exit_locked-note']",
        "Padlock on exit door 3",
    )
    .await;
    // Photo evidence by drag and drop; a thumbnail appears.
    app.drop_file(
        "[data-testid='item-floor.exit_locked'] .photos",
        "exit-door-3.png",
        "image/png",
        &photo_png(),
    )
    .await;
    app.wait_css("[data-testid='item-floor.exit_locked'] .thumb img")
        .await;

    // Section 2: answer with the keyboard; a conditional item appears and goes.
    app.click("[data-testid=section-fire-safety-equipment]")
        .await;
    app.wait_css("[data-testid='equipment.alarm_audible-yes']")
        .await
        .send_keys(Key::Space)
        .await
        .expect("space on radio");
    app.wait_text("[data-testid=save-state]", "saved").await;
    app.click("[data-testid='equipment.sprinklers-yes'] + span")
        .await;
    app.wait_css("[data-testid='item-equipment.pumps_working']")
        .await;
    app.click("[data-testid='equipment.sprinklers-no'] + span")
        .await;
    app.gone("[data-testid='item-equipment.pumps_working']")
        .await;
    app.wait_text("[data-testid=section-fire-safety-equipment]", "2/")
        .await;
    app.axe_check("audit workspace").await;
    app.screenshot("05-workspace").await;

    // Findings and CAP: the critical finding, production-blocking, due date defaulted.
    app.nav("Findings & CAP").await;
    let card = "[data-testid='finding-floor.exit_locked']";
    app.wait_text(card, "Production-blocking").await;
    let due = app
        .wait_css(&format!("{card} [data-testid=due-date]"))
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(due.len(), 10, "a default due date is set: {due:?}");
    app.fill(
        &format!("{card} [data-testid=root-cause]"),
        "Exit padlocked against theft",
    )
    .await;
    app.fill(
        &format!("{card} [data-testid=corrective-action]"),
        "Remove padlock; fit push-bar",
    )
    .await;
    app.fill(&format!("{card} [data-testid=owner]"), "Facility manager")
        .await;
    app.wait_value(&format!("{card} [data-testid=owner]"), "Facility manager")
        .await;
    app.axe_check("findings").await;
    app.screenshot("06-findings-cap").await;
    // Sign-off: valid now; CAP follow-up does not change it.
    app.type_into("[data-testid=signer]", "A. Rahman").await;
    app.click("[data-testid=sign-off]").await;
    app.wait_text("[data-testid=signoff-list]", "Valid, unchanged")
        .await;
    app.wait_text("[data-testid=review-status]", "Submitted")
        .await;
    assert!(
        app.driver
            .find_all(By::Css("[data-testid=approve]"))
            .await
            .expect("query")
            .is_empty(),
        "only reviewers see Approve"
    );
    app.js(
        "const s = document.querySelector(arguments[0]); s.value = 'in_progress'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
        vec![json!(format!("{card} [data-testid=action-status]"))],
    )
    .await;
    app.wait_value(
        &format!("{card} [data-testid=action-status]"),
        "in_progress",
    )
    .await;
    app.wait_text("[data-testid=signoff-list]", "Valid, unchanged")
        .await;
    // Signed: what it covers is read-only until reopened for correction with a reason.
    app.wait_text("[data-testid=locked]", "Signed off: read-only.")
        .await;
    assert!(
        !app.wait_css(&format!("{card} [data-testid=root-cause]"))
            .await
            .is_enabled()
            .await
            .expect("enabled?"),
        "the signed CAP is read-only"
    );
    app.type_into("[data-testid=reopen-reason]", "Fee records still to enter")
        .await;
    app.click("[data-testid=reopen]").await;
    app.gone("[data-testid=locked]").await;
    app.wait_text("[data-testid=signoff-list]", "Voided by a reopening")
        .await;

    // Recruitment fees: a worker, a fee, the total owed.
    app.nav("Recruitment fees").await;
    app.type_into("#wr", "W-01").await;
    app.wait_css("#wr")
        .await
        .send_keys(Key::Enter)
        .await
        .expect("enter submits the form");
    app.wait_css("[id^=amt-]").await;
    app.type_into("[id^=amt-]", "450.50").await;
    app.click_text("Add fee").await;
    app.wait_text("[data-testid=fee-totals]", "450.5").await;
    app.axe_check("recruitment fees").await;
    app.screenshot("07-fees").await;
    // Recorded after the reopening: the voided sign-off no longer matches either.
    app.nav("Findings & CAP").await;
    app.wait_text("[data-testid=signoff-list]", "Voided by a reopening")
        .await;
    app.screenshot_bottom("17-signoff-review").await;

    // The Report screen: rendered pages, then Save PDF writes a real PDF.
    app.nav("Report").await;
    app.wait_css("[data-testid=report-preview] img").await;
    app.wait_text("[data-testid=report-pages]", "pages").await;
    app.axe_check("report").await;
    app.screenshot("26-report-preview").await;
    let saved_dir = rig.home.path().join("saved");
    std::fs::create_dir_all(&saved_dir).expect("saved folder");
    app.click("[data-testid=save-pdf]").await;
    app.wait_css("[data-testid=open-pdf]").await;
    let pdf = std::fs::read_dir(&saved_dir).expect("saved folder").flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "pdf")).expect("a saved PDF");
    let bytes = std::fs::read(&pdf).expect("read the PDF");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let info = std::process::Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo (poppler-utils)");
    let pages: u32 = String::from_utf8_lossy(&info.stdout).lines().find_map(|l| l.strip_prefix("Pages:").and_then(|n| n.trim().parse().ok())).unwrap_or(0);
    assert!(pages >= 1, "the saved PDF has no pages");
    let text = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    assert!(String::from_utf8_lossy(&text.stdout).contains("Padlock on exit door 3"), "the report lacks the finding's note");
    // The saved report's first page as an image, for the README (pdftoppm, like a reader would see it).
    let page = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(app.screenshots.join("27-report-site-page-1"))
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(page.success(), "pdftoppm failed on the saved report");

    app.nav("Settings").await;
    app.wait_text("main h1", "Settings").await;
    app.axe_check("settings").await;
    app.screenshot("08-settings").await;
    app.nav("Sync").await;
    app.axe_check("sync").await;
    app.screenshot("09-sync").await;

    // Quit and start again: everything is there.
    app.quit().await;
    let app = rig.launch(None).await;
    app.wait_text("main h1", "Facilities").await;
    app.type_into("#facility-search", &word).await;
    app.wait_text("[data-testid=facility-table] tbody", &first_name)
        .await;
    app.click("[data-testid=facility-table] tbody tr td button")
        .await;
    app.wait_text("main", "Open corrective actions").await;
    app.wait_text("main", "Is any exit locked").await;
    app.click_text("Open").await;
    app.click("[data-testid=section-fire-safety-floor]").await;
    app.wait_css("[data-testid='floor.exit_locked-failing']")
        .await;
    let checked = app
        .js(
            "return document.querySelector(\"[data-testid='floor.exit_locked-yes']\").checked;",
            vec![],
        )
        .await;
    assert_eq!(checked, json!(true), "the answer survived the restart");
    app.wait_css("[data-testid='item-floor.exit_locked'] .thumb img")
        .await;
    let note = app
        .wait_css("[data-testid='floor.exit_locked-note']")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(note, "Padlock on exit door 3");
    app.nav("Findings & CAP").await;
    let root = app
        .wait_css(&format!("{card} [data-testid=root-cause]"))
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(root, "Exit padlocked against theft");
    app.quit().await;
}

/// A `fieldaudit-server` process on an embedded SQLite folder, stopped on drop.
struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    proc: Option<Proc>,
}

const ORG: &str = "e2e-audits";
const PASSWORD: &str = "correct horse battery";

impl Server {
    /// The server binary `cargo test --workspace` built beside this test, if any.
    fn binary() -> Option<PathBuf> {
        let exe = std::env::current_exe().ok()?;
        let bin = exe.parent()?.parent()?.join("fieldaudit-server");
        bin.is_file().then_some(bin)
    }

    fn admin(&self, args: &[&str]) {
        let out = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .output()
            .expect("run fieldaudit-server admin");
        assert!(
            out.status.success(),
            "fieldaudit-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn new(bin: PathBuf) -> Server {
        let s = Server {
            bin,
            dir: tempfile::tempdir().expect("server dir"),
            port: free_port(),
            proc: None,
        };
        s.admin(&["org", "create", ORG, "--name", "E2E Audits"]);
        for user in ["alice", "bob"] {
            s.admin(&[
                "user",
                "add",
                "--org",
                ORG,
                user,
                "--role",
                "auditor",
                "--password",
                PASSWORD,
            ]);
        }
        s
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        self.proc = Some(Proc::spawn(
            Command::new(&self.bin)
                .arg("--data-dir")
                .arg(self.dir.path())
                .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "fieldaudit-server",
        ));
        wait_port(self.port, "fieldaudit-server");
    }

    fn stop(&mut self) {
        self.proc = None;
    }
}

/// The id of the one audit on the device whose data is in `dir` (the app may be running:
/// the store is SQLite in WAL mode, and this only reads).
fn only_audit_on(dir: &Path) -> uuid::Uuid {
    let audits = fieldaudit_core::Store::open(dir)
        .expect("the app's store")
        .audits(None)
        .expect("audits on the app's device");
    assert_eq!(audits.len(), 1, "the app's device holds one audit");
    audits[0].id
}

/// The second auditor's laptop, driven through fieldaudit-core.
struct OtherDevice {
    dir: tempfile::TempDir,
}

impl OtherDevice {
    fn new(server: &Server) -> OtherDevice {
        let dir = tempfile::tempdir().expect("device B dir");
        fieldaudit_core::Store::create(dir.path(), "laptop B").expect("device B store");
        // Core's sync client is blocking; keep it off the test's async workers.
        tokio::task::block_in_place(|| {
            fieldaudit_core::sync::login(dir.path(), &server.url(), ORG, "bob", PASSWORD)
        })
        .expect("device B signs in");
        OtherDevice { dir }
    }

    fn sync(&self) -> fieldaudit_core::sync::SyncReport {
        let cancel = std::sync::atomic::AtomicBool::new(false);
        tokio::task::block_in_place(|| {
            fieldaudit_core::sync::sync(
                self.dir.path(),
                fieldaudit_core::sync::SyncOptions::default(),
                &|_| {},
                &cancel,
            )
        })
        .expect("device B syncs")
    }

    fn store(&self) -> fieldaudit_core::Store {
        fieldaudit_core::Store::open(self.dir.path()).expect("device B store")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_auditors_sync_through_a_server_that_goes_away_and_comes_back() {
    let Some(tools) = tools_or_skip() else { return };
    let Some(server_bin) = Server::binary() else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "fieldaudit-server binary missing beside the tests under CI"
        );
        eprintln!("SKIPPED sync end-to-end test: build fieldaudit-server first (cargo build -p fieldaudit-server)");
        return;
    };
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::new(server_bin);
    server.start();
    let rig = Rig::new(tools);
    let app = rig.launch(Some(&server.url())).await;

    // First run: connect to the server; a first sync runs at once.
    app.wait_css("[data-testid=connect-form]").await;
    let url = app
        .wait_css("#server-url")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(
        url,
        server.url(),
        "the first-run screen proposes FIELDAUDIT_SERVER_URL"
    );
    app.connect("Laptop A", "alice").await;
    app.wait_text(".statusbar", "Online").await;

    // An audit with two sections answered, then synced.
    app.start_fire_safety_audit().await;
    app.click("[data-testid=section-fire-safety-floor]").await;
    app.type_into("[data-testid=instance-label]", "Ground floor")
        .await;
    app.click("[data-testid=add-instance]").await;
    app.choose("floor.exit_locked-no").await;
    app.click("[data-testid=section-fire-safety-equipment]")
        .await;
    app.choose("equipment.alarm_audible-yes").await;
    app.wait_text("[data-testid=save-state]", "saved").await;
    let audit_url_section = "[data-testid=section-fire-safety-hazards]";

    // Automatic sync: once the edits settle (about 10 s), they are sent without
    // pressing Sync.
    app.wait_text_not_starting("[data-testid=sync-pending]", "0 ")
        .await;
    app.wait_text_for(
        "[data-testid=sync-pending]",
        "0 changes waiting",
        Duration::from_secs(45),
    )
    .await;
    app.wait_text(".statusbar", "Online").await;
    app.nav("Sync").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.wait_text("[data-testid=pending-count]", "0").await;
    app.screenshot("10-sync").await;

    // From here on the test decides when to sync: automatic sync off in Settings.
    app.nav("Settings").await;
    app.click("[data-testid=auto-sync]").await;
    // Saved (the polite live region confirms it; it is visually hidden, so read it by script).
    let start = Instant::now();
    while !app
        .js(
            "return document.querySelector('.sr-only[role=status]')?.textContent ?? '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .contains("Automatic sync is off")
    {
        assert!(
            start.elapsed() < WAIT,
            "turning automatic sync off was not confirmed"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let on = app
        .js(
            "return document.querySelector('[data-testid=auto-sync]').checked;",
            vec![],
        )
        .await;
    assert_eq!(on, json!(false), "automatic sync is turned off");
    // Settings shows this app's version and the server's (both this build's here).
    let version = env!("CARGO_PKG_VERSION");
    app.wait_text("[data-testid=app-version]", version).await;
    app.wait_text("[data-testid=server-version]", &format!("{version} · protocol 1")).await;
    assert!(app.driver.find_all(By::Css("[data-testid=update-app]")).await.expect("query").is_empty(), "no update warning for a server of the same protocol");
    app.axe_check("settings, automatic sync off").await;
    app.screenshot("16-settings-auto-sync").await;

    // The auditor notes something on a shared field (not synced yet)…
    app.nav("Checklists").await;
    app.click("[data-testid=section-fire-safety-equipment]")
        .await;
    app.fill(
        "[data-testid='equipment.alarm_audible-note']",
        "Heard on floor 1",
    )
    .await;
    app.wait_text("[data-testid=save-state]", "saved").await;

    // …while the second auditor, put on the audit's team by the office, fills another
    // section and the same note, and syncs. (A laptop holds only its user's audits: bob
    // receives it only once he is on the team.)
    let audit_id = only_audit_on(rig.data_dir.path());
    server.admin(&[
        "audit", "assign", "--org", ORG, &audit_id.to_string(), "--lead", "alice", "--auditor", "bob",
    ]);
    let b = OtherDevice::new(&server);
    b.sync();
    {
        let mut store = b.store();
        let audits = store.audits(None).expect("audits on B");
        assert_eq!(audits.len(), 1, "device B received the audit");
        let audit = audits[0].id;
        store
            .record_answer(
                audit,
                "fire-safety",
                "hazards.housekeeping",
                None,
                json!("no"),
            )
            .expect("B answers another section");
        store
            .set_answer_note(
                audit,
                "fire-safety",
                "equipment.alarm_audible",
                None,
                "Not heard in the warehouse",
            )
            .expect("B changes the shared note");
    }
    b.sync();

    // Sync again: the other section appears and the conflict is shown.
    app.nav("Sync").await;
    app.wait_text("[data-testid=auto-sync-state]", "Off").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.click("[data-testid=tab-conflicts]").await;
    // Named by its question and audit, not by entity, field and row id.
    app.wait_text("[data-testid=conflict-label]", "Fire safety & exits › Can the fire alarm be heard (or seen) on every floor, over running machines? — note").await;
    let audit_line = app.text("[data-testid=conflict-audit]").await;
    assert!(
        audit_line.contains(" · audit of "),
        "the conflict names its facility and audit: {audit_line}"
    );
    let list = app.text("[data-testid=conflict-list]").await;
    assert!(
        list.contains("Heard on floor 1") && list.contains("Not heard in the warehouse"),
        "both values are shown: {list}"
    );
    assert!(
        !list.contains("Answer · note"),
        "no raw entity/field name: {list}"
    );
    app.axe_check("conflicts").await;
    app.screenshot("11-conflicts").await;
    app.nav("Checklists").await;
    app.wait_text(audit_url_section, "1/").await;
    app.click(audit_url_section).await;
    let checked = app
        .js(
            "return document.querySelector(\"[data-testid='hazards.housekeeping-no']\").checked;",
            vec![],
        )
        .await;
    assert_eq!(
        checked,
        json!(true),
        "device B's answer in another section arrived"
    );

    // The server goes away: work goes on, the status bar says offline and counts.
    server.stop();
    app.choose("hazards.smoking-yes").await;
    app.wait_text("[data-testid=save-state]", "saved").await;
    app.nav("Sync").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_css("[data-testid=sync-error]").await;
    app.wait_text(".statusbar", "Offline").await;
    let waiting = app.text("[data-testid=sync-pending]").await;
    assert!(!waiting.starts_with("0 "), "changes are waiting: {waiting}");
    app.axe_check("sync offline").await;
    app.screenshot("12-offline").await;

    // It comes back: sync, and nothing is waiting any more.
    server.start();
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.wait_text("[data-testid=sync-pending]", "0 changes waiting")
        .await;
    app.wait_text(".statusbar", "Online").await;
    app.quit().await;
}

/// Occurrences of `needle` in every file under `dir` (database, WAL, shm, sessions).
fn marker_in_files(dir: &Path, needle: &str) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            n += marker_in_files(&p, needle);
        } else if let Ok(bytes) = std::fs::read(&p) {
            n += bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count();
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interviewer_seals_an_interview_that_only_the_reviewer_reads() {
    let Some(tools) = tools_or_skip() else { return };
    let Some(server_bin) = Server::binary() else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "fieldaudit-server binary missing beside the tests under CI"
        );
        eprintln!("SKIPPED interview end-to-end test: build fieldaudit-server first (cargo build -p fieldaudit-server)");
        return;
    };
    let _serial = ONE_AT_A_TIME.lock().await;
    const MARKER: &str = "ZQXMARKERINTERVIEWJW";
    let reviewer =
        fieldaudit_core::interviews::generate_reviewer_key("reviewer passphrase", Some(10))
            .expect("reviewer key");
    let mut server = Server::new(server_bin);
    server.admin(&[
        "reviewer",
        "add",
        "--org",
        ORG,
        "--name",
        "Rita Reviewer",
        "--public-key",
        &reviewer.public_key,
    ]);
    server.start();
    let rig = Rig::new(tools);
    let app = rig.launch(Some(&server.url())).await;

    // Connect (the first sync brings the reviewer key), then an audit.
    app.connect("Interview laptop", "alice").await;
    app.start_fire_safety_audit().await;
    app.wait_css("[data-testid=section-fire-safety-floor]")
        .await;

    // Interviews: set the passphrase, see the sampling guidance, start one.
    app.nav("Worker interviews").await;
    app.wait_text("[data-testid=iv-reviewers]", "Rita Reviewer")
        .await;
    app.type_into("[data-testid=iv-passphrase]", "field passphrase")
        .await;
    app.type_into("[data-testid=iv-passphrase2]", "field passphrase")
        .await;
    app.click("[data-testid=iv-unlock-btn]").await;
    app.fill("[data-testid=iv-site-workers]", "400").await;
    app.wait_text("[data-testid=iv-suggested]", "20").await;
    app.type_into("[data-testid=iv-interviewer]", "Nadia").await;
    app.click("[data-testid=iv-start]").await;

    // The form: consent opens the topics; every text field gets the marker.
    app.choose("setup.format-individual").await;
    app.choose("setup.consent-yes").await;
    app.wait_css("[data-testid=ivs-topics]").await;
    app.choose("category.shift-night").await;
    app.choose("topics.fees-paid").await;
    app.choose("topics.documents-employer").await;
    // A phone number in a note is refused, with what to do, and not kept.
    app.fill(
        "[data-testid='topics.fees_notes-input']",
        "call her on 01712345678",
    )
    .await;
    app.wait_text("#error-banner", "never record").await;
    app.wait_value("[data-testid='topics.fees_notes-input']", "")
        .await;
    let texts: Vec<String> = app
        .js("return [...document.querySelectorAll('textarea[data-testid]')].map(e => e.dataset.testid);", vec![])
        .await
        .as_array()
        .expect("text fields")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(
        texts.len() >= 3,
        "the interview has free-text notes: {texts:?}"
    );
    for testid in &texts {
        app.fill(
            &format!("[data-testid='{testid}']"),
            &format!("{MARKER} said in {testid}"),
        )
        .await;
        app.wait_value(
            &format!("[data-testid='{testid}']"),
            &format!("{MARKER} said in {testid}"),
        )
        .await;
    }
    app.click("[data-testid=iv-add-worker]").await;
    app.type_into("[data-testid=iv-fee-amount-0]", "1500").await;
    app.type_into("[data-testid=iv-fee-currency-0]", "USD")
        .await;
    app.click("[data-testid=iv-add-fee-0]").await;
    app.wait_text("[data-testid=iv-worker-0]", "1500 USD").await;
    app.axe_check("interview").await;
    app.screenshot("13-interview").await;
    assert_eq!(
        marker_in_files(rig.data_dir.path(), MARKER),
        0,
        "the draft is never on disk in the clear"
    );
    assert_eq!(
        marker_in_files(rig.home.path(), MARKER),
        0,
        "nor in the webview's caches or anywhere else the app wrote"
    );

    // Finalise: sealed to Rita; the laptop keeps metadata only.
    app.click("[data-testid=iv-finalise]").await;
    app.wait_text("#iv-confirm", "Rita Reviewer").await;
    app.click("[data-testid=iv-seal]").await;
    app.wait_css("[data-testid=iv-row][data-state=sealed]")
        .await;
    app.wait_text("[data-testid=iv-list]", "Nadia").await;
    app.wait_text("[data-testid=iv-covered]", "1").await;
    app.wait_text("[data-testid=iv-coverage]", "Night: 1").await;
    app.wait_text("[data-testid=iv-thin]", "Shift: Night").await;
    app.axe_check("interviews").await;
    app.screenshot("14-interviews").await;
    app.nav("Sync").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.wait_text("[data-testid=sync-pending]", "0 changes waiting")
        .await;
    assert_eq!(
        marker_in_files(rig.data_dir.path(), MARKER),
        0,
        "only ciphertext on the laptop after finalising"
    );
    assert_eq!(
        marker_in_files(rig.home.path(), MARKER),
        0,
        "nothing of the interview in the webview's caches or anywhere else the app wrote"
    );
    assert!(
        rig.home
            .path()
            .join(".local/share/org.fieldaudit.app")
            .is_dir(),
        "the webview keeps its storage in the app's home, so the check above reads it"
    );
    assert_eq!(
        marker_in_files(server.dir.path(), MARKER),
        0,
        "only ciphertext on the server"
    );

    // Reviewer mode: a wrong passphrase is refused; the right one opens the interview.
    app.nav("Worker interviews").await;
    app.click("[data-testid=iv-review]").await;
    app.pick_file(
        "[data-testid=rv-file]",
        "rita.age",
        "text/plain",
        reviewer.identity_file.as_bytes(),
    )
    .await;
    app.type_into("[data-testid=rv-passphrase]", "not the passphrase")
        .await;
    app.click("[data-testid=rv-open]").await;
    app.wait_text("#error-banner", "passphrase").await;
    app.type_into("[data-testid=rv-passphrase]", "reviewer passphrase")
        .await;
    app.click("[data-testid=rv-open]").await;
    app.wait_text("[data-testid=rv-interviews]", "1").await;
    app.wait_text("[data-testid=rv-fee-payers]", "1").await;
    app.wait_text("[data-testid=rv-fees]", "1500").await;
    app.wait_text("[data-testid=rv-questions]", "Paid fees or costs: 1")
        .await;
    app.click("[data-testid=rv-interview] summary").await;
    app.wait_text("[data-testid=rv-interview]", MARKER).await;
    app.axe_check("reviewer mode").await;
    app.screenshot("15-reviewer").await;
    app.click("[data-testid=rv-leave]").await;
    app.wait_text("main h1", "Worker interviews").await;
    app.quit().await;
}

/// The corrective-action loop in the app: the site's acknowledgement and a
/// disputed finding before sign-off, the signed audit read-only, then a partial
/// follow-up that carries the finding, verifies it closed, and the original
/// finding shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_verifies_a_finding_of_a_signed_audit() {
    let Some(tools) = tools_or_skip() else { return };
    let _serial = ONE_AT_A_TIME.lock().await;
    let rig = Rig::new(tools);
    let app = rig.launch(None).await;
    app.wait_css("[data-testid=work-offline]").await;
    app.type_into("#device-name", "Dhaka laptop 3").await;
    app.click("[data-testid=work-offline]").await;
    app.wait_text("main h1", "Facilities").await;
    app.start_fire_safety_audit().await;
    app.click("[data-testid=section-fire-safety-floor]").await;
    app.type_into("[data-testid=instance-label]", "Ground floor")
        .await;
    app.click("[data-testid=add-instance]").await;
    app.choose("floor.exit_locked-yes").await;
    app.wait_css("[data-testid='floor.exit_locked-failing']")
        .await;

    let set_select = |css: String, value: &'static str| {
        let app = &app;
        async move {
            app.js(
                "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
                vec![json!(css), json!(value)],
            )
            .await;
        }
    };
    app.nav("Findings & CAP").await;
    let card = "[data-testid='finding-floor.exit_locked']";
    app.wait_css(&format!("{card} [data-testid=plan-due]"))
        .await;
    let plan = app
        .wait_css(&format!("{card} [data-testid=plan-due]"))
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(plan.len(), 10, "a plan-due date is set: {plan:?}");
    app.fill(
        &format!("{card} [data-testid=site-comment]"),
        "The door is locked only at night",
    )
    .await;
    set_select(format!("{card} [data-testid=site-response]"), "disputed").await;
    app.wait_value(&format!("{card} [data-testid=site-response]"), "disputed")
        .await;
    app.type_into("[data-testid=ack-name]", "Md. Karim").await;
    app.type_into("[data-testid=ack-role]", "Compliance manager")
        .await;
    app.click("[data-testid=ack-save]").await;
    app.type_into("[data-testid=signer]", "A. Rahman").await;
    app.click("[data-testid=sign-off]").await;
    app.wait_text("[data-testid=signoff-list]", "Valid, unchanged")
        .await;
    app.wait_css("[data-testid=locked]").await;
    app.click(&format!("{card} [data-testid=history-toggle]"))
        .await;
    app.wait_text(&format!("{card} [data-testid=history]"), "Site disputed")
        .await;
    app.wait_text(&format!("{card} [data-testid=history]"), "Signed off")
        .await;
    app.axe_check("signed findings").await;
    app.screenshot("18-signed-cap").await;

    // A partial follow-up of the same facility carries the finding.
    app.nav("Facilities").await;
    app.click("[data-testid=facility-table] tbody tr td button")
        .await;
    app.click("[data-testid=new-audit]").await;
    set_select("#na-type".into(), "partial_follow_up").await;
    app.click("[data-testid=start-audit]").await;
    app.nav("Findings & CAP").await;
    let previous = "[data-testid='previous-floor.exit_locked']";
    app.wait_text(
        &format!("{previous} [data-testid=previous-status]"),
        "Not yet verified",
    )
    .await;
    set_select(
        format!("{previous} [data-testid=previous-status-select]"),
        "closed",
    )
    .await;
    app.fill(
        &format!("{previous} [data-testid=previous-evidence]"),
        "Push bar fitted on exit 3; photo",
    )
    .await;
    app.fill(&format!("{previous} [data-testid=previous-by]"), "B. Chen")
        .await;
    app.click(&format!("{previous} [data-testid=previous-save]"))
        .await;
    app.wait_text(
        &format!("{previous} [data-testid=previous-status]"),
        "Closed",
    )
    .await;
    app.axe_check("previous findings").await;
    app.screenshot("19-follow-up").await;
    app.quit().await;
}

/// The app as a person installs it: `scripts/check-package.sh` builds the .deb with
/// Tauri's bundler, unpacks it with `dpkg -x` into a scratch root and runs this test
/// with `FIELDAUDIT_INSTALLED_APP` naming the unpacked `/usr/bin/fieldaudit-app`.
/// That binary, started on its own (no source tree, no dev server), shows its first
/// screen from the embedded UI, and Settings shows the package's version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_package_opens_to_its_first_screen() {
    let Some(installed) = std::env::var_os("FIELDAUDIT_INSTALLED_APP") else {
        eprintln!("skipped: scripts/check-package.sh runs this test on the unpacked .deb (FIELDAUDIT_INSTALLED_APP)");
        return;
    };
    let installed = PathBuf::from(installed);
    assert!(installed.is_file(), "{} is not a file", installed.display());
    assert_ne!(installed, Path::new(env!("CARGO_BIN_EXE_fieldaudit-app")), "the test runs the installed binary, not the build's");
    let Some(tools) = tools_or_skip() else { return };
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut rig = Rig::new(tools);
    rig.application = installed;
    let app = rig.launch(None).await;
    app.wait_css("[data-testid=work-offline]").await;
    assert_eq!(app.driver.title().await.expect("title"), "FieldAudit");
    app.screenshot("00-installed-first-run").await;
    app.type_into("#device-name", "Packaged laptop").await;
    app.click("[data-testid=work-offline]").await;
    app.wait_text("main h1", "Facilities").await;
    app.nav("Settings").await;
    app.wait_text("[data-testid=app-version]", env!("CARGO_PKG_VERSION")).await;
    app.wait_text("[data-testid=server-version]", "not reached yet").await;
}

/// Sets the UI language on the Settings screen (reached by its label `settings`).
async fn set_language(app: &App, settings: &str, lang: &str) {
    app.nav(settings).await;
    app.wait_css("#lang").await;
    app.js("const s = document.querySelector('#lang'); s.value = arguments[0]; s.dispatchEvent(new Event('change', { bubbles: true }));", vec![json!(lang)]).await;
    let start = Instant::now();
    while app.js("return document.documentElement.lang;", vec![]).await != json!(lang) {
        assert!(start.elapsed() < WAIT, "the UI did not switch to {lang}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_answered_in_bengali_raises_a_finding_that_reads_in_chinese_elsewhere() {
    let Some(tools) = tools_or_skip() else { return };
    let Some(server_bin) = Server::binary() else {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "fieldaudit-server binary missing beside the tests under CI");
        eprintln!("SKIPPED language end-to-end test: build fieldaudit-server first (cargo build -p fieldaudit-server)");
        return;
    };
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::new(server_bin);
    server.start();
    let rig = Rig::new(tools);
    let app = rig.launch(Some(&server.url())).await;
    app.wait_css("[data-testid=connect-form]").await;
    app.connect("Laptop A", "alice").await;
    app.start_fire_safety_audit().await;

    // The auditor switches the UI to Bengali: the checklist's questions follow.
    set_language(&app, "Settings", "bn").await;
    app.nav("চেকলিস্ট").await;
    app.click("[data-testid=section-fire-safety-floor]").await;
    app.type_into("[data-testid=instance-label]", "Ground floor").await;
    app.click("[data-testid=add-instance]").await;
    app.wait_text("[data-testid='item-floor.exit_locked']", "শ্রমিকরা তলায় থাকার সময় কোনো বহির্গমন পথ কি তালাবদ্ধ").await;
    app.choose("floor.exit_locked-yes").await;
    app.wait_css("[data-testid='floor.exit_locked-failing']").await;
    app.screenshot("30-question-in-bengali").await;
    app.nav("সিঙ্ক").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=pending-count]", "0").await;

    // The colleague's laptop, once the colleague is on the audit's team, receives the
    // finding: it stores the item, and reads in whatever language that laptop uses.
    let audit_id = only_audit_on(rig.data_dir.path());
    server.admin(&[
        "audit", "assign", "--org", ORG, &audit_id.to_string(), "--lead", "alice", "--auditor", "bob",
    ]);
    let b = OtherDevice::new(&server);
    b.sync();
    {
        let store = b.store();
        let audit = store.audits(None).expect("audits on B")[0].id;
        let findings = store.findings_in(audit, "zh-Hans").expect("findings on B");
        let f = findings.iter().find(|f| f.finding.item_id.as_deref() == Some("floor.exit_locked")).expect("the finding reached B");
        assert_eq!(f.finding.title.as_deref(), Some("工人在岗时，是否有任何安全出口被上锁、用链条锁住或以其他方式无法从内部打开？"));
        assert_eq!(f.finding.severity, Some(fieldaudit_protocol::closed_sets::Severity::Critical));
        let en = store.findings_in(audit, "en").expect("findings on B");
        assert!(en.iter().any(|f| f.finding.title.as_deref().is_some_and(|t| t.starts_with("Is any exit locked"))));
    }

    // And on this laptop, switched to Chinese, the finding reads in Chinese too.
    set_language(&app, "সেটিংস", "zh-Hans").await;
    app.nav("发现项与CAP").await;
    app.wait_text("[data-testid='finding-floor.exit_locked']", "工人在岗时，是否有任何安全出口被上锁").await;
    app.axe_check("findings in Chinese").await;
    app.screenshot("31-finding-in-chinese").await;
    set_language(&app, "设置", "en").await;
    app.quit().await;
}

/// Waits (up to `limit`) until `css` matches at least one element; returns how many.
async fn wait_some(app: &App, css: &str, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let n = app.driver.find_all(By::Css(css)).await.map(|v| v.len()).unwrap_or(0);
        if n > 0 {
            return n;
        }
        assert!(start.elapsed() < limit, "no element {css:?} after {limit:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Sets a `<select>` (bound with Svelte's bind:value) and tells the screen.
async fn select(app: &App, css: &str, value: &str) {
    app.js(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
        vec![json!(css), json!(value)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_approves_from_the_queue_and_follows_the_programme_in_the_office() {
    let Some(tools) = tools_or_skip() else { return };
    let Some(server_bin) = Server::binary() else {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "fieldaudit-server binary missing beside the tests under CI");
        eprintln!("SKIPPED office end-to-end test: build fieldaudit-server first (cargo build -p fieldaudit-server)");
        return;
    };
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::new(server_bin);
    server.admin(&["user", "add", "--org", ORG, "rita", "--role", "reviewer", "--password", PASSWORD]);
    server.admin(&["user", "add", "--org", ORG, "ada", "--role", "admin", "--password", PASSWORD]);
    server.start();

    // The organisation's office: an admin's device imports a facility list, seeds a
    // small demo office through the store (audits signed off and reviewed, findings,
    // CAPs in every state, fees, rates, the sample WGI file) and syncs it up.
    let today = chrono::Local::now().date_naive();
    let seed = tempfile::tempdir().expect("seed dir");
    fieldaudit_core::Store::create(seed.path(), "office seed").expect("seed store");
    tokio::task::block_in_place(|| fieldaudit_core::sync::login(seed.path(), &server.url(), ORG, "ada", PASSWORD)).expect("the admin signs in");
    let (overdue_country, overdue_there, overdue_facility) = {
        let mut store = fieldaudit_core::Store::open(seed.path()).expect("seed store");
        let preview = store.preview_facility_import(&fixture("summer-2019-compliance.csv")[..]).expect("preview");
        store.apply_facility_import(&preview).expect("import");
        let summary = tokio::task::block_in_place(|| store.seed_demo(today, 7, 30)).expect("demo office");
        assert!(summary.audits > 20, "a populated office: {summary:?}");
        let overdue = store.cap_tracker(&fieldaudit_core::office::cap_tracker::CapFilter { overdue: true, ..Default::default() }, today).expect("overdue");
        let country = overdue.first().and_then(|r| r.country.clone()).expect("the demo has overdue CAP items");
        let filter = fieldaudit_core::office::cap_tracker::CapFilter { overdue: true, country: Some(country.clone()), ..Default::default() };
        let there = store.cap_tracker(&filter, today).expect("overdue there").len();
        let facility = overdue.first().and_then(|r| r.facility_id).expect("an overdue CAP item's facility");
        (country, there, facility)
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    tokio::task::block_in_place(|| fieldaudit_core::sync::sync(seed.path(), fieldaudit_core::sync::SyncOptions::default(), &|_| {}, &cancel)).expect("the seed syncs up");

    // The reviewer signs in on a new laptop; the first sync brings the office.
    let rig = Rig::new(tools);
    let app = rig.launch(Some(&server.url())).await;
    app.connect("Reviewer laptop", "rita").await;
    wait_some(&app, "nav button", WAIT).await;
    let start = Instant::now();
    while app.driver.find_all(By::XPath("//nav//button[normalize-space(.)=\"Review queue\"]")).await.map(|v| v.is_empty()).unwrap_or(true) {
        assert!(start.elapsed() < Duration::from_secs(60), "the office menu appears for a reviewer");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Review queue: waiting audits, oldest first; approve one whose sign-off verifies.
    app.nav("Review queue").await;
    wait_some(&app, "[data-testid=queue-row] [data-testid=signoff-ok]", Duration::from_secs(120)).await;
    // The first sync brings the office in batches: count once it has finished and the
    // queue has been read again, or the count grows under the test's feet.
    app.wait_text_for("footer.statusbar", "just now", Duration::from_secs(120)).await;
    app.gone("[data-testid=statusbar-sync]").await;
    app.nav("Settings").await;
    app.nav("Review queue").await;
    wait_some(&app, "[data-testid=queue-row] [data-testid=signoff-ok]", WAIT).await;
    let approved_before: usize = app.text("[data-testid=queue-count-approved]").await.trim().parse().expect("approved count");
    app.axe_check("review queue").await;
    app.screenshot("18-review-queue").await;
    app.click("[data-testid=queue-row]:has([data-testid=signoff-ok]) [data-testid=queue-open]").await;
    app.wait_css("[data-testid=approve]").await;
    app.click("[data-testid=approve]").await;
    app.wait_text("[data-testid=review-status]", "Approved").await;
    app.nav("Review queue").await;
    app.wait_text("[data-testid=queue-count-approved]", &(approved_before + 1).to_string()).await;

    // CAP tracker: overdue items in one country, as many as core counts.
    app.nav("CAP tracker").await;
    wait_some(&app, "[data-testid=cap-row]", WAIT).await;
    select(&app, "[data-testid=f-country]", &overdue_country).await;
    app.click("[data-testid=f-overdue]").await;
    app.wait_text("[data-testid=caps-summary]", &format!("{overdue_there} CAP items")).await;
    let rows = app.driver.find_all(By::Css("[data-testid=cap-row]")).await.expect("rows");
    assert_eq!(rows.len(), overdue_there, "the tracker lists what core counts");
    for r in &rows {
        assert_eq!(r.attr("data-country").await.ok().flatten().as_deref(), Some(overdue_country.as_str()), "one country only");
        assert!(!r.find_all(By::Css("[data-testid=days-overdue]")).await.expect("cell").is_empty(), "every row is overdue");
    }
    app.axe_check("CAP tracker").await;
    app.screenshot("19-cap-tracker").await;

    // Dashboard: the panels, the offline map; a click on a country filters.
    app.nav("Dashboard").await;
    wait_some(&app, "[data-testid=supply-map] path.country.active", WAIT).await;
    wait_some(&app, "[data-testid=chart-quarters] canvas", WAIT).await;
    app.axe_check("dashboard").await;
    app.screenshot("20-dashboard").await;
    app.click("[data-testid=fees-as-table]").await;
    app.wait_css("[data-testid=fees-per-country]").await;
    app.axe_check("dashboard tables").await;
    app.click("[data-testid=fees-as-chart]").await;
    app.js("document.querySelector('[data-testid=panel-capperf]')?.scrollIntoView({ block: 'start' }); return true;", vec![]).await;
    app.js("document.activeElement?.blur(); return true;", vec![]).await;
    app.save_screenshot("21-dashboard-cap-fees").await;
    // (A country's shape may have its centre at sea, so the click goes to the shape itself.)
    app.js("document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('click', { bubbles: true })); return true;", vec![json!(format!("[data-testid=supply-map] path[data-country={overdue_country}]"))]).await;
    app.wait_css("[data-testid=country-filter]").await;
    app.click("[data-testid=shade-risk]").await;
    app.wait_text("[data-testid=panel-map]", "SAMPLE").await;

    // Audit plan: sorted by priority, with reasons and the sample WGI data labelled.
    app.nav("Audit plan").await;
    wait_some(&app, "[data-testid=plan-row]", WAIT).await;
    app.wait_css("[data-testid=wgi-sample]").await;
    let priorities: Vec<u32> = {
        let mut out = Vec::new();
        for e in app.driver.find_all(By::Css("[data-testid=priority]")).await.expect("priorities") {
            out.push(e.text().await.unwrap_or_default().trim().parse().expect("a priority"));
        }
        out
    };
    assert!(priorities.windows(2).all(|w| w[0] >= w[1]), "highest priority first: {priorities:?}");
    app.axe_check("audit plan").await;
    app.screenshot("22-plan").await;

    // Supplier CAP: the open CAP items of a facility with overdue items go out as a
    // workbook the supplier can open; nothing waits for a decision yet.
    app.nav("Supplier CAP").await;
    app.wait_css("[data-testid=sup-none]").await;
    select(&app, "[data-testid=sup-facility]", &overdue_facility.to_string()).await;
    app.click("[data-testid=sup-export]").await;
    app.wait_css("[data-testid=sup-exported]").await;
    let saved = app.text("[data-testid=sup-exported]").await;
    let path = saved.split_once('/').map(|(_, rest)| format!("/{}", rest.trim())).expect("the saved path is shown");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("the workbook {path} was written: {e}"));
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file: {path}");
    assert!(!std::path::Path::new(&format!("{path}.partial")).exists());
    app.axe_check("supplier CAP").await;
    app.screenshot("23-supplier-cap").await;
    app.quit().await;
}

/// The app opens on My audits for an auditor: an audit the office plans for her
/// reaches her laptop at the next sync and is one click from its workspace; on an
/// audit where she is only the interviewer she reads the checklists but cannot change
/// them, and is told why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_opens_on_my_audits_and_reads_only_where_she_interviews() {
    let Some(tools) = tools_or_skip() else { return };
    let Some(server_bin) = Server::binary() else {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "fieldaudit-server binary missing beside the tests under CI");
        eprintln!("SKIPPED My audits end-to-end test: build fieldaudit-server first (cargo build -p fieldaudit-server)");
        return;
    };
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut server = Server::new(server_bin);
    // The office's facility registry, imported on the server.
    let csv = server.dir.path().join("facilities.csv");
    std::fs::write(&csv, fixture("summer-2017-compliance.csv")).expect("write the facility list");
    server.admin(&["facility", "import", "--org", ORG, csv.to_str().expect("utf-8 path")]);
    server.start();
    let rig = Rig::new(tools);
    let app = rig.launch(Some(&server.url())).await;
    app.wait_css("[data-testid=connect-form]").await;
    app.connect("Laptop A", "alice").await;
    app.wait_text("main h1", "My audits").await;
    app.wait_css("[data-testid=my-audits-empty]").await;
    app.wait_text(".statusbar", "Online").await;

    // The office plans two audits: alice leads one and only interviews on the other.
    let start = Instant::now();
    let facilities = loop {
        let facilities = fieldaudit_core::Store::open(rig.data_dir.path())
            .expect("the app's store")
            .facilities("")
            .expect("facilities on the laptop");
        if facilities.len() >= 2 {
            break facilities;
        }
        assert!(start.elapsed() < WAIT, "the first sync brings the registry");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let named: Vec<(String, String)> = facilities
        .iter()
        .filter_map(|f| Some((f.facility.id.to_string(), f.facility.name.clone()?)))
        .filter(|(_, name)| name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '))
        .take(2)
        .collect();
    let [lead_on, interview_on] = &named[..] else { panic!("two facilities with plain names: {named:?}") };
    for (facility, start, team) in [
        (lead_on, "2026-12-07", ["--lead", "alice", "--auditor", "bob"]),
        (interview_on, "2026-12-14", ["--lead", "bob", "--interviewer", "alice"]),
    ] {
        let mut args = vec!["audit", "plan", "--org", ORG, "--facility", &facility.0, "--checklist", "fire-safety", "--start", start];
        args.extend(team);
        server.admin(&args);
    }
    app.nav("Sync").await;
    app.click("[data-testid=sync-now]").await;
    app.wait_text("[data-testid=sync-report]", "Synced").await;
    app.nav("My audits").await;
    app.wait_text("[data-testid=my-count-planned]", "2").await;
    let rows = app.wait_count("[data-testid=my-group-planned] [data-testid=my-audit]", 2).await;
    assert_eq!(rows, 2);
    let planned = app.text("[data-testid=my-group-planned]").await;
    assert!(planned.contains(&lead_on.1) && planned.contains(&interview_on.1), "{planned}");
    assert!(planned.contains("Lead auditor") && planned.contains("Interviewer"), "her role on each: {planned}");
    app.axe_check("my audits").await;
    app.screenshot("32-my-audits").await;

    // The audit she interviews on: the checklists are there to read, not to change.
    app.click_text(&interview_on.1).await;
    app.wait_css("[data-testid=read-only]").await;
    let why = app.text("[data-testid=read-only]").await;
    assert!(why.contains("as Interviewer") && why.contains("Lead auditor or Auditor"), "{why}");
    let disabled = app.js("return document.querySelector('[data-testid=checklist-fields]').disabled;", vec![]).await;
    assert_eq!(disabled, json!(true), "the checklist fields are disabled");
    app.axe_check("read-only workspace").await;
    app.screenshot("33-workspace-read-only").await;
    // Findings and sign-off are the auditors' too: she reads them and is told why she
    // cannot change them; the fee records are hers to keep.
    app.nav("Findings & CAP").await;
    app.wait_css("[data-testid=findings-read-only]").await;
    let why = app.text("[data-testid=findings-read-only]").await;
    assert!(why.contains("as Interviewer"), "{why}");
    app.gone("[data-testid=raise-finding]").await;
    app.gone("[data-testid=sign-off]").await;
    app.wait_text("[data-testid=sign-off-not-allowed]", "sign this audit off").await;
    app.axe_check("read-only findings").await;
    app.screenshot("34-findings-read-only").await;
    app.nav("Recruitment fees").await;
    app.wait_css("[data-testid=fee-fields]").await;
    app.gone("[data-testid=fees-read-only]").await;
    let disabled = app.js("return document.querySelector('[data-testid=fee-fields]').disabled;", vec![]).await;
    assert_eq!(disabled, json!(false), "an interviewer records fees");

    // The audit she leads: one click from My audits, and she answers.
    app.nav("My audits").await;
    app.click_text(&lead_on.1).await;
    app.wait_css("[data-testid=section-fire-safety-floor]").await;
    app.gone("[data-testid=read-only]").await;
    let disabled = app.js("return document.querySelector('[data-testid=checklist-fields]').disabled;", vec![]).await;
    assert_eq!(disabled, json!(false), "she may answer the audit she leads");
}
