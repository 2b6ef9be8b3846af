//! The users read model: the admin's user list, login lookups.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::user::UserEvent;

pub struct UsersProjection;

impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/users.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["users"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::User(e) = &ev.event else {
            return Ok(());
        };
        let (id, at) = (ev.id(), ev.at());
        let set = |sql: &str, value: &dyn rusqlite::ToSql| -> rusqlite::Result<()> {
            c.prepare_cached(&format!(
                "UPDATE users SET {sql}, updated_at = ?2 WHERE user_id = ?3"
            ))?
            .execute(params![value, at, id])?;
            Ok(())
        };
        match e {
            UserEvent::UserRegistered {
                login,
                role,
                locale,
                password,
            } => {
                c.prepare_cached(
                    "INSERT INTO users (user_id, login, role, locale, disabled, password_ref, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?6)",
                )?
                .execute(params![id, login.as_str(), role.as_str(), locale.as_str(), password.0, at])?;
            }
            UserEvent::UserRoleChanged { to, .. } => set("role = ?1", &to.as_str())?,
            UserEvent::UserPasswordChanged { password }
            | UserEvent::UserPasswordReset { password } => set("password_ref = ?1", &password.0)?,
            UserEvent::UserDisabled => set("disabled = ?1", &1)?,
            UserEvent::UserEnabled => set("disabled = ?1", &0)?,
            UserEvent::UserLocaleChanged { locale } => set("locale = ?1", &locale.as_str())?,
            UserEvent::UserLoggedIn { .. } => {
                c.prepare_cached("UPDATE users SET last_login_at = ?1 WHERE user_id = ?2")?
                    .execute(params![at, id])?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A row of the users read model.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub user_id: String,
    pub login: String,
    pub role: String,
    pub locale: String,
    pub disabled: bool,
    #[serde(skip)]
    pub password_ref: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

const COLS: &str =
    "user_id, login, role, locale, disabled, password_ref, created_at, updated_at, last_login_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        user_id: r.get(0)?,
        login: r.get(1)?,
        role: r.get(2)?,
        locale: r.get(3)?,
        disabled: r.get(4)?,
        password_ref: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        last_login_at: r.get(8)?,
    })
}

/// Sort orders of the user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    #[default]
    Login,
    Role,
    Created,
    LastLogin,
}

impl UserSort {
    pub fn parse(s: &str) -> Self {
        match s {
            "role" => Self::Role,
            "created" => Self::Created,
            "last_login" => Self::LastLogin,
            _ => Self::Login,
        }
    }
    fn sql(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Role => "role, login",
            Self::Created => "created_at DESC",
            Self::LastLogin => "last_login_at IS NULL, last_login_at DESC",
        }
    }
}

/// One page of users, with the total count matching `search`.
pub fn list(
    c: &Connection,
    search: &str,
    sort: UserSort,
    offset: usize,
    limit: usize,
) -> rusqlite::Result<(Vec<UserRow>, usize)> {
    let pattern = format!("%{}%", search.trim().to_lowercase());
    let total: usize = c.query_row(
        "SELECT COUNT(*) FROM users WHERE login LIKE ?1",
        [&pattern],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLS} FROM users WHERE login LIKE ?1 ORDER BY {} LIMIT ?2 OFFSET ?3",
        sort.sql()
    ))?;
    let rows = stmt
        .query_map(params![pattern, limit as i64, offset as i64], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

pub fn by_login(c: &Connection, login: &str) -> rusqlite::Result<Option<UserRow>> {
    crate::opt(
        c.prepare_cached(&format!("SELECT {COLS} FROM users WHERE login = ?1"))?
            .query_row([login.to_lowercase()], row),
    )
}

pub fn by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<UserRow>> {
    crate::opt(
        c.prepare_cached(&format!("SELECT {COLS} FROM users WHERE user_id = ?1"))?
            .query_row([id], row),
    )
}

/// Active (not disabled) users with the admin role.
pub fn active_admins(c: &Connection) -> rusqlite::Result<usize> {
    c.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0",
        [],
        |r| r.get(0),
    )
}

pub fn count(c: &Connection) -> rusqlite::Result<usize> {
    c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
}
