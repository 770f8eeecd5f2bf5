//! `skiff copy SOURCE-IMAGE DESTINATION-IMAGE`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::flags::{
    DeprecatedTlsVerify, DestImageFlags, DestOnlyFlags, PrefixedAuthfiles, RetryFlags, SharedFlags,
    SrcImageFlags,
};
use super::{GlobalFlags, ImageFlagValues, expect_args, parse_image, progress};
use crate::compression::{self, Algorithm};
use crate::copy::{
    self, DEFAULT_PARALLEL_COPIES, DEFAULT_PARALLEL_IMAGES, ListSelection, Options, PlatformSpec,
};
use crate::manifest::media_type as mt;
use crate::reference::{DockerReference, ImageName};
use crate::signature::gpg::GpgSigner;
use crate::signature::sequoia::{SequoiaSigner, Stores as SequoiaStores};
use crate::signature::sign::{Signer, read_passphrase_file};
use crate::signature::sigstore_key::PrivateKeySigner;

#[derive(Args, Debug)]
#[command(after_help = super::after_help(&[
    "skiff copy docker://registry.example.com/team/app:v1 oci:/srv/images/app:v1",
    "skiff copy --all docker://registry.example.com/app:v1 docker://mirror.example.com/app:v1",
]))]
pub struct CopyArgs {
    #[arg(
        value_name = "SOURCE-IMAGE DESTINATION-IMAGE",
        help = "the image to copy, then where to copy it (each transport:details)"
    )]
    pub images: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub authfiles: PrefixedAuthfiles,
    #[command(flatten)]
    pub src: SrcImageFlags,
    #[command(flatten)]
    pub dest: DestImageFlags,
    #[command(flatten)]
    pub dest_only: DestOnlyFlags,
    #[command(flatten)]
    pub deprecated_tls_verify: DeprecatedTlsVerify,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[command(flatten)]
    pub copy: CopyFlags,
    #[command(flatten)]
    pub referrers: ReferrerFlags,
    #[arg(
        long = "additional-tag",
        value_name = "TAG",
        value_delimiter = ',',
        help = "additional tags (docker-archive destinations)"
    )]
    pub additional_tags: Vec<String>,
    #[arg(short = 'q', long, help = "do not print progress")]
    pub quiet: bool,
    #[command(flatten)]
    pub progress: progress::ProgressFlags,
    #[arg(short = 'a', long, help = "copy every image of a list, and the list")]
    pub all: bool,
    #[arg(
        long = "multi-arch",
        value_name = "MODE",
        help = "how to copy a multi-architecture image: system, all, index-only, or a list of platforms os/arch[/variant],..."
    )]
    pub multi_arch: Option<String>,
    #[arg(
        long = "sign-identity",
        value_name = "REFERENCE",
        help = "identity the signature names (default: the destination's docker reference)"
    )]
    pub sign_identity: Option<String>,
    #[arg(
        long = "digestfile",
        value_name = "PATH",
        help = "write the digest of the copied manifest to PATH"
    )]
    pub digestfile: Option<PathBuf>,
    #[arg(
        long,
        value_name = "FILE",
        help = "write a JSON report of the copy (source, destination, digest, result, bytes, duration) to FILE (- for stdout; not in skopeo)"
    )]
    pub report: Option<PathBuf>,
    #[arg(
        long = "encryption-key",
        value_name = "KEY",
        value_delimiter = ',',
        help = "*Experimental* recipient to encrypt layers for: jwe:PUBLIC-KEY.pem (an RSA or P-256 key), pkcs7:CERT.pem (an RSA certificate) or pgp:NAME-OR-EMAIL (in the GnuPG key ring); repeatable"
    )]
    pub encryption_keys: Vec<String>,
    #[arg(
        long = "encrypt-layer",
        value_name = "INDEX",
        value_delimiter = ',',
        allow_negative_numbers = true,
        help = "*Experimental* index of a layer to encrypt (0 is the first, -1 the last; repeatable; default: every layer)"
    )]
    pub encrypt_layer: Vec<i64>,
    #[arg(
        long = "decryption-key",
        value_name = "KEY",
        value_delimiter = ',',
        help = "*Experimental* key to decrypt layers with: KEY.pem (RSA or P-256), CERT.pem (beside a pkcs7 key) or a GnuPG secret key ring, each FILE[:PASSPHRASE]; repeatable"
    )]
    pub decryption_keys: Vec<String>,
    #[arg(
        long = "image-parallel-copies",
        value_name = "N",
        help = "how many layers to copy at once (default 6)"
    )]
    pub image_parallel_copies: Option<usize>,
}

