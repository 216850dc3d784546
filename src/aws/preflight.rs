//! Checks made before the first AWS call, so a typo costs one clear error instead of a
//! minute of retries: the endpoint override answers (a TCP connect, a few short tries), and
//! the `--profile` asked for exists in the files the SDK reads.
//!
//! Without an endpoint override the regional AWS endpoints are used; they are not probed (a
//! DNS lookup and handshake on every command would cost real time for nothing).

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// How often, and how long each time, the endpoint is tried.
const PROBES: u32 = 3;
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const PROBE_PAUSE: Duration = Duration::from_millis(300);

/// `Err(why)` when nothing accepts a connection at `url`'s host and port.
pub fn probe_endpoint(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not a URL (expected e.g. http://127.0.0.1:5000)"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default_port = if scheme == "https" { 443 } else { 80 };
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    let address = if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    };
    let mut last = String::new();
    for attempt in 0..PROBES {
        if attempt > 0 {
            std::thread::sleep(PROBE_PAUSE);
        }
        let addresses = match address.to_socket_addrs() {
            Ok(addresses) => addresses.collect::<Vec<_>>(),
            Err(err) => {
                last = format!("cannot resolve {address}: {err}");
                continue;
            }
        };
        for socket in &addresses {
            match TcpStream::connect_timeout(socket, PROBE_TIMEOUT) {
                Ok(_) => return Ok(()),
                Err(err) => last = format!("{socket}: {err}"),
            }
        }
    }
    Err(last)
}

/// `Err(message)` when `profile` is in neither the config nor the credentials file.
pub fn check_profile(profile: &str) -> Result<(), String> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let config = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let credentials = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let mut known = profiles(&config, true);
    known.extend(profiles(&credentials, false));
    known.sort();
    known.dedup();
    if known.iter().any(|name| name == profile) {
        return Ok(());
    }
    Err(format!(
        "AWS profile `{profile}` is not in {} or {} ({})",
        config.display(),
        credentials.display(),
        if known.is_empty() {
            "they define no profile".to_string()
        } else {
            format!("profiles there: {}", known.join(", "))
        }
    ))
}

/// The profile names a file defines: `[profile NAME]` (and `[default]`) in the config file,
/// `[NAME]` in the credentials file.
fn profiles(path: &std::path::Path, config: bool) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let section = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            if !config {
                return Some(section.to_string());
            }
            match section.strip_prefix("profile ") {
                Some(name) => Some(name.trim().to_string()),
                None if section == "default" => Some(section.to_string()),
                None => None, // [sso-session x], [services y]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_come_from_both_files_in_their_own_syntax() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nregion=us-east-1\n[profile real]\n[sso-session corp]\n",
        )
        .unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(&credentials, "[ci]\naws_access_key_id=x\n").unwrap();
        assert_eq!(profiles(&config, true), ["default", "real"]);
        assert_eq!(profiles(&credentials, false), ["ci"]);
    }

    #[test]
    fn a_closed_port_is_reported_with_its_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(probe_endpoint(&format!("http://127.0.0.1:{port}")).is_ok());
        drop(listener);
        let err = probe_endpoint(&format!("http://127.0.0.1:{port}/")).unwrap_err();
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(probe_endpoint("127.0.0.1:1")
            .unwrap_err()
            .contains("not a URL"));
    }
}
