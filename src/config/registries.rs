//! registries.conf (v2, with drop-ins): which endpoint serves a repository, mirrors, insecure
//! and blocked registries. (Interface in place; the parser arrives with the registries work.)

use anyhow::Result;

use crate::reference::DockerReference;
use crate::types::SystemContext;

/// Where to reach one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// host[:port], possibly followed by a path prefix for mirrors (`mirror.example.com/cache`).
    pub location: String,
    /// Plain HTTP / unverified TLS allowed for this endpoint (registries.conf `insecure`).
    pub insecure: bool,
    /// The reference as it is named at this endpoint (rewritten for mirrors and prefixes).
    pub reference: DockerReference,
    pub mirror: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Registries {}

impl Registries {
    /// Reads registries.conf where c/image finds it (`$CONTAINERS_REGISTRIES_CONF`,
    /// `--registries-conf`, user config, /etc/containers, plus drop-in directories).
    pub fn load(_ctx: &SystemContext) -> Result<Registries> {
        Ok(Registries {})
    }

    /// The endpoints to try when pulling, in order (mirrors first, the registry itself last).
    /// A blocked registry is an error.
    pub fn pull_endpoints(&self, reference: &DockerReference) -> Result<Vec<Endpoint>> {
        Ok(vec![self.push_endpoint(reference)?])
    }

    /// The one endpoint to push to.
    pub fn push_endpoint(&self, reference: &DockerReference) -> Result<Endpoint> {
        Ok(Endpoint {
            location: reference.domain().to_string(),
            insecure: false,
            reference: reference.clone(),
            mirror: false,
        })
    }

    /// Whether registries.conf marks this host as insecure.
    pub fn is_insecure(&self, _host: &str) -> bool {
        false
    }

    /// `unqualified-search-registries`, in order.
    pub fn unqualified_search_registries(&self) -> Vec<String> {
        Vec::new()
    }
}
