//! Integration and end-to-end tests, in one binary so they share one build.

mod common;

mod authz;
mod browser;
mod nginx;
mod store;
mod users;
