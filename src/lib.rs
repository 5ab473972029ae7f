//! warroom: a full-screen terminal war-room console for rollouts and incidents.
//!
//! `core` is the pure model and reducer, `format` reads and writes fixtures and protocol
//! messages, `view` draws a console, `config` reads the metric sources' configuration,
//! `shell` does the I/O (terminal, sockets, files, clocks), `server` is the control plane,
//! and `mode` wires them together for each subcommand.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod core;
pub mod format;
pub mod mode;
pub mod server;
pub mod shell;
pub mod view;
