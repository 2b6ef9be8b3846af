//! The CLI session abstraction and dialogue engine. (Filled in by the transport work.)
