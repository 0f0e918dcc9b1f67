// `sqlx::migrate!` embeds the migration folders at compile time; a new or
// changed migration must rebuild this crate even when no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../migrations-sqlite");
}
