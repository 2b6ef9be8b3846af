//! Authentication and authorization at the web edge.
//!
//! - [`password`]: argon2 hashing off the async workers.
//! - [`tokens`]: session tokens, API tokens, CSRF tokens.
//! - [`throttle`]: failed-login throttling per login and per IP.
//! - [`context`]: the per-request context (`Ctx`) and the signed-in `Actor`.
//! - [`guard`]: the middleware that resolves the actor, checks the route's
//!   permission and the CSRF token.

pub mod context;
pub mod guard;
pub mod password;
pub mod throttle;
pub mod tokens;

pub use context::{Actor, Ctx, Via};
