//! Container image references (`registry:5000/repo/name:tag@digest`).

/// What an image reference pins.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageTag<'a> {
    /// `@sha256:…`
    Digest,
    /// `:latest`
    Latest,
    /// No tag at all.
    None,
    /// Any other tag.
    Tag(&'a str),
}

/// Reads the tag of an image reference (`registry:5000/repo/name:tag@digest`).
///
/// ```
/// use slipway_core::k8s::image::{ImageTag, tag_of};
///
/// assert_eq!(tag_of("registry:5000/ai/model:v2.0"), ImageTag::Tag("v2.0"));
/// assert_eq!(tag_of("registry:5000/ai/model"), ImageTag::None);
/// assert_eq!(tag_of("model:latest"), ImageTag::Latest);
/// ```
pub fn tag_of(image: &str) -> ImageTag<'_> {
    if image.contains('@') {
        return ImageTag::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) => ImageTag::Latest,
        Some((_, tag)) if !tag.is_empty() => ImageTag::Tag(tag),
        _ => ImageTag::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_past_registry_ports() {
        assert_eq!(tag_of("registry:5000/ai/model"), ImageTag::None);
        assert_eq!(tag_of("registry:5000/ai/model:v2.0"), ImageTag::Tag("v2.0"));
        assert_eq!(tag_of("model:latest"), ImageTag::Latest);
        assert_eq!(tag_of("model@sha256:abc"), ImageTag::Digest);
    }
}
