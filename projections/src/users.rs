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
        include_str!("../../migrations/views/users_v2.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["users"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        self.apply_all(c, std::slice::from_ref(ev))
    }

    /// Folds the batch per user first, then writes each user touched once:
    /// most events (logins, locale and role changes) rewrite the same few
    /// columns of the same rows.
    fn apply_all(&self, c: &Connection, evs: &[Envelope<'_>]) -> rusqlite::Result<()> {
        let mut changes = Changes::default();
        for ev in evs {
            let Decoded::User(e) = &ev.event else {
                continue;
            };
            let at = ev.at();
            let u = changes.of(ev.id());
            match e {
                UserEvent::UserRegistered {
                    login,
                    role,
                    locale,
                    password,
                } => {
                    *u = Change {
                        registered: Some(login.as_str()),
                        role: Some(role.as_str()),
                        locale: Some(locale.as_str()),
                        disabled: Some(false),
                        password_ref: Some(&password.0),
                        created_at: Some(at),
                        updated_at: Some(at),
                        last_login_at: None,
                    };
                }
                UserEvent::UserRoleChanged { to, .. } => u.set(at, |u| u.role = Some(to.as_str())),
                UserEvent::UserPasswordChanged { password }
                | UserEvent::UserPasswordReset { password } => {
                    u.set(at, |u| u.password_ref = Some(&password.0))
                }
                UserEvent::UserDisabled => u.set(at, |u| u.disabled = Some(true)),
                UserEvent::UserEnabled => u.set(at, |u| u.disabled = Some(false)),
                UserEvent::UserLocaleChanged { locale } => {
                    u.set(at, |u| u.locale = Some(locale.as_str()))
                }
                UserEvent::UserLoggedIn { .. } => u.last_login_at = Some(at),
                _ => {}
            }
        }
        changes.write(c)
    }
}

/// What a batch changes in one user's row; `None`: left as it is.
#[derive(Default)]
struct Change<'a> {
    /// The login, when the user registered in this batch (the row is new).
    registered: Option<&'a str>,
    role: Option<&'a str>,
    locale: Option<&'a str>,
    disabled: Option<bool>,
    password_ref: Option<&'a str>,
    created_at: Option<&'a str>,
    updated_at: Option<&'a str>,
    last_login_at: Option<&'a str>,
}

impl<'a> Change<'a> {
    /// An edit by the admin or the user: it moves `updated_at`.
    fn set(&mut self, at: &'a str, f: impl FnOnce(&mut Self)) {
        f(self);
        self.updated_at = Some(at);
    }
}

/// The users a batch touches, in the order it first touches them.
#[derive(Default)]
struct Changes<'a> {
    index: std::collections::HashMap<&'a str, usize>,
    rows: Vec<(&'a str, Change<'a>)>,
}

impl<'a> Changes<'a> {
    fn of(&mut self, user_id: &'a str) -> &mut Change<'a> {
        let i = *self.index.entry(user_id).or_insert_with(|| {
            self.rows.push((user_id, Change::default()));
            self.rows.len() - 1
        });
        &mut self.rows[i].1
    }

    fn write(&self, c: &Connection) -> rusqlite::Result<()> {
        for (id, u) in &self.rows {
            if let Some(login) = u.registered {
                c.prepare_cached(
                    "INSERT INTO users (user_id, login, role, locale, disabled, password_ref,
                                        created_at, updated_at, last_login_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    id,
                    login,
                    u.role,
                    u.locale,
                    u.disabled.unwrap_or(false),
                    u.password_ref,
                    u.created_at,
                    u.updated_at,
                    u.last_login_at
                ])?;
            } else {
                c.prepare_cached(
                    "UPDATE users SET role = COALESCE(?2, role), locale = COALESCE(?3, locale),
                            disabled = COALESCE(?4, disabled),
                            password_ref = COALESCE(?5, password_ref),
                            updated_at = COALESCE(?6, updated_at),
                            last_login_at = COALESCE(?7, last_login_at)
                     WHERE user_id = ?1",
                )?
                .execute(params![
                    id,
                    u.role,
                    u.locale,
                    u.disabled,
                    u.password_ref,
                    u.updated_at,
                    u.last_login_at
                ])?;
            }
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
