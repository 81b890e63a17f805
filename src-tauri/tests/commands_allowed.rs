//! Every command the app registers is declared in build.rs's app manifest and
//! allowed to the main window in capabilities/main.json, and nothing else is: a
//! command missing from either is refused by Tauri at run time ("not allowed"),
//! which otherwise only an end-to-end run would show.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `module::name,` entries inside `generate_handler![…]`.
fn registered() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler! in src/lib.rs");
    let end = start + lib[start..].find(']').expect("end of generate_handler!");
    lib[start..end]
        .lines()
        .filter_map(|l| {
            l.trim()
                .trim_end_matches(',')
                .rsplit_once("::")
                .map(|(_, name)| name.to_owned())
        })
        .collect()
}

/// The quoted names in build.rs's `COMMANDS` array.
fn declared() -> BTreeSet<String> {
    let build = read("build.rs");
    let start = build.find("const COMMANDS").expect("COMMANDS in build.rs");
    let end = start + build[start..].find("];").expect("end of COMMANDS");
    build[start..end]
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix("\","))
                .map(str::to_owned)
        })
        .collect()
}

/// `allow-…` permissions of the main window, as command names.
fn allowed() -> BTreeSet<String> {
    let caps: serde_json::Value = serde_json::from_str(&read("capabilities/main.json"))
        .expect("capabilities/main.json is JSON");
    caps["permissions"]
        .as_array()
        .expect("permissions array")
        .iter()
        .filter_map(|p| {
            p.as_str()?
                .strip_prefix("allow-")
                .map(|n| n.replace('-', "_"))
        })
        .collect()
}

#[test]
fn every_registered_command_is_declared_and_allowed() {
    let (registered, declared, allowed) = (registered(), declared(), allowed());
    assert!(
        registered.len() > 30,
        "parsed the handler list: {registered:?}"
    );
    assert_eq!(
        registered, declared,
        "src/lib.rs generate_handler! and build.rs COMMANDS differ"
    );
    assert_eq!(
        registered, allowed,
        "src/lib.rs generate_handler! and capabilities/main.json allow-* differ"
    );
}
