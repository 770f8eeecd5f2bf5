//! Configuration files skopeo reads (policy.json, registries.conf, …).
pub mod policy;
