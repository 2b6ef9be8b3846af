//! The User aggregate: staff accounts, their sessions and API tokens.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::secrets::SecretRef;
use crate::values::{Locale, Login, Role};

/// How many sessions the aggregate remembers (oldest forgotten first).
const SESSION_MEMORY: usize = 64;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum UserCommand {
    Register {
        login: Login,
        role: Role,
        locale: Locale,
        password: SecretRef,
    },
    ChangeRole {
        role: Role,
    },
    ChangePassword {
        password: SecretRef,
    },
    ResetPassword {
        password: SecretRef,
    },
    Disable,
    Enable,
    ChangeLocale {
        locale: Locale,
    },
    LogIn {
        session_id: String,
        ip: String,
        expires_at: String,
    },
    LogOut {
        session_id: String,
    },
    RevokeSession {
        session_id: String,
    },
    CreateApiToken {
        token_id: String,
        name: String,
        hash: SecretRef,
    },
    RevokeApiToken {
        token_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered {
        login: Login,
        role: Role,
        locale: Locale,
        password: SecretRef,
    },
    UserRoleChanged {
        from: Role,
        to: Role,
    },
    UserPasswordChanged {
        password: SecretRef,
    },
    UserPasswordReset {
        password: SecretRef,
    },
    UserDisabled,
    UserEnabled,
    UserLocaleChanged {
        locale: Locale,
    },
    UserLoggedIn {
        session_id: String,
        ip: String,
        expires_at: String,
    },
    UserLoggedOut {
        session_id: String,
    },
    SessionRevoked {
        session_id: String,
    },
    ApiTokenCreated {
        token_id: String,
        name: String,
        hash: SecretRef,
    },
    ApiTokenRevoked {
        token_id: String,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        let s = match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::UserRoleChanged { .. } => "UserRoleChanged",
            UserEvent::UserPasswordChanged { .. } => "UserPasswordChanged",
            UserEvent::UserPasswordReset { .. } => "UserPasswordReset",
            UserEvent::UserDisabled => "UserDisabled",
            UserEvent::UserEnabled => "UserEnabled",
            UserEvent::UserLocaleChanged { .. } => "UserLocaleChanged",
            UserEvent::UserLoggedIn { .. } => "UserLoggedIn",
            UserEvent::UserLoggedOut { .. } => "UserLoggedOut",
            UserEvent::SessionRevoked { .. } => "SessionRevoked",
            UserEvent::ApiTokenCreated { .. } => "ApiTokenCreated",
            UserEvent::ApiTokenRevoked { .. } => "ApiTokenRevoked",
        };
        s.to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("this user already exists")]
    AlreadyRegistered,
    #[error("no such user")]
    NotFound,
    #[error("the user already has this role")]
    SameRole,
    #[error("the user is already disabled")]
    AlreadyDisabled,
    #[error("the user is not disabled")]
    NotDisabled,
    #[error("the user is disabled")]
    Disabled,
    #[error("no such open session")]
    NoSuchSession,
    #[error("no such active API token")]
    NoSuchToken,
    #[error("a token name must be 1 to 64 characters")]
    BadTokenName,
    #[error("nothing to change")]
    Unchanged,
}

impl crate::DomainError for UserError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            UserError::BadTokenName => vec![("name", self.to_string())],
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, UserError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenState {
    pub name: String,
    pub revoked: bool,
}

/// The state of one user, as decided by its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub login: Option<Login>,
    pub role: Option<Role>,
    pub locale: Locale,
    pub disabled: bool,
    pub password: Option<SecretRef>,
    /// Open sessions by id (value: expiry).
    pub sessions: BTreeMap<String, String>,
    pub session_order: Vec<String>,
    pub tokens: BTreeMap<String, TokenState>,
    /// Number of events applied.
    pub version: u64,
}

