//! Encrypting and decrypting layers on their way (ocicrypt's format, as c/image's copy does
//! it): such a layer is never reused or taken from a cache — the bytes are read, verified,
//! (de)crypted while they stream and written; the manifest then names the new blob with
//! `+encrypted` added to or removed from its media type, and the configuration (the diff
//! IDs) stays as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};

use super::blob::{LayerRules, SentLayer, peek};
use super::progress::BlobTracker;
use super::{Copier, LayerCopied};
use crate::compression::Algorithm;
use crate::contract::verify::VerifyingReader;
use crate::digest::Digest;
use crate::ocicrypt::keys::{DecryptConfig, EncryptConfig};
use crate::ocicrypt::stream::{Decrypting, Encrypting, SealedSlot};
use crate::ocicrypt::{self, LayerCipher, PrivateOptions, PublicOptions, jwe, pgp, pkcs7};
use crate::transport::{BlobStream, UploadInfo};
use crate::types::BlobInfo;

/// `--encryption-key` / `--encrypt-layer` / `--decryption-key`, resolved.
#[derive(Clone, Debug, Default)]
pub struct Crypto {
    pub encrypt: Option<Arc<EncryptConfig>>,
    /// Layer indices to encrypt (negative ones count from the last); empty: every layer.
    pub encrypt_layers: Vec<i64>,
    pub decrypt: Option<Arc<DecryptConfig>>,
}

impl Crypto {
    /// Which of `count` layers to encrypt (c/image's words for an index out of range).
    pub(crate) fn layers_to_encrypt(&self, count: usize) -> Result<BTreeSet<usize>> {
        if self.encrypt.is_none() {
            return Ok(BTreeSet::new());
        }
        if self.encrypt_layers.is_empty() {
            return Ok((0..count).collect());
        }
        let total = count as i64;
        self.encrypt_layers
            .iter()
            .map(|&l| match l {
                l if (0..total).contains(&l) => Ok(l as usize),
                l if l < 0 && l + total >= 0 => Ok((l + total) as usize),
                l => Err(anyhow!(
                    "when choosing layers to encrypt, layer index {l} out of range ({total} layers exist)"
                )),
            })
            .collect()
    }
}

/// What a layer being encrypted needs once its bytes are written: the key material to wrap
/// and the HMAC the stream computes.
pub(crate) struct Encryption {
    opts: PrivateOptions,
    slot: SealedSlot,
    config: Arc<EncryptConfig>,
}

impl Encryption {
    /// The annotations that let the recipients decrypt the layer (c/image adds them to the
    /// layer's other annotations).
    pub(crate) fn finish(mut self) -> Result<BTreeMap<String, String>> {
        let sealed = self
            .slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| anyhow!("Unable to finalize encryption: the layer did not end"))?;
        if let Some(d) = sealed.plain_digest {
            self.opts.digest = d.to_string();
        }
        let public = PublicOptions {
            cipher: ocicrypt::CIPHER_AES_CTR.to_string(),
            hmac: sealed.hmac,
            cipheroptions: BTreeMap::new(),
        };
        let mut annotations = BTreeMap::from([(
            ocicrypt::ANNOTATION_PUBOPTS.to_string(),
            public.to_annotation(),
        )]);
        let config = &self.config;
        let mut wrap = || -> Result<()> {
            if !config.jwe_recipients.is_empty() {
                let wrapped = jwe::wrap_for(&self.opts, &config.jwe_recipients)?;
                annotations.insert(ocicrypt::ANNOTATION_JWE.to_string(), wrapped);
            }
            if !config.pkcs7_recipients.is_empty() {
                let wrapped = pkcs7::wrap(&self.opts, &config.pkcs7_recipients)?;
                annotations.insert(ocicrypt::ANNOTATION_PKCS7.to_string(), wrapped);
            }
            if !config.pgp_recipients.is_empty() {
                let wrapped = pgp::wrap(&self.opts, &config.pgp_recipients)?;
                annotations.insert(ocicrypt::ANNOTATION_PGP.to_string(), wrapped);
            }
            Ok(())
        };
        wrap().context("Unable to finalize encryption")?;
        Ok(annotations)
    }
}

/// Starts encrypting `stream`, whose plaintext digest is `plain_digest` when known (else it
/// is computed on the way).
pub(crate) fn encrypt_stream(
    stream: BlobStream,
    plain_digest: Option<&Digest>,
    config: Arc<EncryptConfig>,
) -> (BlobStream, Encryption) {
    let (cipher, opts) =
        LayerCipher::new_encryption(&plain_digest.map(Digest::to_string).unwrap_or_default());
    let (encrypting, slot) = Encrypting::new(stream, cipher, plain_digest.is_none());
    (Box::pin(encrypting), Encryption { opts, slot, config })
}

/// The key and options of an encrypted layer, unwrapped with the copy's private keys
/// (ocicrypt's messages, after c/image's "decrypting layer DIGEST").
pub(crate) fn unwrap_layer(
    info: &BlobInfo,
    keys: &DecryptConfig,
) -> Result<(PrivateOptions, PublicOptions)> {
    let unwrap = || -> Result<(PrivateOptions, PublicOptions)> {
        let annotations = info.annotations.clone().unwrap_or_default();
        let private = unwrap_private_options(&annotations, keys)?;
        let public = match annotations.get(ocicrypt::ANNOTATION_PUBOPTS) {
            Some(p) => PublicOptions::from_annotation(p)?,
            None => bail!("missing {}", ocicrypt::ANNOTATION_PUBOPTS),
        };
        if public.cipher != ocicrypt::CIPHER_AES_CTR {
            bail!("unsupported cipher type {:?}", public.cipher);
        }
        Ok((private, public))
    };
    unwrap().with_context(|| format!("decrypting layer {}", info.digest))
}

