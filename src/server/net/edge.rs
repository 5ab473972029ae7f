//! What one control plane lets in: at most so many connections in all and from one
//! address, and how long a write to a console may wait on a socket that takes nothing. A
//! connection counts from its accept to its close, whatever it turns out to be (a console,
//! `/metrics`, a client that never finishes its request), so a crowd of slow clients cannot
//! take the descriptors that fresh consoles need.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The limits of the network edge (`warroom serve --max-connections`, `--max-per-address`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections in all.
    pub connections: usize,
    /// Open connections from one IP address.
    pub per_address: usize,
    /// A console whose socket takes nothing for this long while a message waits is dropped:
    /// it stopped reading (its backlog is then what the kernel holds for it, and the
    /// events it missed stay in the shared log).
    pub send_within: Duration,
    /// The kernel's send buffer of each connection, in bytes: what a console that stopped
    /// reading can hold back before its writes wait (and `send_within` runs).
    pub send_buffer: usize,
}

/// Connections in all, unless the descriptor limit is lower.
pub const CONNECTIONS: usize = 1024;
/// Connections from one address (a proxy in front of a room still fits).
pub const PER_ADDRESS: usize = 128;
/// How long one write to a console may wait.
pub const SEND_WITHIN: Duration = Duration::from_secs(10);
/// The send buffer of each connection: a state image of a few MiB still crosses a link of
/// 200 ms round trip at over 1 MiB/s.
pub const SEND_BUFFER: usize = 256 << 10;
/// Descriptors kept for the journal, the actuator, logs and the listener itself.
const SPARE_DESCRIPTORS: usize = 64;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: CONNECTIONS.min(descriptor_room()),
            per_address: PER_ADDRESS,
            send_within: SEND_WITHIN,
            send_buffer: SEND_BUFFER,
        }
    }
}

/// Bounds what the kernel holds for one connection (a fixed buffer, not one that grows).
pub fn bound_send_buffer(stream: &tokio::net::TcpStream, bytes: usize) {
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(stream, bytes);
}

/// The connections this process can hold open: its descriptor limit, less what it needs
/// for everything else.
fn descriptor_room() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    limit
        .current
        .and_then(|n| usize::try_from(n).ok())
        .map_or(CONNECTIONS, |n| n.saturating_sub(SPARE_DESCRIPTORS).max(16))
}

/// The counts behind the limits, shared by the accept loop, every connection and
/// `/metrics`.
#[derive(Default)]
pub struct Edge {
    open: AtomicUsize,
    refused: AtomicU64,
    dropped_slow: AtomicU64,
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection; dropping it gives its place back.
pub struct Ticket {
    edge: Arc<Edge>,
    ip: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut by = self
            .edge
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = by.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                by.remove(&self.ip);
            }
        }
        self.edge.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Edge {
    /// A place for a connection from `ip`, or the words of the refusal.
    ///
    /// # Errors
    /// The total or the address is at its limit.
    pub fn enter(self: &Arc<Edge>, ip: IpAddr, limits: &Limits) -> Result<Ticket, String> {
        let mut by = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let open = self.open.load(Ordering::Relaxed);
        let from = by.get(&ip).copied().unwrap_or(0);
        let refusal = if open >= limits.connections {
            Some(format!(
                "too many connections: {open} open, at most {} (--max-connections)",
                limits.connections
            ))
        } else if from >= limits.per_address {
            Some(format!(
                "too many connections from {ip}: {from} open, at most {} per address \
                 (--max-per-address)",
                limits.per_address
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(why);
        }
        *by.entry(ip).or_insert(0) += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            edge: self.clone(),
            ip,
        })
    }

    /// A console dropped because it stopped reading.
    pub fn dropped_slow(&self) {
        self.dropped_slow.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text of the counts.
    #[must_use]
    pub fn metrics_text(&self) -> String {
        format!(
            "# HELP warroom_connections Open connections (consoles, HTTP requests, clients still sending their request).\n\
             # TYPE warroom_connections gauge\n\
             warroom_connections {}\n\
             # HELP warroom_connections_refused_total Connections refused at the limit in all or per address.\n\
             # TYPE warroom_connections_refused_total counter\n\
             warroom_connections_refused_total {}\n\
             # HELP warroom_consoles_dropped_slow_total Consoles dropped because their socket took nothing for the send limit.\n\
             # TYPE warroom_consoles_dropped_slow_total counter\n\
             warroom_consoles_dropped_slow_total {}\n",
            self.open.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.dropped_slow.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_in_all_and_per_address_and_given_back_on_drop() {
        let edge = Arc::new(Edge::default());
        let limits = Limits {
            connections: 3,
            per_address: 2,
            ..Limits::default()
        };
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::1".parse().unwrap();
        let one = edge.enter(a, &limits).unwrap();
        let two = edge.enter(a, &limits).unwrap();
        let why = edge.enter(a, &limits).err().unwrap();
        assert_eq!(
            why,
            "too many connections from 127.0.0.1: 2 open, at most 2 per address (--max-per-address)"
        );
        let three = edge.enter(b, &limits).unwrap();
        let why = edge.enter(b, &limits).err().unwrap();
        assert!(
            why.starts_with("too many connections: 3 open, at most 3"),
            "{why}"
        );
        drop(one);
        let again = edge.enter(a, &limits).unwrap();
        drop((two, three, again));
        assert!(edge.metrics_text().contains("warroom_connections 0\n"));
        assert!(edge
            .metrics_text()
            .contains("warroom_connections_refused_total 2\n"));
        assert!(edge.by_address.lock().unwrap().is_empty());
    }

    #[test]
    fn the_default_total_fits_the_descriptor_limit() {
        let l = Limits::default();
        assert!(l.connections <= CONNECTIONS);
        assert!(l.connections >= 16);
        assert!(l.connections < descriptor_room() + 1);
    }
}
