//! SSH server (russh) carrying a [`Shell`](crate::Shell). (Filled in by the transport work.)
