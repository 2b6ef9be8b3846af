//! Telnet server carrying a [`Shell`](crate::Shell). (Filled in by the transport work.)
