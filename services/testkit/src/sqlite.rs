//! A fresh SQLite database per test, opened the way the embedded mode opens it.

use imgup_db::Database;
use sqlx::SqlitePool;

/// A migrated SQLite database in a temporary folder (removed with the
/// returned guard).
pub async fn fresh_sqlite() -> (SqlitePool, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite:{}", dir.path().join("imgup.db").display());
    let db = Database::connect_lazy(&url).expect("a SQLite URL");
    db.migrate().await.expect("SQLite migrations");
    let Database::Sqlite(pool) = db else {
        unreachable!("a sqlite: URL opens SQLite")
    };
    (pool, dir)
}