/// Flags `copy` and `sync` share.
#[derive(Args, Debug, Clone, Default)]
pub struct CopyFlags {
    #[arg(long = "remove-signatures", help = "do not copy signatures")]
    pub remove_signatures: bool,
    #[arg(
        long = "sign-by",
        value_name = "FINGERPRINT",
        help = "sign the image with the GPG key FINGERPRINT"
    )]
    pub sign_by: Option<String>,
    #[arg(
        long = "sign-by-sq-fingerprint",
        value_name = "FINGERPRINT",
        help = "sign the image with the Sequoia-PGP key FINGERPRINT (from the Sequoia home: SEQUOIA_HOME, else the default)"
    )]
    pub sign_by_sq_fingerprint: Option<String>,
    #[arg(
        long = "sign-by-sigstore",
        value_name = "PATH",
        help = "sign the image using the sigstore parameter file PATH (a private key, or Fulcio with a static OIDC token; optionally Rekor)"
    )]
    pub sign_by_sigstore: Option<PathBuf>,
    #[arg(
        long = "sign-by-sigstore-private-key",
        value_name = "PATH",
        help = "sign the image with the sigstore private key at PATH"
    )]
    pub sign_by_sigstore_private_key: Option<PathBuf>,
    #[arg(
        long = "sign-passphrase-file",
        value_name = "PATH",
        help = "read the signing key's passphrase from PATH"
    )]
    pub sign_passphrase_file: Option<PathBuf>,
    #[arg(
        short = 'f',
        long = "format",
        value_name = "MANIFEST-TYPE",
        help = "manifest type (oci, v2s1, or v2s2) for the destination (default: the source's, with fallbacks)"
    )]
    pub format: Option<String>,
    #[arg(
        long = "preserve-digests",
        help = "refuse any change that would alter image or list digests"
    )]
    pub preserve_digests: bool,
}

/// What travels with an image on request (`copy` and `sync`; not in skopeo).
#[derive(Args, Debug, Clone, Default)]
pub struct ReferrerFlags {
    #[arg(
        long = "referrers",
        help = "also copy the image's OCI 1.1 referrers (signatures, SBOMs, attestations), recursively, digests preserved; registries only (not in skopeo)"
    )]
    pub referrers: bool,
    #[arg(
        long = "referrers-artifact-type",
        value_name = "TYPE",
        help = "with --referrers, only referrers of this artifact type (repeatable; not in skopeo)"
    )]
    pub artifact_types: Vec<String>,
    #[arg(
        long = "cosign-tags",
        help = "also copy cosign's legacy sha256-DIGEST.sig, .att and .sbom tags of the image; registries only (not in skopeo)"
    )]
    pub cosign_tags: bool,
}

impl ReferrerFlags {
    pub fn wanted(&self) -> crate::referrers::Wanted {
        crate::referrers::Wanted {
            referrers: self.referrers,
            artifact_types: self.artifact_types.clone(),
            cosign_tags: self.cosign_tags,
        }
    }
}

impl CopyFlags {
    /// The manifest type `--format` asks for.
    pub fn manifest_type(&self) -> Result<Option<String>> {
        let Some(f) = &self.format else {
            return Ok(None);
        };
        let t = match f.as_str() {
            "oci" => mt::OCI_MANIFEST,
            "v2s1" => mt::DOCKER_V2_SCHEMA1_SIGNED,
            "v2s2" => mt::DOCKER_V2_SCHEMA2,
            _ => bail!(
                "unknown format {f:?}. Choose one of the supported formats: 'oci', 'v2s1', or 'v2s2'"
            ),
        };
        Ok(Some(t.to_string()))
    }

