//! The library's list: filters, a sort, and keyset pages. The query is built
//! from fixed fragments (values are always bound), the same text for Postgres
//! and SQLite, and each shape has an index behind it (`migrations/`), so a
//! page costs the same at a thousand posts as at a million.

use serde::{Deserialize, Serialize};

use super::PostStatus;

/// What the list is ordered by; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Upload order (ids only grow).
    #[default]
    Created,
    /// Declared size in bytes.
    Size,
    /// The filename, case-insensitively.
    Filename,
}

impl SortKey {
    /// Newest, largest first; names A to Z.
    pub fn default_order(self) -> SortOrder {
        match self {
            Self::Created | Self::Size => SortOrder::Desc,
            Self::Filename => SortOrder::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// Whose posts to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerFilter {
    /// A user id, as tokens carry it (`sub`).
    Id(String),
    /// A user's email, any case.
    Email(String),
}

/// Where the previous page ended: the last post's sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Created { id: i64 },
    Size { size: i64, id: i64 },
    Filename { filename: String, id: i64 },
}

impl After {
    pub fn key(&self) -> SortKey {
        match self {
            Self::Created { .. } => SortKey::Created,
            Self::Size { .. } => SortKey::Size,
            Self::Filename { .. } => SortKey::Filename,
        }
    }
}

/// A page of posts.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this user's posts; `None` lists everyone's (admins).
    pub owner: Option<OwnerFilter>,
    pub status: Option<PostStatus>,
    /// A piece of the filename or title, any case.
    pub search: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    /// Continue after this post; it must be of the same sort.
    pub after: Option<After>,
    pub limit: u32,
}

/// A value bound to the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Text(String),
    Int(i64),
}

/// The owner's email and name beside each row (an index on the id as text
/// keeps it one probe a row).
macro_rules! owner_columns {
    () => {
        ", (SELECT users.email FROM users WHERE CAST(users.id AS TEXT) = posts.user_id) AS owner_email\
         , (SELECT users.name FROM users WHERE CAST(users.id AS TEXT) = posts.user_id) AS owner_name"
    };
}
pub(super) use owner_columns;

/// The statement for `query`, with `$n` placeholders, and what to bind to them.
pub(super) fn select(query: &ListQuery) -> (String, Vec<Arg>) {
    let mut sql = String::with_capacity(640);
    sql.push_str(concat!(
        "SELECT ",
        columns!(),
        owner_columns!(),
        " FROM posts WHERE TRUE"
    ));
    let mut args = Vec::new();
    let mut bind = |sql: &mut String, arg: Arg| {
        args.push(arg);
        sql.push('$');
        sql.push_str(&args.len().to_string());
    };
    match &query.owner {
        Some(OwnerFilter::Id(id)) => {
            sql.push_str(" AND user_id = ");
            bind(&mut sql, Arg::Text(id.clone()));
        }
        Some(OwnerFilter::Email(email)) => {
            // A scalar subquery (emails are unique), so the planner knows it
            // is one owner and walks that owner's index.
            sql.push_str(
                " AND user_id = (SELECT CAST(users.id AS TEXT) FROM users WHERE lower(users.email) = lower(",
            );
            bind(&mut sql, Arg::Text(email.clone()));
            sql.push_str("))");
        }
        None => {}
    }
    if let Some(status) = query.status {
        sql.push_str(" AND status = ");
        bind(&mut sql, Arg::Text(status.as_str().to_owned()));
    }
    if let Some(search) = &query.search {
        let pattern = format!("%{}%", escape_like(search));
        sql.push_str(" AND (lower(filename) LIKE lower(");
        bind(&mut sql, Arg::Text(pattern.clone()));
        sql.push_str(") ESCAPE '\\' OR lower(title) LIKE lower(");
        bind(&mut sql, Arg::Text(pattern));
        sql.push_str(") ESCAPE '\\')");
    }
    let (column, beyond) = match query.order {
        SortOrder::Asc => ("", ">"),
        SortOrder::Desc => (" DESC", "<"),
    };
    if let Some(after) = query.after.as_ref().filter(|a| a.key() == query.sort) {
        match after {
            After::Created { id } => {
                sql.push_str(&format!(" AND id {beyond} "));
                bind(&mut sql, Arg::Int(*id));
            }
            After::Size { size, id } => {
                sql.push_str(&format!(" AND (size_bytes, id) {beyond} ("));
                bind(&mut sql, Arg::Int(*size));
                sql.push_str(", ");
                bind(&mut sql, Arg::Int(*id));
                sql.push(')');
            }
            After::Filename { filename, id } => {
                sql.push_str(&format!(" AND (lower(filename), id) {beyond} (lower("));
                bind(&mut sql, Arg::Text(filename.clone()));
                sql.push_str("), ");
                bind(&mut sql, Arg::Int(*id));
                sql.push(')');
            }
        }
    }
    let by = match query.sort {
        SortKey::Created => "",
        SortKey::Size => "size_bytes",
        SortKey::Filename => "lower(filename)",
    };
    sql.push_str(" ORDER BY ");
    if !by.is_empty() {
        sql.push_str(by);
        sql.push_str(column);
        sql.push_str(", ");
    }
    sql.push_str("id");
    sql.push_str(column);
    sql.push_str(" LIMIT ");
    bind(&mut sql, Arg::Int(i64::from(query.limit)));
    (sql, args)
}

/// `text` matched literally inside a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_a_search_are_literal() {
        assert_eq!(escape_like(r"50%_off\x"), r"50\%\_off\\x");
    }

    #[test]
    fn a_cursor_of_another_sort_is_ignored() {
        let (sql, args) = select(&ListQuery {
            sort: SortKey::Size,
            after: Some(After::Created { id: 7 }),
            limit: 5,
            ..ListQuery::default()
        });
        assert!(
            sql.ends_with("ORDER BY size_bytes DESC, id DESC LIMIT $1"),
            "{sql}"
        );
        assert_eq!(args, vec![Arg::Int(5)]);
    }

    #[test]
    fn every_value_is_bound() {
        let (sql, args) = select(&ListQuery {
            owner: Some(OwnerFilter::Email("A@x".into())),
            status: Some(PostStatus::Ready),
            search: Some("o'; DROP TABLE posts".into()),
            sort: SortKey::Filename,
            order: SortOrder::Asc,
            after: Some(After::Filename {
                filename: "b.png".into(),
                id: 3,
            }),
            limit: 50,
        });
        assert!(!sql.contains("DROP"), "{sql}");
        assert_eq!(args.len(), 7);
        assert!(
            sql.contains("(lower(filename), id) > (lower($5), $6)"),
            "{sql}"
        );
        assert!(
            sql.ends_with("ORDER BY lower(filename), id LIMIT $7"),
            "{sql}"
        );
    }
}
