//! Round trip: the sim shells print, the dialects parse. (Below.)
