//! Integration tests: the built `skiff` binary against real peers, with skopeo as the oracle.

mod support;

mod cli;
mod local;
mod local_errors;
mod policy_format;
mod storage;
mod storage_layers;
