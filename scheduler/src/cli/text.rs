//! Output cleaning and decoding. (Filled in by the transport work.)
