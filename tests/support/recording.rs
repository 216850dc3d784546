//! Reading moto's request recording: which AWS API call each recorded request was, and
//! whether it changes anything.

use std::fmt;

// ---------------------------------------------------------------------------------------------
// Recorded calls
// ---------------------------------------------------------------------------------------------

/// One AWS API call the emulator received.
///
/// * `service`: the SigV4 signing name from the Authorization header's credential scope
///   (`ec2`, `iam`, `ecs`, `elasticloadbalancing`, `logs`, `monitoring`, `sts`, ...); if the
///   request is unsigned, the first label of the URL's host name, else `"unknown"`.
/// * `action`: the API operation (`CreateVpc`): the `Action` form field for query-protocol
///   services (EC2, IAM, RDS, ElastiCache, ELBv2, SNS, CloudWatch, STS); the part after the
///   dot of `X-Amz-Target` for JSON protocols; the operation of a Smithy RPC v2
///   (`/service/S/operation/Op`) URL. REST-style calls have neither, and are recorded as
///   `"METHOD /path"` (e.g. `"POST /2013-04-01/hostedzone"`), with S3's subresource
///   (`"PUT /bucket/?lifecycle"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordedCall {
    pub service: String,
    pub action: String,
}

/// Action-name prefixes of calls that only read.
const READ_ONLY_PREFIXES: &[&str] = &[
    "Describe", "List", "Get", "Search", "Lookup", "BatchGet", "Check", "Validate",
];

impl RecordedCall {
    pub fn new(service: &str, action: &str) -> RecordedCall {
        RecordedCall {
            service: service.to_string(),
            action: action.to_string(),
        }
    }

    /// Whether the call changes something. The rule: an action is read-only when its name
    /// starts with Describe, List, Get, Search, Lookup, BatchGet, Check or Validate; every
    /// other action counts as mutating. A REST-style call (`"METHOD /path"`) is read-only
    /// when its method is GET, HEAD or OPTIONS.
    pub fn is_mutating(&self) -> bool {
        if let Some((method, _path)) = self.action.split_once(' ') {
            return !matches!(method, "GET" | "HEAD" | "OPTIONS");
        }
        !READ_ONLY_PREFIXES
            .iter()
            .any(|prefix| self.action.starts_with(prefix))
    }

    pub(super) fn from_entry(entry: &serde_json::Value) -> Option<RecordedCall> {
        let url = entry.get("url")?.as_str().unwrap_or("");
        let (host, path, query) = split_url(url);
        if path.starts_with("/moto-api") {
            return None;
        }
        let method = entry
            .get("method")
            .and_then(|m| m.as_str())
            .unwrap_or("GET");
        let headers = entry.get("headers").and_then(|h| h.as_object());
        let header = |name: &str| -> Option<&str> {
            headers?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
        };

        let service = header("Authorization")
            .and_then(credential_scope_service)
            .or_else(|| {
                let first = host.split(['.', ':']).next().unwrap_or("");
                let is_name =
                    !first.is_empty() && first.parse::<u8>().is_err() && first != "localhost";
                is_name.then(|| first.to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());

        let body = recorded_body(entry);
        let action = if let Some(target) = header("X-Amz-Target") {
            target.rsplit('.').next().unwrap_or(target).to_string()
        } else if let Some(op) = smithy_rpc_v2_operation(path) {
            op.to_string()
        } else if let Some(action) =
            form_value(&body, "Action").or_else(|| form_value(query, "Action"))
        {
            action
        } else {
            // S3 names its bucket operations by a valueless query parameter (`?versioning`,
            // `?lifecycle`): kept, so the calls on one bucket tell apart.
            let subresource = query
                .split('&')
                .find(|param| !param.is_empty() && !param.contains('='))
                .map_or(String::new(), |param| format!("?{param}"));
            format!("{method} {path}{subresource}")
        };
        Some(RecordedCall { service, action })
    }
}

impl fmt::Display for RecordedCall {
    /// `ec2 CreateVpc`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service, self.action)
    }
}

/// (host, path, query) of a recorded URL, which is absolute (`http://host:port/path?q`).
fn split_url(url: &str) -> (&str, &str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path_and_query) = match rest.find('/') {
        Some(i) if url.contains("://") => (&rest[..i], &rest[i..]),
        None if url.contains("://") => (rest, "/"),
        _ => ("", rest),
    };
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    (host, path, query)
}

/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...` -> SERVICE
fn credential_scope_service(authorization: &str) -> Option<String> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    (parts.len() >= 5).then(|| parts[parts.len() - 2].to_string())
}

/// `/service/ServiceName/operation/OpName` (Smithy RPC v2 CBOR) -> OpName
fn smithy_rpc_v2_operation(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("service"), Some(_), Some("operation"), Some(op)) if !op.is_empty() => Some(op),
        _ => None,
    }
}

/// The request body as text (decoded from base64 when `body_encoded`).
pub(super) fn recorded_body(entry: &serde_json::Value) -> String {
    let body = entry.get("body").and_then(|b| b.as_str()).unwrap_or("");
    let encoded = entry
        .get("body_encoded")
        .and_then(|b| b.as_bool())
        .unwrap_or(false);
    if encoded {
        base64_decode(body)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    } else {
        body.to_string()
    }
}

/// The percent-decoded value of `key` in an `application/x-www-form-urlencoded` string.
fn form_value(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 (padding optional); None on a malformed input.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8]),
            2 => out.push((acc >> 16) as u8),
            _ => return None,
        }
    }
    Some(out)
}
