//! Integration and end-to-end tests, in one binary so they share one build.

mod common;

mod authz;
mod browser;
mod config_pulls;
mod devices;
mod firmware;
mod gpon;
mod helpdesk;
mod home;
mod icmp;
mod netns;
mod nginx;
mod notify;
mod requests;
mod search;
mod sla;
mod store;
mod subscribers;
mod sweep;
mod tickets;
mod users;