    /// The signers `--sign-by…` ask for, checked (the key found, the passphrase read) before
    /// anything is copied; skopeo's messages.
    pub fn signers(&self) -> Result<Vec<Arc<dyn Signer>>> {
        // skopeo HEAD's rule, with its words once --sign-by-sq-fingerprint is in the mix
        // (1.9.3's words otherwise, which name only two flags).
        if self.sign_passphrase_file.is_some() {
            let keyed = [
                self.sign_by.is_some(),
                self.sign_by_sq_fingerprint
                    .as_ref()
                    .is_some_and(|k| !k.is_empty()),
                self.sign_by_sigstore_private_key.is_some(),
            ];
            if keyed.iter().filter(|k| **k).count() > 1 {
                if keyed[1] {
                    bail!(
                        "Only one of --sign-by, --sign-by-sq-fingerprint and --sign-by-sigstore-private-key can be used with --sign-passphrase-file"
                    );
                }
                bail!(
                    "Only one of --sign-by and sign-by-sigstore-private-key can be used with sign-passphrase-file"
                );
            }
        }
        let passphrase = match (
            &self.sign_passphrase_file,
            &self.sign_by_sigstore_private_key,
        ) {
            (Some(file), _) => Some(read_passphrase_file(file)?),
            (None, Some(key)) => Some(prompt_for_passphrase(key)?),
            (None, None) => None,
        };
        let mut signers: Vec<Arc<dyn Signer>> = Vec::new();
        // The parameter file's signer comes first, as c/image orders its signers.
        if let Some(file) = &self.sign_by_sigstore {
            let signer = crate::signature::sigstore_params::signer_from_file(file, |key| {
                prompt_for_passphrase(key)
            })
            .map_err(|e| anyhow::anyhow!("Error using --sign-by-sigstore: {e}"))?;
            signers.push(Arc::new(signer));
        }
        // Then the Sequoia signer, before --sign-by's (c/image's order); an empty flag asks
        // for none, as in skopeo.
        if let Some(key) = self
            .sign_by_sq_fingerprint
            .as_ref()
            .filter(|k| !k.is_empty())
        {
            let stores = SequoiaStores::from_env()
                .map_err(|e| anyhow::anyhow!("Error using --sign-by-sq-fingerprint: {e}"))?;
            let signer = SequoiaSigner::new(&stores, key, passphrase.as_deref())
                .context("creating signature")?;
            signers.push(Arc::new(signer));
        }
        if let Some(key) = &self.sign_by {
            let signer = GpgSigner::new(key, passphrase.clone()).context("creating signature")?;
            signers.push(Arc::new(signer));
        }
        if let Some(key) = &self.sign_by_sigstore_private_key {
            let passphrase = passphrase.unwrap_or_default();
            signers.push(Arc::new(PrivateKeySigner::open(
                key,
                passphrase.as_bytes(),
            )?));
        }
        Ok(signers)
    }
}

/// skopeo's prompt for a private key's passphrase (on a terminal only).
pub fn prompt_for_passphrase(key: &Path) -> Result<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        bail!(
            "Cannot prompt for a passphrase for key {}, standard input is not a TTY",
            key.display()
        );
    }
    print!("Passphrase for key {}: ", key.display());
    std::io::Write::flush(&mut std::io::stdout())?;
    let p = rpassword::read_password()?;
    println!();
    Ok(p)
}

/// `--multi-arch` values: skopeo's three, plus (a skiff extension) a comma-separated list of
/// `os/arch[/variant]` platforms whose instances are copied with the list.
fn parse_multi_arch(v: &str) -> Result<ListSelection> {
    match v {
        "system" => return Ok(ListSelection::System),
        "all" => return Ok(ListSelection::All),
        "index-only" => return Ok(ListSelection::IndexOnly),
        _ => {}
    }
    let unknown = || {
        anyhow::anyhow!(
            "unknown multi-arch option {v:?}. Choose one of the supported options: 'system', 'all', or 'index-only'"
        )
    };
    let mut platforms = Vec::new();
    for item in v.split(',') {
        let parts: Vec<&str> = item.split('/').collect();
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| valid(p)) {
            return Err(unknown());
        }
        platforms.push(PlatformSpec {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|s| s.to_string()).unwrap_or_default(),
        });
    }
    Ok(ListSelection::Platforms(platforms))
}

