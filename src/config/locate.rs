//! Maps dotted key paths (`network.public_subnet_cidrs[1]`) to line numbers and byte offsets back
//! to key paths, so every configuration problem can point at the exact line of the file; also
//! turns the `toml` crate's positioned errors into [`Problem`]s that name the key and say what is
//! allowed.
//!
//! Key lines come from the span-carrying document the `toml` crate's parser produces (`DeTable`);
//! for syntax errors, where that document is unreliable, a small text scan finds the section.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Problem;

/// One key or array element found in the document.
#[derive(Debug)]
struct Entry {
    path: String,
    /// Span of the key (for array elements: of the element).
    key: Range<usize>,
    /// Span of the value (for tables: the `[header]` or the inline table).
    value: Range<usize>,
    /// 1-based line of the key.
    line: usize,
}

/// Every key path of one document with its spans.
#[derive(Debug, Default)]
pub(super) struct KeyIndex {
    entries: Vec<Entry>,
}

impl KeyIndex {
    /// Indexes `doc`, which was parsed from `source`.
    pub(super) fn build(source: &str, doc: &DeTable<'_>) -> Self {
        let mut index = KeyIndex::default();
        index.add_table(source, "", doc);
        index
    }

    fn add_table(&mut self, source: &str, prefix: &str, table: &DeTable<'_>) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            self.add_value(source, path, key.span(), value);
        }
    }

    fn add_value(
        &mut self,
        source: &str,
        path: String,
        key: Range<usize>,
        value: &Spanned<DeValue<'_>>,
    ) {
        self.entries.push(Entry {
            path: path.clone(),
            line: line_at(source, key.start),
            key,
            value: value.span(),
        });
        match value.get_ref() {
            DeValue::Table(t) => self.add_table(source, &path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.add_value(source, format!("{path}[{i}]"), item.span(), item);
                }
            }
            _ => {}
        }
    }

    /// Line of `path`; when the key itself is absent, the line of its nearest present ancestor
    /// (e.g. the `[network]` header for a missing `network.private_subnet_cidrs`).
    pub(super) fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(e) = self.entries.iter().find(|e| e.path == path) {
                return Some(e.line);
            }
            path = parent(path)?;
        }
    }

    /// The innermost key path whose key or value contains byte `offset`.
    pub(super) fn path_at(&self, offset: usize) -> Option<String> {
        self.entries
            .iter()
            .filter(|e| contains(&e.key, offset) || contains(&e.value, offset))
            .min_by_key(|e| {
                let len = |r: &Range<usize>| {
                    if contains(r, offset) {
                        r.end.saturating_sub(r.start)
                    } else {
                        usize::MAX
                    }
                };
                (len(&e.key).min(len(&e.value)), usize::MAX - e.path.len())
            })
            .map(|e| e.path.clone())
    }
}

/// Best key for a syntax error at byte `offset`, found by scanning the text (the parser's
/// recovered document is unreliable there): the `[section]` open at that line, plus the key
/// written on that line when there is one, e.g. `autoscaling.cpu_target_percent`.
pub(super) fn syntax_key(source: &str, offset: usize) -> String {
    let line_no = line_at(source, offset);
    let mut section = String::new();
    let mut key = String::new();
    for (i, line) in source.lines().take(line_no).enumerate() {
        let text = line.split('#').next().unwrap_or("").trim();
        if let Some(header) = text.strip_prefix('[') {
            section = header
                .trim_matches(|c| c == '[' || c == ']' || c == ' ')
                .to_string();
            key.clear();
        } else if i + 1 == line_no {
            if let Some((k, _)) = text.split_once('=') {
                let k = k.trim();
                let plain = k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.\"".contains(&b));
                if !k.is_empty() && plain {
                    key = k.to_string();
                }
            }
        }
    }
    match (section.is_empty(), key.is_empty()) {
        (_, true) => section,
        (true, false) => key,
        (false, false) => format!("{section}.{key}"),
    }
}

