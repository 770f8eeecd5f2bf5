//! Configuration files skopeo reads (policy.json, registries.conf, certs.d, …).

pub mod certs;
pub mod policy;
pub mod registries;
pub mod storage_conf;
pub mod tls_details;
