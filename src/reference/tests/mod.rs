//! Table-driven tests.  Every expected error text was observed from the installed skopeo 1.9.3
//! (`skopeo copy NAME dir:/tmp/x` → `Invalid source name NAME: <message>`), unless marked as
//! coming from newer containers/image.

mod docker_grammar;
mod odd_inputs;
mod storage;
mod transports;

/// `"a"` repeated `n` times, and similar.
pub(crate) fn rep(s: &str, n: usize) -> String {
    s.repeat(n)
}

pub(crate) fn h64() -> String {
    rep("a", 64)
}
