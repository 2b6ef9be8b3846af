//! Shell tests (below).
