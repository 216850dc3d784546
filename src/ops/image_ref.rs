//! Checking `deploy --image SERVICE=IMAGE` before anything is sent to AWS.
//!
//! ECS accepts any string as a container image: a typo such as `api=UPPER/case:tag` or
//! `api=repo:tag:extra` registers a task definition, updates the service and is recorded as a
//! release, and only fails minutes later when the tasks cannot pull it. The grammar here is the
//! one Docker's distribution library uses for references (`[registry[:port]/]name[:tag]`, or
//! `name[:tag]@sha256:<64 hex>`), so whatever passes is something a registry can serve.

use crate::stack::SERVICES;

/// The form an image reference must take, for messages.
pub const EXPECTED_FORM: &str = "[REGISTRY[:PORT]/]NAME[:TAG] or NAME@sha256:<64 hex digits>, \
with a lowercase repository NAME (e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-api:1.4.2)";

/// A checked image reference, in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `host[:port]`, when the reference names a registry.
    pub registry: Option<&'a str>,
    /// The repository path, e.g. `macro-ai-api` or `library/nginx`.
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:<64 hex>`.
    pub digest: Option<&'a str>,
}

/// Parses `SERVICE=IMAGE` as given to `--image`: a known service and a valid image reference.
/// The error names the flag value and says what was expected.
pub fn parse_image_flag(pair: &str) -> Result<(String, String), String> {
    let Some((service, image)) = pair.split_once('=') else {
        return Err(format!(
            "--image `{pair}`: expected SERVICE=IMAGE, e.g. api=123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-api:1.4.2"
        ));
    };
    if !SERVICES.contains(&service) {
        return Err(format!(
            "--image `{pair}`: unknown service `{service}`; the services are {}",
            SERVICES.join(", ")
        ));
    }
    parse(image).map_err(|problem| {
        format!("--image `{pair}`: `{image}` is not an image reference: {problem}; expected {EXPECTED_FORM}")
    })?;
    Ok((service.to_string(), image.to_string()))
}

/// Parses every `--image SERVICE=IMAGE` flag (see [`parse_image_flag`]) into service → image;
/// a service named twice is refused.
pub fn parse_image_flags(
    pairs: &[String],
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut images = std::collections::BTreeMap::new();
    for pair in pairs {
        let (service, image) = parse_image_flag(pair)?;
        if images.insert(service.clone(), image).is_some() {
            return Err(format!("--image names service `{service}` twice"));
        }
    }
    Ok(images)
}

/// Parses an image reference; the error says what is wrong with it (without the expected form).
pub fn parse(image: &str) -> Result<ImageRef<'_>, String> {
    if image.is_empty() {
        return Err("it is empty".into());
    }
    if image.contains(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => {
            check_digest(digest)?;
            (rest, Some(digest))
        }
        None => (image, None),
    };
    if rest.len() > 255 {
        return Err(format!(
            "the name is {} characters long; at most 255 are allowed",
            rest.len()
        ));
    }
    // A first component with a dot or a colon (or `localhost`) is a registry, as Docker reads it.
    let (registry, path) = match rest.split_once('/') {
        Some((first, path))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            check_registry(first)?;
            (Some(first), path)
        }
        _ => (None, rest),
    };
    let (repository, tag) = match path.split_once(':') {
        Some((repository, tag)) => {
            if tag.contains(':') {
                return Err(format!(
                    "it has more than one `:` after the repository name (`{repository}:{tag}`); only one :TAG is allowed"
                ));
            }
            check_tag(tag)?;
            (repository, Some(tag))
        }
        None => (path, None),
    };
    if repository.is_empty() {
        return Err("there is no repository name before the :TAG".into());
    }
    for component in repository.split('/') {
        check_component(component)?;
    }
    Ok(ImageRef {
        registry,
        repository,
        tag,
        digest,
    })
}

fn check_digest(digest: &str) -> Result<(), String> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("the digest `{digest}` does not start with `sha256:`"))?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "the digest `{digest}` is not sha256: followed by 64 lowercase hex digits"
        ));
    }
    Ok(())
}

/// `host[:port]`: dot-separated labels of letters, digits and inner dashes; port 1-65535.
fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !host.split('.').all(label_ok) {
        return Err(format!("the registry `{registry}` is not a host name"));
    }
    if let Some(port) = port {
        if !port.bytes().all(|b| b.is_ascii_digit())
            || !matches!(port.parse::<u32>(), Ok(1..=65535))
        {
            return Err(format!(
                "the registry `{registry}` has `{port}` as its port; use a number from 1 to 65535"
            ));
        }
    }
    Ok(())
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else if tag.is_empty() {
        Err("the tag after `:` is empty".into())
    } else {
        Err(format!(
            "the tag `{tag}` is not 1 to 128 letters, digits, `_`, `.` and `-` starting with a letter, digit or `_`"
        ))
    }
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes (Docker's path-component grammar).
fn check_component(component: &str) -> Result<(), String> {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let mut ok = !bytes.is_empty() && alnum(bytes[0]) && alnum(bytes[bytes.len() - 1]);
    let mut i = 0;
    while ok && i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
    }
    if ok {
        return Ok(());
    }
    if component.is_empty() {
        Err("the repository path has an empty component (`//` or a trailing `/`)".into())
    } else if component.bytes().any(|b| b.is_ascii_uppercase()) {
        Err(format!(
            "the repository path component `{component}` has uppercase letters; repository names are lowercase"
        ))
    } else {
        Err(format!(
            "the repository path component `{component}` is not lowercase letters and digits separated by `.`, `_`, `__` or `-`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn image_flags_become_a_map_and_a_service_named_twice_is_refused() {
        let flags = |pairs: &[&str]| {
            parse_image_flags(&pairs.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        };
        let images = flags(&["api=repo/api:1", "ui=repo/ui:2"]).unwrap();
        assert_eq!(images["api"], "repo/api:1");
        assert_eq!(images["ui"], "repo/ui:2");
        let twice = flags(&["api=repo/api:1", "api=repo/api:2"]).unwrap_err();
        assert!(twice.contains("`api` twice"), "{twice}");
        assert!(flags(&["worker=repo:1"]).unwrap_err().contains("worker"));
    }

    #[test]
    fn accepts_what_registries_serve() {
        let ecr = parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/macro-ai-api:1.4.2").unwrap();
        assert_eq!(
            ecr.registry,
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com")
        );
        assert_eq!(ecr.repository, "macro-ai-api");
        assert_eq!(ecr.tag, Some("1.4.2"));
        for ok in [
            "nginx",
            "nginx:latest",
            "library/nginx:1.27-alpine",
            "localhost:5000/team/app:v1_2",
            "localhost/app",
            "registry.example.com:443/a.b/c__d/e--f:TAG_Upper.1",
            "public.ecr.aws/xray/aws-xray-daemon:latest",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        let pinned = format!("macro-ai-api@{DIGEST}");
        assert_eq!(parse(&pinned).unwrap().digest, Some(DIGEST));
        assert!(parse(&format!("repo/app:1.0@{DIGEST}")).is_ok());
    }

    #[test]
    fn refuses_what_cannot_be_pulled() {
        for (bad, why) in [
            ("", "empty"),
            ("UPPER/case:tag", "uppercase"),
            ("repo:tag:extra", "more than one `:`"),
            (":tag", "no repository name"),
            ("repo:", "tag after `:` is empty"),
            ("repo:-tag", "the tag `-tag`"),
            ("a b", "whitespace"),
            ("repo//app", "empty component"),
            ("repo/", "empty component"),
            ("-repo", "`-repo`"),
            ("repo_.x", "`repo_.x`"),
            ("host.com:99999/app", "port"),
            ("bad_host.com/app", "not a host name"),
            ("app@sha256:abc", "64 lowercase hex"),
            ("app@md5:00", "does not start with `sha256:`"),
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
        let long_tag = format!("app:{}", "a".repeat(129));
        assert!(parse(&long_tag).is_err());
    }

    #[test]
    fn the_flag_names_the_value_the_service_and_the_form() {
        assert_eq!(
            parse_image_flag("api=repo/app:1").unwrap(),
            ("api".to_string(), "repo/app:1".to_string())
        );
        let err = parse_image_flag("api=UPPER/case:tag").unwrap_err();
        assert!(err.contains("--image `api=UPPER/case:tag`"), "{err}");
        assert!(err.contains(EXPECTED_FORM), "{err}");
        let err = parse_image_flag("worker=repo:1").unwrap_err();
        assert!(
            err.contains("unknown service `worker`") && err.contains("api, ui"),
            "{err}"
        );
        let err = parse_image_flag("api").unwrap_err();
        assert!(err.contains("SERVICE=IMAGE"), "{err}");
        let err = parse_image_flag("api=").unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
