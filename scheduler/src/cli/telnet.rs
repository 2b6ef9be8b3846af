//! Telnet transport. (Filled in by the transport work.)