/// The private options wrapped for one of `keys`, tried wrapper by wrapper as ocicrypt tries
/// them: a wrapper with no key to try is skipped, and the errors are ocicrypt's.
fn unwrap_private_options(
    annotations: &BTreeMap<String, String>,
    keys: &DecryptConfig,
) -> Result<PrivateOptions> {
    let mut key_given = false;
    if let Some(wrapped) = annotations.get(ocicrypt::ANNOTATION_JWE)
        && !keys.jwe_keys.is_empty()
    {
        key_given = true;
        if let Ok(opts) = jwe::unwrap_with(wrapped, &keys.jwe_keys) {
            return Ok(opts);
        }
    }
    if let Some(wrapped) = annotations.get(ocicrypt::ANNOTATION_PKCS7)
        && !keys.jwe_keys.is_empty()
    {
        key_given = true;
        if let Ok(opts) = pkcs7::unwrap(wrapped, &keys.rsa_keys(), &keys.x509s) {
            return Ok(opts);
        }
    }
    if let Some(wrapped) = annotations.get(ocicrypt::ANNOTATION_PGP)
        && !keys.pgp_keyrings.is_empty()
    {
        key_given = true;
        if let Ok(opts) = pgp::unwrap(wrapped, &keys.pgp_keyrings) {
            return Ok(opts);
        }
    }
    if !key_given {
        if let Some((_, scheme)) = ocicrypt::OTHER_KEY_ANNOTATIONS
            .iter()
            .find(|(a, _)| annotations.contains_key(*a))
        {
            return Err(crate::error::not_implemented(format!(
                "decrypting layer keys wrapped with {scheme}"
            )));
        }
        bail!("missing private key needed for decryption");
    }
    bail!(
        "no suitable key unwrapper found or none of the private keys could be used for decryption"
    )
}

/// A layer's annotations without the encryption namespace (what a decrypted layer keeps).
/// None left is none at all (an OCI descriptor then has no `annotations`).
fn without_encryption(
    annotations: &Option<BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let kept: BTreeMap<String, String> = annotations
        .iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with(ocicrypt::ANNOTATION_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!kept.is_empty()).then_some(kept)
}

impl Copier<'_> {
    /// Copies a layer that is encrypted or decrypted on its way.
    pub(crate) async fn copy_layer_crypto(
        &self,
        info: &BlobInfo,
        rules: LayerRules,
        progress: &BlobTracker<'_>,
    ) -> Result<LayerCopied> {
        progress.restart();
        // The key first: a layer no key opens fails before anything is read or written.
        let decryption = match (&self.options.crypto.decrypt, rules.decrypt) {
            (Some(keys), true) => Some(unwrap_layer(info, keys)?),
            _ => None,
        };
        let stream = self
            .src
            .blob(info)
            .await
            .with_context(|| format!("reading blob {}", info.digest))?;
        let verified: BlobStream = Box::pin(VerifyingReader::new(stream, &info.digest, info.size));
        let (input, known_digest, annotations) = match decryption {
            Some((private, public)) => {
                let plain: Digest = private
                    .digest
                    .parse()
                    .with_context(|| format!("decrypting layer {}", info.digest))?;
                let cipher = LayerCipher::new_decryption(&private)
                    .with_context(|| format!("decrypting layer {}", info.digest))?;
                let decrypted: BlobStream =
                    Box::pin(Decrypting::new(verified, cipher, public.hmac));
                // The plaintext is checked against the digest the key's owner recorded.
                let checked: BlobStream = Box::pin(VerifyingReader::new(decrypted, &plain, None));
                (checked, plain, without_encryption(&info.annotations))
            }
            None => (verified, info.digest.clone(), info.annotations.clone()),
        };
        let (magic, input) = peek(input).await?;
        let detected = Algorithm::detect(&magic);
        let choice = self.compression_step(detected, rules)?;
        let changes = choice.step != super::pipeline::Step::Copy;
        let encryption = match (&self.options.crypto.encrypt, rules.encrypt) {
            (Some(config), true) => Some(config.clone()),
            _ => None,
        };
        let upload = UploadInfo {
            // Encrypted bytes are new; decrypted ones are known (and were checked).
            digest: (!changes && encryption.is_none()).then(|| known_digest.clone()),
            size: None,
            media_type: info.media_type.clone(),
            is_config: false,
        };
        let sent = SentLayer {
            upload,
            annotations: (!changes).then_some(annotations).flatten(),
            detected,
            encrypt: encryption.map(|config| (config, (!changes).then_some(known_digest))),
        };
        let mut copied = self
            .send_layer(input, sent, choice, rules, progress)
            .await?;
        copied.edit.crypto = if rules.encrypt {
            crate::manifest::update::CryptoOp::Encrypt
        } else {
            crate::manifest::update::CryptoOp::Decrypt
        };
        Ok(copied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_indices_follow_c_image() {
        let c = Crypto {
            encrypt: Some(Arc::new(EncryptConfig::default())),
            encrypt_layers: vec![0, -1],
            decrypt: None,
        };
        assert_eq!(
            c.layers_to_encrypt(3)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![0, 2]
        );
        let all = Crypto {
            encrypt_layers: vec![],
            ..c.clone()
        };
        assert_eq!(all.layers_to_encrypt(2).unwrap().len(), 2);
        for bad in [3, -4] {
            let c = Crypto {
                encrypt_layers: vec![bad],
                ..c.clone()
            };
            assert_eq!(
                c.layers_to_encrypt(3).unwrap_err().to_string(),
                format!(
                    "when choosing layers to encrypt, layer index {bad} out of range (3 layers exist)"
                )
            );
        }
    }
}
