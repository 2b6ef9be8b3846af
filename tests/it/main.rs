//! Integration and end-to-end tests, in one binary so they share one build.

mod common;

mod authz;
mod icmp;
mod browser;
mod netns;
mod nginx;
mod notify;
mod store;
mod sweep;
mod users;
