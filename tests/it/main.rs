//! Integration tests: the built `skiff` binary against real peers, with skopeo as the oracle.

mod support;

mod blobcache;
mod cli;
mod cli_ux;
mod config_files;
mod convert;
mod docker_archive;
mod docker_daemon;
mod docker_daemon_registry;
mod docker_daemon_stream;
mod list_tags_loop;
mod local;
mod local_errors;
mod multiarch;
mod oci_concurrency;
mod oci_delete;
mod policy_format;
mod precompute_digests;
mod progress;
mod registry;
mod registry_auth;
mod registry_faults;
mod storage;
mod storage_layers;
mod storage_registry;
mod sync;
mod sync_interrupted;
mod sync_mirror;
mod sync_yaml;
mod tls_proxy;
mod trust;
mod zstd_chunked;
