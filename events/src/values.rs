//! Validated values built at the edge: past it, they are known good.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A user's login: 2–32 characters, a letter first, then letters, digits,
/// `.`, `_` or `-`; stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let t = text.trim().to_lowercase();
        if t.len() < 2 || t.len() > 32 {
            return Err("login must be 2 to 32 characters");
        }
        if !t.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("login must start with a letter");
        }
        if !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err("login may contain only latin letters, digits, '.', '_' and '-'");
        }
        Ok(Self(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Noc,
    Technician,
    Installer,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Noc,
        Role::Technician,
        Role::Installer,
        Role::Auditor,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Noc => "noc",
            Role::Technician => "technician",
            Role::Installer => "installer",
            Role::Auditor => "auditor",
        }
    }
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
            .ok_or("unknown role (admin, noc, technician, installer, auditor)")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Ru,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ru => "ru",
        }
    }
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text.trim() {
            "en" => Ok(Locale::En),
            "ru" => Ok(Locale::Ru),
            _ => Err("unknown language (en, ru)"),
        }
    }
    /// Picks a locale from an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Self {
        for part in header.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim().to_lowercase();
            if tag.starts_with("ru") {
                return Locale::Ru;
            }
            if tag.starts_with("en") {
                return Locale::En;
            }
        }
        Locale::En
    }
}

/// A password as typed; checked for length only, never stored or logged.
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(•••)")
    }
}

impl NewPassword {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.chars().count() < 8 {
            return Err("password must be at least 8 characters");
        }
        if text.len() > 256 {
            return Err("password is too long (256 bytes at most)");
        }
        Ok(Self(text.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