fn contains(r: &Range<usize>, offset: usize) -> bool {
    r.start <= offset && (offset < r.end || (r.start == r.end && offset == r.start))
}

/// `prefix.key`, quoting `key` when it is not a bare TOML key.
pub(super) fn join(prefix: &str, key: &str) -> String {
    let seg = segment(key);
    if prefix.is_empty() {
        seg
    } else {
        format!("{prefix}.{seg}")
    }
}

/// A key as written in a dotted path: bare when possible, else quoted.
pub(super) fn segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// The path one level up: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → none.
fn parent(path: &str) -> Option<&str> {
    let mut in_quotes = false;
    let mut cut = None;
    let mut prev = '\0';
    for (i, c) in path.char_indices() {
        match c {
            '"' if prev != '\\' => in_quotes = !in_quotes,
            '.' | '[' if !in_quotes => cut = Some(i),
            _ => {}
        }
        prev = c;
    }
    cut.map(|i| &path[..i])
}

/// 1-based line number of byte `offset` in `source` (clamped to the end of the text).
pub(super) fn line_at(source: &str, offset: usize) -> usize {
    let bytes = source.as_bytes();
    let end = offset.min(bytes.len());
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
}

/// Turns a serde (type / unknown key / missing key) error into a [`Problem`].
pub(super) fn serde_problem(source: &str, index: &KeyIndex, err: &toml::de::Error) -> Problem {
    let msg = err.message();
    let span = err.span();
    let offset = span.as_ref().map(|s| s.start).unwrap_or(0);
    let at_root = span.as_ref().is_none_or(|s| s.is_empty() && s.start == 0);
    if let Some(field) = backticked_after(msg, "missing field ") {
        let table = if at_root {
            String::new()
        } else {
            index.path_at(offset).unwrap_or_default()
        };
        let key = if table.is_empty() {
            field.to_string()
        } else {
            format!("{table}.{field}")
        };
        let where_ = if table.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in [{table}]")
        };
        let line = if at_root {
            None
        } else {
            Some(line_at(source, offset))
        };
        return Problem {
            key,
            line,
            message: format!(
                "required key `{field}` is missing {where_}; see docs/configuration.md for its allowed values"
            ),
        };
    }
    let key = index.path_at(offset).unwrap_or_default();
    let message = if let Some(rest) = msg.strip_prefix("unknown field ") {
        format!("unknown key {}", allowed(rest, "; allowed keys here: "))
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        format!("unknown value {}", allowed(rest, "; allowed: "))
    } else if msg == "duplicate key" {
        "this key is set more than once; keep one".to_string()
    } else {
        explain_expected(msg)
    };
    Problem {
        key,
        line: span.map(|_| line_at(source, offset)),
        message,
    }
}

/// Rewrites serde's "`x`, expected [one of] `a`, `b`" as "`x`<label>`a`, `b`".
fn allowed(rest: &str, label: &str) -> String {
    rest.replacen(", expected one of ", label, 1)
        .replacen(", expected ", label, 1)
}

