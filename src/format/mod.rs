//! Reading and writing what crosses the program's edge: fixtures (and, with the same record
//! shapes, the live protocol), with errors that name the place.

pub mod encode;
pub mod fixture;
pub mod locate;
pub mod ndjson;
pub mod protocol;
pub mod record;
pub mod report;
pub mod sample;
pub mod strict;
pub mod types;
