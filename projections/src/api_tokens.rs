//! The API tokens read model: a user's personal tokens (names and dates only;
//! the token's hash is a sealed secret).

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::user::UserEvent;

pub struct ApiTokensProjection;

impl Projection for ApiTokensProjection {
    fn name(&self) -> &'static str {
        "api_tokens"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/api_tokens.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["api_tokens"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::User(e) = &ev.event else {
            return Ok(());
        };
        match e {
            UserEvent::ApiTokenCreated {
                token_id,
                name,
                hash,
            } => {
                c.prepare_cached(
                    "INSERT INTO api_tokens (token_id, user_id, name, hash_ref, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![token_id, ev.id(), name, hash.0, ev.at()])?;
            }
            UserEvent::ApiTokenRevoked { token_id } => {
                c.prepare_cached("UPDATE api_tokens SET revoked_at = ?1 WHERE token_id = ?2")?
                    .execute(params![ev.at(), token_id])?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub token_id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub hash_ref: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        token_id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        hash_ref: r.get(3)?,
        created_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

const COLS: &str = "token_id, user_id, name, hash_ref, created_at, revoked_at";

pub fn for_user(c: &Connection, user_id: &str) -> rusqlite::Result<Vec<TokenRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLS} FROM api_tokens WHERE user_id = ?1 ORDER BY created_at DESC"
    ))?;
    let rows = stmt.query_map([user_id], row)?;
    rows.collect()
}

pub fn get(c: &Connection, token_id: &str) -> rusqlite::Result<Option<TokenRow>> {
    crate::opt(
        c.prepare_cached(&format!(
            "SELECT {COLS} FROM api_tokens WHERE token_id = ?1"
        ))?
        .query_row([token_id], row),
    )
}
