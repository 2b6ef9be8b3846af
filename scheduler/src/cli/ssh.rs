//! SSH transport (russh client). (Filled in by the transport work.)