/// The text between the first pair of backticks after `prefix`, when `msg` starts with it.
fn backticked_after<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// Replaces serde's Rust type names in "expected ..." with what to write in TOML.
fn explain_expected(msg: &str) -> String {
    let Some((head, expected)) = msg.split_once(", expected ") else {
        return msg.to_string();
    };
    let plain = match expected {
        "u16" => "a whole number from 0 to 65535".to_string(),
        "u32" => "a whole number from 0 to 4294967295".to_string(),
        "a boolean" => "true or false".to_string(),
        "a sequence" => "an array, e.g. [\"a\", \"b\"]".to_string(),
        "a string" => "a quoted string".to_string(),
        e if e.starts_with("struct ") || e == "a map" => "a table".to_string(),
        e if e.starts_with("enum ") => "one of the allowed strings".to_string(),
        e => e.to_string(),
    };
    format!("{head}; expected {plain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "# head\n[network]\nazs = [\n  \"a\",\n  \"b\",\n]\nn = 1\n\n[services.api]\nport = 3040\n[environment.tags]\n\"cost center\" = \"x\"\n";

    fn index() -> KeyIndex {
        let doc = DeTable::parse(SRC).unwrap();
        KeyIndex::build(SRC, doc.get_ref())
    }

    #[test]
    fn lines_of_keys_elements_and_headers() {
        let ix = index();
        assert_eq!(ix.line_of("network"), Some(2));
        assert_eq!(ix.line_of("network.azs"), Some(3));
        assert_eq!(ix.line_of("network.azs[1]"), Some(5));
        assert_eq!(ix.line_of("network.n"), Some(7));
        assert_eq!(ix.line_of("services.api.port"), Some(10));
        assert_eq!(ix.line_of("environment.tags.\"cost center\""), Some(12));
        // Absent keys fall back to the nearest ancestor.
        assert_eq!(ix.line_of("network.azs[7]"), Some(3));
        assert_eq!(ix.line_of("network.missing"), Some(2));
        assert_eq!(ix.line_of("nothing.here"), None);
        assert_eq!(ix.line_of("--region"), None);
    }

    #[test]
    fn paths_at_offsets() {
        let ix = index();
        let at = |needle: &str| ix.path_at(SRC.find(needle).unwrap());
        assert_eq!(at("\"b\"").as_deref(), Some("network.azs[1]"));
        assert_eq!(at("3040").as_deref(), Some("services.api.port"));
        assert_eq!(at("n = 1").as_deref(), Some("network.n"));
        assert_eq!(at("[network]").as_deref(), Some("network"));
        assert_eq!(ix.path_at(0), None);
    }

    #[test]
    fn syntax_keys() {
        let src = "top = = 1\n[network]\na = 1\n[services.api\nport = = 1\n";
        let key = |needle: &str| syntax_key(src, src.find(needle).unwrap());
        assert_eq!(key("= 1"), "top");
        assert_eq!(key("[services"), "services.api");
        assert_eq!(key("= = 1\n"), "top");
        assert_eq!(
            syntax_key(src, src.rfind("= 1").unwrap()),
            "services.api.port"
        );
        assert_eq!(syntax_key(src, 9999), "services.api");
        assert_eq!(syntax_key("", 0), "");
    }

    #[test]
    fn helpers() {
        assert_eq!(line_at("a\nb\nc", 0), 1);
        assert_eq!(line_at("a\nb\nc", 2), 2);
        assert_eq!(line_at("a\nb\nc", 999), 3);
        assert_eq!(line_at("é\n", 1), 1);
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.\"x.y\""), Some("a"));
        assert_eq!(parent("a"), None);
        assert_eq!(join("a", "b c"), "a.\"b c\"");
    }
}

/// End to end: each kind of mistake in a real file is reported with the right key and line.
#[cfg(test)]
mod problem_tests {
    use std::path::{Path, PathBuf};

    use super::super::{parse_str, ConfigError, Problem};

    fn shipped(env: &str) -> String {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs");
        std::fs::read_to_string(dir.join(format!("{env}.toml"))).unwrap()
    }

    /// Problems from `env`'s file with `from` replaced by `to` (exactly once).
    fn problems(env: &str, from: &str, to: &str) -> (String, Vec<Problem>) {
        let src = shipped(env);
        assert_eq!(
            src.matches(from).count(),
            1,
            "{from:?} must occur once in {env}.toml"
        );
        let src = src.replacen(from, to, 1);
        let file = PathBuf::from(format!("envs/{env}.toml"));
        match parse_str(&src, &file, None) {
            Err(ConfigError::Invalid { problems, .. }) => (src, problems),
            other => panic!("expected Invalid for {to:?}, got {other:?}"),
        }
    }

    /// 1-based line of the first occurrence of `needle`.
    fn line_of(src: &str, needle: &str) -> usize {
        let at = src.find(needle).unwrap();
        1 + src[..at].matches('\n').count()
    }

