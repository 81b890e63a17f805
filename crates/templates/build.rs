//! Rebuilds the crate when a file under the repository's `templates/` folder is
//! added, removed or changed, so the embedded built-in checklists never go stale.

fn main() {
    println!("cargo:rerun-if-changed=../../templates");
}
