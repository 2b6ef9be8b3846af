//! One emulated CLI per vendor dialect. (Filled in by the dialects work.)

use crate::shell::{DeviceSpec, Kind, SharedState, Shell, Transport};

pub fn new_shell(_spec: &DeviceSpec, _state: SharedState) -> Box<dyn Shell> {
    todo!("dialect shells")
}

pub fn sample_spec(_kind: Kind, _transport: Transport, _index: usize) -> DeviceSpec {
    todo!("sample specs")
}