    #[test]
    fn malformed_inputs_name_key_line_and_fix() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
            // (env, replace, with, expected key, line of this text, message fragment)
            ("staging", "[environment]", "colour = \"red\"\n[environment]", "colour", "colour", "allowed keys here: `environment`, `network`"),
            ("staging", "nat_gateways = 1\n", "nat_gateways = 1\nnat_count = 2\n", "network.nat_count", "nat_count", "allowed keys here"),
            ("staging", "\"10.20.0.0/16\"", "\"10.20.0.0/33\"", "network.vpc_cidr", "10.20.0.0/33", "not an IPv4 CIDR block"),
            ("staging", "\"10.20.20.0/28\"", "\"10.20.1.0/28\"", "network.database_subnet_cidrs[0]", "10.20.1.0/28", "overlaps network.public_subnet_cidrs[1]"),
            ("staging", "\"10.20.1.0/24\"", "\"10.30.1.0/24\"", "network.public_subnet_cidrs[1]", "10.30.1.0/24", "is outside the VPC 10.20.0.0/16"),
            ("staging", "\"10.20.1.0/24\"", "\"10.20.1.5/24\"", "network.public_subnet_cidrs[1]", "10.20.1.5/24", "did you mean 10.20.1.0/24"),
            ("staging", "[\"us-east-1a\", \"us-east-1b\"]", "[\"us-east-1a\"]", "network.availability_zones", "[\"us-east-1a\"]", "at least 2 distinct AZs"),
            ("staging", "\"us-east-1b\"]", "\"us-west-2b\"]", "network.availability_zones[1]", "us-west-2b", "not an availability zone of region us-east-1"),
            ("staging", "\"us-east-1b\"]", "\"us-east-1a\"]", "network.availability_zones[1]", "availability_zones", "listed twice"),
            ("dev", "private_subnet_cidrs = []", "private_subnet_cidrs = [\"10.10.10.0/24\", \"10.10.11.0/24\"]", "network.private_subnet_cidrs", "private_subnet_cidrs =", "no way out"),
            ("staging", "nat_gateways = 1", "nat_gateways = 3", "network.nat_gateways", "nat_gateways = 3", "allowed 0..=2"),
            ("staging", "memory_mib = 1024\n# Tasks started", "memory_mib = 512\n# Tasks started", "services.api.memory_mib", "memory_mib = 512", "1024..=4096 in steps of 1024"),
            ("staging", "cpu = 512\n# Fargate memory (MiB); must be valid for the cpu value.\nmemory_mib = 1024\n# Tasks to", "cpu = 300\n# Fargate memory (MiB); must be valid for the cpu value.\nmemory_mib = 1024\n# Tasks to", "services.ui.cpu", "cpu = 300", "allowed 256, 512"),
            ("staging", "\"16.4\"", "\"14.12\"", "database.engine_version", "14.12", "pgvector needs major version 15"),
            ("staging", "nat_gateways = 1", "nat_gateways = \"one\"", "network.nat_gateways", "\"one\"", "expected a whole number"),
            ("staging", "cpu_target_percent = 70", "cpu_target_percent = = 70", "autoscaling.cpu_target_percent", "= = 70", "TOML syntax error: extra `=`"),
            ("staging", "name = \"staging\"", "name = \"prod\"", "environment.name", "name = \"prod\"", "must equal the file stem"),
            ("staging", "backup_retention_days = 7\n", "", "database.backup_retention_days", "[database]", "required key `backup_retention_days` is missing"),
            ("staging", "\"rolling\"", "\"big-bang\"", "deployment.strategy", "big-bang", "allowed: `rolling`, `blue-green`"),
            ("staging", "log_retention_days = 30", "log_retention_days = 31", "monitoring.log_retention_days", "= 31", "allowed: 1, 3, 5, 7"),
            ("staging", "replicas = 0\n# Place the replica in another AZ.\nmulti_az = false", "replicas = 0\n# Place the replica in another AZ.\nmulti_az = true", "cache.multi_az", "multi_az = true", "needs cache.replicas >= 1"),
            ("staging", "container_port = 3000", "container_port = 3040", "services.ui.container_port", "container_port = 3040\n# Fargate CPU units.\ncpu = 512\n# Fargate memory (MiB); must be valid for the cpu value.\nmemory_mib = 1024\n# Tasks to", "need different ports"),
            ("staging", "max_capacity = 4", "max_capacity = 1", "autoscaling.max_capacity", "max_capacity = 1", "below autoscaling.min_capacity"),
            ("prod", "min_capacity = 2", "min_capacity = 4", "services.api.desired_count", "desired_count = 3", "min_capacity..=autoscaling.max_capacity (4..=10)"),
            ("staging", "health_check_path = \"/\"", "health_check_path = \"health\"", "services.ui.health_check_path", "\"health\"", "must start with \"/\""),
            ("staging", "stack = \"macro-ai\"", "stack = \"Macro_AI\"", "environment.stack", "Macro_AI", "lowercase letters"),
            ("staging", "# owner = \"platform-team\"", "\"aws:owner\" = \"x\"", "environment.tags.\"aws:owner\"", "aws:owner", "reserved"),
            ("staging", "# certificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/...\"", "certificate_arn = \"arn:aws:acm:eu-west-1:123456789012:certificate/abc\"", "integrations.certificate_arn", "certificate_arn =", "own region"),
            ("staging", "multi_az = false\n# Refuse", "multi_az = 1\n# Refuse", "database.multi_az", "multi_az = 1", "expected true or false"),
            ("staging", "[monitoring]", "[monitoring]\nalarm_emails = \"x\"", "monitoring.alarm_emails", "alarm_emails", "`alarm_email`"),
        ];
        for &(env, from, to, key, line_text, fragment) in cases {
            let (src, problems) = problems(env, from, to);
            let want_line = line_of(&src, line_text);
            let found = problems.iter().find(|p| p.key == key);
            let Some(p) = found else {
                panic!("{to:?}: no problem for {key}; got {problems:#?}");
            };
            assert_eq!(p.line, Some(want_line), "{to:?}: line of {key}: {p:?}");
            assert!(
                p.message.contains(fragment),
                "{to:?}: {:?} lacks {fragment:?}",
                p.message
            );
        }
    }

    #[test]
    fn all_problems_are_collected() {
        let src = shipped("staging")
            .replace("\"10.20.0.0/16\"", "\"10.20.0.0/12\"")
            .replace("cpu = 512", "cpu = 500")
            .replace("log_retention_days = 30", "log_retention_days = 2")
            .replace("backup_retention_days = 7", "backup_retention_days = 40");
        let err = parse_str(&src, Path::new("staging.toml"), None).unwrap_err();
        let ConfigError::Invalid { problems, .. } = &err else {
            panic!("{err:?}");
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "network.vpc_cidr",
            "services.api.cpu",
            "services.ui.cpu",
            "monitoring.log_retention_days",
            "database.backup_retention_days",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert!(problems.iter().all(|p| p.line.is_some()), "{problems:#?}");
        assert!(err
            .to_string()
            .starts_with("staging.toml: invalid configuration (5 problems)"));
    }

    #[test]
    fn missing_section_and_bad_override() {
        let src = shipped("staging");
        let start = src.find("[alarms]").unwrap();
        let end = src.find("[deployment]").unwrap();
        let cut = format!("{}{}", &src[..start], &src[end..]);
        let err = parse_str(&cut, Path::new("staging.toml"), None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("alarms: required key `alarms` is missing at the top level"),
            "{text}"
        );
        let err = parse_str(&src, Path::new("staging.toml"), Some("nowhere")).unwrap_err();
        let ConfigError::Invalid { problems, .. } = err else {
            panic!("{err:?}");
        };
        assert!(problems
            .iter()
            .any(|p| p.key == "--region" && p.line.is_none()));
    }
}
