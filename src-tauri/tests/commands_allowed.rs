//! The commands are listed once, in src/command_list.rs; everything else derives from
//! that list. These checks catch the derived copies drifting: the main window's
//! capability (written by build.rs) allows exactly the listed commands, and the UI's
//! one API file calls every one of them (a command nobody calls is dead code; a
//! misspelt one is already a TypeScript error through `CommandName`).

use std::collections::BTreeSet;
use std::path::Path;

use fieldaudit_app::COMMAND_NAMES;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn listed() -> BTreeSet<String> {
    COMMAND_NAMES.iter().map(|c| (*c).to_owned()).collect()
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

/// The command names `ui/src/lib/api.ts` passes to `call`/`invoke`.
fn called_by_the_ui() -> BTreeSet<String> {
    let api = read("../ui/src/lib/api.ts");
    let mut names = BTreeSet::new();
    for part in api.split("call<").skip(1).chain(api.split("invoke<").skip(1)) {
        // `call<Type>("name"`: the type argument is on the same line and has no call in it.
        let Some((type_arg, rest)) = part.split_once(">(\"") else { continue };
        if type_arg.contains(['(', '\n']) {
            continue;
        }
        if let Some((name, _)) = rest.split_once('"') {
            names.insert(name.to_owned());
        }
    }
    names
}

#[test]
fn the_main_window_is_allowed_exactly_the_listed_commands() {
    let listed = listed();
    assert!(listed.len() > 30, "read the command list: {listed:?}");
    assert_eq!(listed.len(), COMMAND_NAMES.len(), "a command is listed twice in src/command_list.rs");
    assert_eq!(allowed(), listed, "capabilities/main.json is stale: build the app (build.rs rewrites it) and commit it");
}

#[test]
fn the_ui_calls_every_listed_command() {
    let (listed, called) = (listed(), called_by_the_ui());
    let uncalled: Vec<&String> = listed.difference(&called).collect();
    assert!(uncalled.is_empty(), "listed in src/command_list.rs but never called from ui/src/lib/api.ts: {uncalled:?}");
    let unlisted: Vec<&String> = called.difference(&listed).collect();
    assert!(unlisted.is_empty(), "called from ui/src/lib/api.ts but not in src/command_list.rs: {unlisted:?}");
}

