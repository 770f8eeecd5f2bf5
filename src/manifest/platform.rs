//! Which platform an image list instance must have for this machine or the `--override-*`
//! choices, in c/image's order of preference.

/// The user's platform choices (`--override-os`, `--override-arch`, `--override-variant`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformChoice {
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
}

/// One acceptable platform; an empty variant only matches instances without a variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedPlatform {
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

/// Variants an architecture can run, most capable first.
fn compatible_variants(arch: &str) -> Option<&'static [&'static str]> {
    match arch {
        "arm" => Some(&["v8", "v7", "v6", "v5"]),
        "arm64" => Some(&["v8"]),
        _ => None,
    }
}

/// The Go names (GOOS/GOARCH) of the machine skiff runs on.
pub fn host_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// The variant of the host CPU, when the architecture has variants.
fn host_variant() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "v8",
        "arm" => "v7",
        _ => "",
    }
}

impl PlatformChoice {
    /// All platforms acceptable for this choice, the best match first.
    pub fn wanted(&self) -> Vec<WantedPlatform> {
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
        // A variant is detected only for the host's own architecture.
        let (arch, mut variant) = match nonempty(&self.architecture) {
            Some(a) => (a, String::new()),
            None => (host_arch().to_string(), host_variant().to_string()),
        };
        if let Some(v) = nonempty(&self.variant) {
            variant = v;
        }
        let os = nonempty(&self.os).unwrap_or_else(|| host_os().to_string());
        let mut variants: Vec<String> = Vec::new();
        if !variant.is_empty() {
            if let Some(order) = compatible_variants(&arch)
                && let Some(i) = order.iter().position(|v| *v == variant)
            {
                variants.extend(order[i..].iter().map(|s| s.to_string()));
            }
            if variants.is_empty() {
                variants.push(variant);
            }
            variants.push(String::new());
        } else {
            variants.push(String::new());
            if let Some(order) = compatible_variants(&arch) {
                variants.extend(order.iter().map(|s| s.to_string()));
            }
        }
        variants
            .into_iter()
            .map(|variant| WantedPlatform {
                os: os.clone(),
                architecture: arch.clone(),
                variant,
            })
            .collect()
    }
}

impl WantedPlatform {
    pub fn matches(&self, os: &str, architecture: &str, variant: &str) -> bool {
        self.os == os && self.architecture == architecture && self.variant == variant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(os: &str, arch: &str, variant: &str) -> PlatformChoice {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        PlatformChoice {
            os: some(os),
            architecture: some(arch),
            variant: some(variant),
        }
    }

    fn variants(c: &PlatformChoice) -> Vec<String> {
        c.wanted().into_iter().map(|w| w.variant).collect()
    }

    #[test]
    fn arm_variant_walks_down_compatibility() {
        let c = choice("linux", "arm", "v7");
        assert_eq!(variants(&c), ["v7", "v6", "v5", ""]);
        assert!(
            c.wanted()
                .iter()
                .all(|w| w.os == "linux" && w.architecture == "arm")
        );
    }

    #[test]
    fn arm64_without_variant_accepts_v8() {
        assert_eq!(variants(&choice("linux", "arm64", "")), ["", "v8"]);
        assert_eq!(variants(&choice("linux", "arm64", "v8")), ["v8", ""]);
    }

    #[test]
    fn unknown_variant_is_kept_then_empty() {
        assert_eq!(variants(&choice("linux", "amd64", "v3")), ["v3", ""]);
        assert_eq!(variants(&choice("windows", "amd64", "")), [""]);
    }

    #[test]
    fn defaults_come_from_the_host() {
        let w = PlatformChoice::default().wanted();
        assert_eq!(w[0].os, host_os());
        assert_eq!(w[0].architecture, host_arch());
    }
}