impl User {
    fn exists(&self) -> Result<(), UserError> {
        if self.login.is_some() {
            Ok(())
        } else {
            Err(UserError::NotFound)
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    async fn handle(
        &mut self,
        command: UserCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: UserEvent) {
        self.version += 1;
        match event {
            UserEvent::UserRegistered {
                login,
                role,
                locale,
                password,
            } => {
                self.login = Some(login);
                self.role = Some(role);
                self.locale = locale;
                self.password = Some(password);
            }
            UserEvent::UserRoleChanged { to, .. } => self.role = Some(to),
            UserEvent::UserPasswordChanged { password }
            | UserEvent::UserPasswordReset { password } => self.password = Some(password),
            UserEvent::UserDisabled => {
                self.disabled = true;
                self.sessions.clear();
                self.session_order.clear();
            }
            UserEvent::UserEnabled => self.disabled = false,
            UserEvent::UserLocaleChanged { locale } => self.locale = locale,
            UserEvent::UserLoggedIn {
                session_id,
                expires_at,
                ..
            } => {
                self.sessions.insert(session_id.clone(), expires_at);
                self.session_order.push(session_id);
                while self.session_order.len() > SESSION_MEMORY {
                    let old = self.session_order.remove(0);
                    self.sessions.remove(&old);
                }
            }
            UserEvent::UserLoggedOut { session_id } | UserEvent::SessionRevoked { session_id } => {
                self.sessions.remove(&session_id);
                self.session_order.retain(|s| s != &session_id);
            }
            UserEvent::ApiTokenCreated { token_id, name, .. } => {
                self.tokens.insert(
                    token_id,
                    TokenState {
                        name,
                        revoked: false,
                    },
                );
            }
            UserEvent::ApiTokenRevoked { token_id } => {
                if let Some(t) = self.tokens.get_mut(&token_id) {
                    t.revoked = true;
                }
            }
        }
    }
}

impl User {
    /// Decides a command into events; pure.
    pub fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        use UserCommand as C;
        use UserEvent as E;
        if !matches!(command, C::Register { .. }) {
            self.exists()?;
        }
        Ok(match command {
            C::Register {
                login,
                role,
                locale,
                password,
            } => {
                if self.login.is_some() {
                    return Err(UserError::AlreadyRegistered);
                }
                vec![E::UserRegistered {
                    login,
                    role,
                    locale,
                    password,
                }]
            }
            C::ChangeRole { role } => {
                let from = self.role.ok_or(UserError::NotFound)?;
                if from == role {
                    return Err(UserError::SameRole);
                }
                vec![E::UserRoleChanged { from, to: role }]
            }
            C::ChangePassword { password } => vec![E::UserPasswordChanged { password }],
            C::ResetPassword { password } => vec![E::UserPasswordReset { password }],
            C::Disable => {
                if self.disabled {
                    return Err(UserError::AlreadyDisabled);
                }
                vec![E::UserDisabled]
            }
            C::Enable => {
                if !self.disabled {
                    return Err(UserError::NotDisabled);
                }
                vec![E::UserEnabled]
            }
            C::ChangeLocale { locale } => vec![E::UserLocaleChanged { locale }],
            C::LogIn {
                session_id,
                ip,
                expires_at,
            } => {
                if self.disabled {
                    return Err(UserError::Disabled);
                }
                vec![E::UserLoggedIn {
                    session_id,
                    ip,
                    expires_at,
                }]
            }
            C::LogOut { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    return Err(UserError::NoSuchSession);
                }
                vec![E::UserLoggedOut { session_id }]
            }
            C::RevokeSession { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    return Err(UserError::NoSuchSession);
                }
                vec![E::SessionRevoked { session_id }]
            }
            C::CreateApiToken {
                token_id,
                name,
                hash,
            } => {
                let name = name.trim().to_string();
                if name.is_empty() || name.chars().count() > 64 {
                    return Err(UserError::BadTokenName);
                }
                if self.disabled {
                    return Err(UserError::Disabled);
                }
                vec![E::ApiTokenCreated {
                    token_id,
                    name,
                    hash,
                }]
            }
            C::RevokeApiToken { token_id } => match self.tokens.get(&token_id) {
                Some(t) if !t.revoked => vec![E::ApiTokenRevoked { token_id }],
                _ => return Err(UserError::NoSuchToken),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type F = TestFramework<User>;

    fn login(s: &str) -> Login {
        Login::parse(s).unwrap()
    }

    fn registered() -> UserEvent {
        UserEvent::UserRegistered {
            login: login("anna"),
            role: Role::Noc,
            locale: Locale::En,
            password: SecretRef("p1".into()),
        }
    }

    #[test]
    fn a_new_user_is_registered() {
        F::with(())
            .given_no_previous_events()
            .when(UserCommand::Register {
                login: login("anna"),
                role: Role::Noc,
                locale: Locale::En,
                password: SecretRef("p1".into()),
            })
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn a_user_cannot_be_registered_twice() {
        F::with(())
            .given(vec![registered()])
            .when(UserCommand::Register {
                login: login("anna"),
                role: Role::Admin,
                locale: Locale::En,
                password: SecretRef("p2".into()),
            })
            .then_expect_error(UserError::AlreadyRegistered);
    }

    #[test]
    fn commands_on_a_missing_user_fail() {
        F::with(())
            .given_no_previous_events()
            .when(UserCommand::Disable)
            .then_expect_error(UserError::NotFound);
    }

    #[test]
    fn role_change_records_both_roles() {
        F::with(())
            .given(vec![registered()])
            .when(UserCommand::ChangeRole { role: Role::Admin })
            .then_expect_events(vec![UserEvent::UserRoleChanged {
                from: Role::Noc,
                to: Role::Admin,
            }]);
    }

    #[test]
    fn changing_to_the_same_role_is_refused() {
        F::with(())
            .given(vec![registered()])
            .when(UserCommand::ChangeRole { role: Role::Noc })
            .then_expect_error(UserError::SameRole);
    }

    #[test]
    fn a_disabled_user_cannot_log_in() {
        F::with(())
            .given(vec![registered(), UserEvent::UserDisabled])
            .when(UserCommand::LogIn {
                session_id: "s1".into(),
                ip: "127.0.0.1".into(),
                expires_at: "2030-01-01T00:00:00Z".into(),
            })
            .then_expect_error(UserError::Disabled);
    }

    #[test]
    fn disabling_twice_is_refused_and_enable_needs_disabled() {
        F::with(())
            .given(vec![registered(), UserEvent::UserDisabled])
            .when(UserCommand::Disable)
            .then_expect_error(UserError::AlreadyDisabled);
        F::with(())
            .given(vec![registered()])
            .when(UserCommand::Enable)
            .then_expect_error(UserError::NotDisabled);
    }

    #[test]
    fn only_open_sessions_can_be_revoked() {
        let logged_in = UserEvent::UserLoggedIn {
            session_id: "s1".into(),
            ip: "127.0.0.1".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
        };
        F::with(())
            .given(vec![registered(), logged_in.clone()])
            .when(UserCommand::RevokeSession {
                session_id: "s1".into(),
            })
            .then_expect_events(vec![UserEvent::SessionRevoked {
                session_id: "s1".into(),
            }]);
        F::with(())
            .given(vec![
                registered(),
                logged_in,
                UserEvent::UserLoggedOut {
                    session_id: "s1".into(),
                },
            ])
            .when(UserCommand::RevokeSession {
                session_id: "s1".into(),
            })
            .then_expect_error(UserError::NoSuchSession);
    }

    #[test]
    fn disabling_closes_all_sessions() {
        let mut u = User::default();
        u.apply(registered());
        u.apply(UserEvent::UserLoggedIn {
            session_id: "s1".into(),
            ip: "127.0.0.1".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
        });
        u.apply(UserEvent::UserDisabled);
        assert!(u.sessions.is_empty());
        assert_eq!(u.version, 3);
    }

    #[test]
    fn tokens_need_a_name_and_revoke_once() {
        F::with(())
            .given(vec![registered()])
            .when(UserCommand::CreateApiToken {
                token_id: "t1".into(),
                name: "  ".into(),
                hash: SecretRef("h".into()),
            })
            .then_expect_error(UserError::BadTokenName);
        let created = UserEvent::ApiTokenCreated {
            token_id: "t1".into(),
            name: "ci".into(),
            hash: SecretRef("h".into()),
        };
        F::with(())
            .given(vec![
                registered(),
                created,
                UserEvent::ApiTokenRevoked {
                    token_id: "t1".into(),
                },
            ])
            .when(UserCommand::RevokeApiToken {
                token_id: "t1".into(),
            })
            .then_expect_error(UserError::NoSuchToken);
    }

    #[test]
    fn session_memory_is_bounded() {
        let mut u = User::default();
        u.apply(registered());
        for i in 0..(SESSION_MEMORY + 10) {
            u.apply(UserEvent::UserLoggedIn {
                session_id: format!("s{i}"),
                ip: String::new(),
                expires_at: String::new(),
            });
        }
        let kept: std::collections::BTreeSet<_> = u.sessions.keys().cloned().collect();
        let newest: std::collections::BTreeSet<_> =
            (10..SESSION_MEMORY + 10).map(|i| format!("s{i}")).collect();
        assert_eq!(kept, newest, "the ten oldest are forgotten, the rest kept");
    }
}
