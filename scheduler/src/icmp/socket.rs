//! Opening the ICMP client of one address family, and tuning its socket.
//!
//! An unprivileged DGRAM ICMP socket is tried first (allowed to the groups
//! in `net.ipv4.ping_group_range`); when it is refused, a RAW socket (root or
//! CAP_NET_RAW). A RAW socket sees every ICMP packet the host receives —
//! on loopback that includes our own echo requests — so a filter lets only
//! echo replies and the errors that quote a request through, halving the
//! receive work. The receive buffer is enlarged so that a burst of replies
//! from thousands of hosts is not dropped while the receive task catches up.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use surge_ping::{Client, Config, ICMP};

use super::ProbeError;

/// Receive buffer asked for each socket (the kernel doubles it for its own
/// bookkeeping). Beyond `net.core.rmem_max` only with CAP_NET_ADMIN.
const RECV_BUFFER: i32 = 8 << 20;

/// `SO_RCVBUFFORCE` (asm-generic; x86, arm, riscv): like SO_RCVBUF but may
/// exceed `rmem_max` when the caller has CAP_NET_ADMIN.
const SO_RCVBUFFORCE: libc::c_int = 33;
/// `ICMP_FILTER` at level `SOL_RAW`: a u32 mask of ICMPv4 types to drop.
const ICMP_FILTER: libc::c_int = 1;
/// `ICMP6_FILTER` at level `IPPROTO_ICMPV6`: 256 bits of ICMPv6 types to drop.
const ICMP6_FILTER: libc::c_int = 1;

/// ICMPv4 types let through: echo reply, destination unreachable, source
/// quench, redirect, time exceeded, parameter problem.
const PASS_V4: [u8; 6] = [0, 3, 4, 5, 11, 12];
/// ICMPv6 types let through: destination unreachable, packet too big, time
/// exceeded, parameter problem, echo reply.
const PASS_V6: [u8; 5] = [1, 2, 3, 4, 129];

/// Opens the family's client: DGRAM when permitted, else RAW, else a
/// [`ProbeError::NoSocket`] that says how to allow one.
pub(super) fn open_client(kind: ICMP) -> Result<Client, ProbeError> {
    let (family, domain, proto) = match kind {
        ICMP::V4 => ("IPv4", Domain::IPV4, Protocol::ICMPV4),
        ICMP::V6 => ("IPv6", Domain::IPV6, Protocol::ICMPV6),
    };
    let ty = match Socket::new(domain, Type::DGRAM, Some(proto)) {
        Ok(_) => Type::DGRAM,
        Err(dgram) => match Socket::new(domain, Type::RAW, Some(proto)) {
            Ok(_) => Type::RAW,
            Err(raw) => return Err(ProbeError::NoSocket { family, dgram, raw }),
        },
    };
    let config = Config::builder().kind(kind).sock_type_hint(ty).build();
    let client = Client::new(&config).map_err(|source| ProbeError::Setup { family, source })?;
    // SAFETY: the descriptor belongs to `client`, which outlives this borrow.
    let fd = unsafe { BorrowedFd::borrow_raw(client.get_socket().get_native_sock()) };
    enlarge_recv_buffer(&fd);
    if ty == Type::RAW {
        if let Err(e) = filter_raw(fd.as_raw_fd(), kind) {
            tracing::debug!(family, error = %e, "cannot filter the RAW ICMP socket");
        }
    }
    tracing::debug!(family, socket = ?ty, "ICMP client opened");
    Ok(client)
}

fn enlarge_recv_buffer(fd: &BorrowedFd<'_>) {
    if setsockopt(
        fd.as_raw_fd(),
        libc::SOL_SOCKET,
        SO_RCVBUFFORCE,
        &RECV_BUFFER,
    )
    .is_ok()
    {
        return;
    }
    if let Err(e) = SockRef::from(fd).set_recv_buffer_size(RECV_BUFFER as usize) {
        tracing::debug!(error = %e, "cannot enlarge the ICMP receive buffer");
    }
}

fn filter_raw(fd: RawFd, kind: ICMP) -> std::io::Result<()> {
    match kind {
        ICMP::V4 => {
            let mut block = u32::MAX;
            for t in PASS_V4 {
                block &= !(1u32 << t);
            }
            setsockopt(fd, libc::SOL_RAW, ICMP_FILTER, &block)
        }
        ICMP::V6 => {
            let mut block = [u32::MAX; 8];
            for t in PASS_V6 {
                block[usize::from(t >> 5)] &= !(1u32 << (t & 31));
            }
            setsockopt(fd, libc::IPPROTO_ICMPV6, ICMP6_FILTER, &block)
        }
    }
}

fn setsockopt<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> std::io::Result<()> {
    // SAFETY: `value` points to a live, initialised T of the given size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