impl CopyArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.images, 2)?;
        self.deprecated_tls_verify.warn_if_used();
        let policy = g.policy()?;
        let src_name = parse_image(&self.images[0], "source")?;
        let dest_name = parse_image(&self.images[1], "destination")?;

        let mut source_ctx = g.system_context();
        self.deprecated_tls_verify.apply(&mut source_ctx);
        let src_flags = ImageFlagValues {
            authfile: self.authfiles.src.clone(),
            ..self.src.image()
        };
        src_flags.apply(self.shared.authfile.as_ref(), &mut source_ctx)?;
        let mut dest_ctx = g.system_context();
        self.deprecated_tls_verify.apply(&mut dest_ctx);
        let dest_flags = ImageFlagValues {
            authfile: self.authfiles.dest.clone(),
            ..self.dest.image()
        };
        dest_flags.apply(self.shared.authfile.as_ref(), &mut dest_ctx)?;
        // Validated with the rest of the destination's settings, as skopeo does.
        let compression = compression_settings(&self.dest_only)?;
        dest_ctx.dir_force_compress = self.dest_only.compress;
        dest_ctx.docker_registry_push_precompute_digests = self.dest_only.precompute_digests;
        dest_ctx.dir_force_decompress = self.dest_only.decompress;
        dest_ctx.oci_accept_uncompressed_layers = self.dest_only.oci_accept_uncompressed_layers;
        for tag in &self.additional_tags {
            let r = DockerReference::parse_normalized_named(tag)
                .map_err(|e| anyhow::anyhow!("error parsing additional-tag '{tag}': {e}"))?;
            if r.tag().is_none() {
                bail!("additional-tag '{tag}' must be a tagged reference");
            }
            dest_ctx.docker_archive_additional_tags.push(r);
        }

        if self.multi_arch.is_some() && self.all {
            bail!("Cannot use --all and --multi-arch flags together");
        }
        let mut list_selection = match &self.multi_arch {
            Some(v) => parse_multi_arch(v)?,
            None => ListSelection::System,
        };
        if self.all {
            list_selection = ListSelection::All;
        }
        if !self.encryption_keys.is_empty() && !self.decryption_keys.is_empty() {
            bail!("--encryption-key and --decryption-key cannot be specified together");
        }
        if !self.encrypt_layer.is_empty() && self.encryption_keys.is_empty() {
            bail!("--encrypt-layer can only be used with --encryption-key");
        }
        let crypto = self.crypto()?;
        let mut compression = compression;
        // zstd:chunked exposes the layer's table of contents and serves range reads, neither
        // of which suits an encrypted layer: plain zstd instead (c/image's rule and words).
        if crypto.encrypt.is_some() && compression.format == Some(Algorithm::ZstdChunked) {
            if compression.force {
                bail!(
                    "explicitly requested to combine zstd:chunked with encryption, which is not beneficial; use plain zstd instead"
                );
            }
            crate::error::warn(
                "Compression using zstd:chunked is not beneficial for encrypted layers, using plain zstd instead",
            );
            compression.format = Some(Algorithm::Zstd);
        }
        let sign_identity = self
            .sign_identity
            .as_deref()
            .map(|s| {
                DockerReference::parse_named(s)
                    .map_err(|e| anyhow::anyhow!("Could not parse --sign-identity: {e}"))
            })
            .transpose()?;
        let signing = copy::Signing {
            signers: self.copy.signers()?,
            identity: sign_identity,
        };
        if let Some(path) = &self.report {
            crate::report::check_path(path)?;
        }
        let attached = self.referrers.wanted();
        attached.check(&src_name, &dest_name)?;

        let options = Options {
            source_ctx,
            dest_ctx,
            remove_signatures: self.copy.remove_signatures,
            // Referrers name the image by digest: it must arrive unchanged.
            preserve_digests: self.copy.preserve_digests || attached.any(),
            parallel_copies: self
                .image_parallel_copies
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_PARALLEL_COPIES),
            list_selection,
            force_manifest_type: self.copy.manifest_type()?,
            compression,
            parallel_images: DEFAULT_PARALLEL_IMAGES,
            signing,
            crypto,
        };
        let reporter = self
            .progress
            .reporter(self.quiet, progress::Command::Copy)?;
        let tally = crate::report::Tally::new(reporter);
        let started = std::time::Instant::now();
        let result = crate::contract::retry::if_necessary(self.retry.options(), || async {
            let copied = copy::copy_image(&policy, &src_name, &dest_name, &options, &tally).await?;
            let digest = copied.digest()?;
            if let (ImageName::Docker(src), ImageName::Docker(dest)) = (&src_name, &dest_name)
                && attached.any()
            {
                crate::referrers::copy_attached(
                    &policy, src, dest, &digest, &attached, &options, &tally, None,
                )
                .await?;
            }
            if let Some(path) = &self.digestfile {
                std::fs::write(path, digest.to_string()).with_context(|| {
                    format!(
                        "Failed to write digest to file {:?}",
                        path.display().to_string()
                    )
                })?;
            }
            Ok(digest)
        })
        .await;
        if let Some(path) = &self.report {
            let entry = tally.image(
                src_name.to_string(),
                dest_name.to_string(),
                &result,
                started.elapsed(),
            );
            crate::report::Report::new("copy", vec![entry]).write(path)?;
        }
        result.map(|_| ())
    }
}

impl CopyArgs {
    /// `--encryption-key`, `--encrypt-layer` and `--decryption-key`, the keys read (skopeo's
    /// messages) before anything is copied.
    fn crypto(&self) -> Result<copy::Crypto> {
        use crate::ocicrypt::keys;
        let mut crypto = copy::Crypto::default();
        if !self.encryption_keys.is_empty() {
            crypto.encrypt = Some(Arc::new(keys::encryption_config(&self.encryption_keys)?));
            crypto.encrypt_layers = self.encrypt_layer.clone();
        }
        if !self.decryption_keys.is_empty() {
            crypto.decrypt = Some(Arc::new(keys::decryption_config(&self.decryption_keys)?));
        }
        Ok(crypto)
    }
}

/// `--dest-compress-format`, `--dest-compress-level`, `--dest-force-compress-format`.
pub fn compression_settings(flags: &DestOnlyFlags) -> Result<compression::Settings> {
    let format = flags
        .compress_format
        .as_deref()
        .filter(|f| !f.is_empty())
        .map(Algorithm::by_name)
        .transpose()?;
    if flags.force_compress_format && format.is_none() {
        bail!("cannot use ForceCompressionFormat with undefined default compression format");
    }
    Ok(compression::Settings {
        format,
        level: flags.compress_level,
        force: flags.force_compress_format,
    })
}
