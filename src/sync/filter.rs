//! The CLI's tag filters (`--include-tag`, `--exclude-tag`, `--semver`), applied to every
//! tagged image a docker or YAML source lists, after the YAML file's own filters. Images
//! named by digest have no tag to filter and are kept.

use anyhow::{Result, anyhow};

use super::semver::{Constraints, Version};
use crate::reference::ImageName;

#[derive(Clone, Debug, Default)]
pub struct TagFilter {
    pub include: Option<regex::Regex>,
    pub exclude: Option<regex::Regex>,
    pub semver: Option<Constraints>,
}

impl TagFilter {
    /// The filter the flags ask for; a bad value is one line naming the flag.
    pub fn parse(
        include: Option<&str>,
        exclude: Option<&str>,
        semver: Option<&str>,
    ) -> Result<TagFilter> {
        let regex = |flag: &str, pattern: &str| {
            regex::Regex::new(pattern).map_err(|e| {
                anyhow!(
                    "Invalid {flag} {pattern:?}: {}",
                    super::source::go_regex_error(pattern, &e)
                )
            })
        };
        Ok(TagFilter {
            include: include.map(|p| regex("--include-tag", p)).transpose()?,
            exclude: exclude.map(|p| regex("--exclude-tag", p)).transpose()?,
            semver: semver
                .map(|c| Constraints::parse(c).map_err(|e| anyhow!("Invalid --semver {c:?}: {e}")))
                .transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none() && self.semver.is_none()
    }

    /// Whether a tag passes every filter (regular expressions match anywhere in the tag,
    /// as the YAML file's `images-by-tag-regex`; anchor them with `^…$`).
    pub fn keeps_tag(&self, tag: &str) -> bool {
        self.include.as_ref().is_none_or(|re| re.is_match(tag))
            && !self.exclude.as_ref().is_some_and(|re| re.is_match(tag))
            && self
                .semver
                .as_ref()
                .is_none_or(|c| Version::parse(tag).is_ok_and(|v| c.matches(&v)))
    }

    pub fn keeps(&self, image: &ImageName) -> bool {
        match super::layout::tag_of_image(image) {
            Some(tag) => self.keeps_tag(tag),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_combine() {
        let f = TagFilter::parse(Some("^v?1\\."), Some("rc"), Some(">=1.2, <2")).unwrap();
        assert!(f.keeps_tag("1.2.0"));
        assert!(f.keeps_tag("v1.5"));
        assert!(!f.keeps_tag("1.1.0"));
        assert!(!f.keeps_tag("1.3.0-rc1"));
        assert!(!f.keeps_tag("2.0.0"));
        assert!(!f.keeps_tag("latest"));
        assert!(TagFilter::default().keeps_tag("anything"));
        assert_eq!(
            TagFilter::parse(Some("("), None, None)
                .unwrap_err()
                .to_string(),
            "Invalid --include-tag \"(\": error parsing regexp: unclosed group: `(`"
        );
        assert!(
            TagFilter::parse(None, None, Some("nonsense"))
                .unwrap_err()
                .to_string()
                .starts_with("Invalid --semver \"nonsense\": ")
        );
    }
}
