//! Start many emulated devices on consecutive loopback ports. (Filled in by the transport work.)

use std::net::SocketAddr;

use crate::shell::{DeviceSpec, SharedState};

/// A running emulated device.
pub struct SimDevice {
    pub spec: DeviceSpec,
    pub addr: SocketAddr,
    pub state: SharedState,
}

/// A set of running emulated devices; dropping it stops them.
pub struct Fleet {
    pub devices: Vec<SimDevice>,
}
