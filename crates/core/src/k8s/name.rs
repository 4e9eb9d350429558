//! Kubernetes names: DNS-1123 and DNS-1035 labels, DNS-1123 subdomains, label values and
//! qualified names (label and annotation keys), as the API server validates them.

/// RFC 1123 label: at most 63 of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1035 label: a DNS-1123 label that starts with a letter (Service names).
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// A label value: empty, or at most 63 of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
///
/// ```
/// use slipway_core::k8s::name::is_label_value;
///
/// assert!(is_label_value("v2.0") && is_label_value(""));
/// assert!(!is_label_value("-v2") && !is_label_value("a b"));
/// ```
pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A label or annotation key: `[prefix/]name`, prefix a DNS subdomain.
pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, s),
    };
    prefix.is_none_or(is_dns1123_subdomain) && !name.is_empty() && is_label_value(name)
}

/// The longest name that fits a label value (Argo CD writes an Application's name into the
/// `app.kubernetes.io/instance` label under label tracking).
pub const MAX_LABEL_NAME: usize = 63;

/// 64-bit FNV-1a of `bytes`: stable across releases and platforms (unlike std's hasher), for
/// derived names and content hashes that must not change from one render to the next.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `name` when it fits in `max` bytes; otherwise its first `max - 9` bytes, `-` and eight hex
/// digits of its [`stable_hash`], so that long names stay distinct, stable and within `max`.
///
/// ```
/// use slipway_core::k8s::name::shorten;
///
/// assert_eq!(shorten("short", 10), "short");
/// let long = shorten("a-very-long-application-name-staging", 20);
/// assert_eq!(long.len(), 20);
/// assert!(long.starts_with("a-very-long"));
/// assert_ne!(long, shorten("a-very-long-application-name-prod", 20));
/// ```
pub fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let mut cut = max.saturating_sub(9);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash = stable_hash(name.as_bytes()) as u32;
    // A name cut after a separator would end in `--`: the separator goes.
    let head = name[..cut].trim_end_matches(['-', '.', '_']);
    format!("{head}-{hash:08x}")
}

/// Reports [`DNS_NAME`] at `path` unless `value` is a DNS-1123 subdomain, naming it a
/// `what` name.
pub(crate) fn dns_name(
    out: &mut Vec<crate::diagnostic::Diagnostic>,
    path: String,
    value: &str,
    what: &str,
) {
    if !is_dns1123_subdomain(value) {
        out.push(
            crate::diagnostic::Diagnostic::new(
                &DNS_NAME,
                path,
                format!("`{value}` is not a valid {what} name"),
            )
            .with_help("use lowercase letters, digits, '-' and '.'"),
        );
    }
}

crate::diagnostic::codes! {
    DNS_NAME {
        id: "dns-name",
        severity: Error,
        stage: Spec,
        what: "Checks every name Slipway turns into an object name or a reference: the application name (a DNS-1035 label of at most 40 characters), the namespace (DNS-1123 label), claim, Secret, PriorityClass and RuntimeClass names (DNS-1123 subdomains), and the model name (a URL path segment).",
        why: "The API server rejects such objects at apply time, after the GitOps commit landed; Argo CD then shows a failed sync instead of the author seeing the mistake.",
        example: "`metadata.name: AI_Inference`",
        instead: "`metadata.name: ai-inference`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_names_are_short_valid_and_distinct() {
        let a = shorten(&format!("{}-x-staging", "n".repeat(58)), 63);
        let b = shorten(&format!("{}-x-prod", "n".repeat(58)), 63);
        assert!(a.len() <= 63 && is_dns1123_label(&a), "{a}");
        assert!(b.len() <= 63 && is_dns1123_label(&b), "{b}");
        assert_ne!(a, b);
    }

    #[test]
    fn dns_names() {
        assert!(is_dns1035_label("ai-inference"));
        assert!(!is_dns1035_label("1st-app"));
        assert!(is_dns1123_label("1st-app"));
        assert!(!is_dns1123_label("AI_Inference"));
        assert!(!is_dns1123_label("trailing-"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_subdomain("model-pvc.v2"));
        assert!(!is_dns1123_subdomain("model..pvc"));
    }

    #[test]
    fn label_keys_and_values() {
        assert!(is_qualified_name("ai-node"));
        assert!(is_qualified_name("node.kubernetes.io/instance-type"));
        assert!(!is_qualified_name("Bad Key"));
        assert!(!is_qualified_name("/name"));
        assert!(is_label_value(""));
        assert!(is_label_value("v1.0"));
        assert!(!is_label_value("-v1"));
    }
}
