//! Leases on tasks: who holds one (host, process, a nonce telling a process from an earlier
//! one with the same id) and until when.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A process that may hold leases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The machine's host name.
    pub host: String,
    /// The process id on that machine.
    pub pid: u32,
    /// Drawn at process start: a later process given the same pid is another holder.
    pub nonce: u64,
    /// Whether the lease ends with the process (false for `glit ask`, whose caller scores
    /// the task after the asking process has exited).
    pub bound_to_process: bool,
}

/// One lease: its holder and the moment it lapses (seconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it.
    pub holder: Holder,
    /// When it lapses.
    pub until: f64,
}

impl Holder {
    /// This process, bound to it: its leases end when it does.
    pub fn this_process() -> Holder {
        static THIS: OnceLock<Holder> = OnceLock::new();
        THIS.get_or_init(|| Holder {
            host: host_name(),
            pid: std::process::id(),
            nonce: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
                ^ ((std::process::id() as u64) << 32),
            bound_to_process: true,
        })
        .clone()
    }

    /// This process on behalf of an outside caller: its leases last until they time out.
    pub fn outside_caller() -> Holder {
        Holder {
            bound_to_process: false,
            ..Holder::this_process()
        }
    }

    /// Whether this holder is a process on this machine that no longer runs.
    pub fn known_dead(&self) -> bool {
        let me = Holder::this_process();
        if !self.bound_to_process || self.host != me.host {
            return false;
        }
        if self.pid == me.pid {
            return self.nonce != me.nonce;
        }
        !process_alive(self.pid)
    }
}

impl Lease {
    /// A lease for `holder` lasting `seconds` from now.
    pub fn new(holder: Holder, seconds: f64) -> Lease {
        Lease {
            holder,
            until: now() + seconds,
        }
    }

    /// Whether the lease still stands: not timed out, and its holder not known to be dead.
    pub fn stands(&self) -> bool {
        now() < self.until && !self.holder.known_dead()
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Whether a process with `pid` runs on this machine (a zombie, dead but not yet reaped by
/// its parent, does not).
fn process_alive(pid: u32) -> bool {
    let Ok(id) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let status = unsafe { libc::kill(id, 0) };
    let exists = status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !zombie(pid)
}

/// Whether `/proc` says the process has exited and awaits reaping (state `Z`).
fn zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (command) state ...`: the command may hold spaces and parentheses.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z")
}

/// The machine's host name (empty if it cannot be read).
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is passed.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return String::new();
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_lapses_with_time_or_with_its_process() {
        let me = Holder::this_process();
        assert!(Lease::new(me.clone(), 60.0).stands());
        assert!(!Lease::new(me.clone(), -1.0).stands());
        // This pid in an earlier life (another nonce) is dead.
        let earlier = Holder {
            nonce: me.nonce.wrapping_add(1),
            ..me.clone()
        };
        assert!(!Lease::new(earlier.clone(), 60.0).stands());
        // A caller outside keeps its lease until it times out.
        let outside = Holder {
            bound_to_process: false,
            ..earlier
        };
        assert!(Lease::new(outside, 60.0).stands());
        // A process on another machine cannot be checked.
        let remote = Holder {
            host: format!("{}-elsewhere", me.host),
            pid: u32::MAX - 1,
            ..me
        };
        assert!(Lease::new(remote, 60.0).stands());
    }
}
