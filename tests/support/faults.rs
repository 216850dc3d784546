//! Driving the realistic emulator's fault injection (`tests/emulator/faults.py`) from a test.
//!
//! The emulator answers `/_macroctl/faults` itself: POST a JSON configuration (see the
//! "Faults" section of `tests/emulator/launcher.py` for the schema) to replace the current
//! one, GET it back with counters, DELETE it. These are plain HTTP calls over a `TcpStream`,
//! like the readiness probe: the harness has no HTTP client crate.

use super::Emulator;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

const CONTROL_PATH: &str = "/_macroctl/faults";

impl Emulator {
    /// Replaces the emulator's whole fault configuration (rules, windows, creation times)
    /// and resets its counters, e.g.
    /// `json!({"rules": [{"fault": "throttle", "service": "ec2", "count": 1}]})`.
    /// Panics with the emulator's message if it refuses the configuration.
    #[track_caller]
    pub fn set_faults(&self, config: &serde_json::Value) {
        if let Err((status, message)) = self.try_set_faults(config) {
            panic!("the emulator refused the fault configuration (HTTP {status}): {message}");
        }
    }

    /// Like [`Emulator::set_faults`], but a refused configuration is `Err((HTTP status,
    /// the emulator's message))`; the message starts with the bad key.
    pub fn try_set_faults(&self, config: &serde_json::Value) -> Result<(), (u16, String)> {
        let (status, answer) = self.control("POST", Some(&config.to_string()));
        if (200..300).contains(&status) {
            return Ok(());
        }
        let message = answer["error"]
            .as_str()
            .map_or_else(|| answer.to_string(), str::to_string);
        Err((status, message))
    }

    /// Back to no faults (and fresh counters).
    #[track_caller]
    pub fn clear_faults(&self) {
        let (status, answer) = self.control("DELETE", None);
        assert_eq!(status, 200, "DELETE {CONTROL_PATH} failed: {answer}");
    }

    /// The configuration in force and the counters since it was set:
    /// `{"config": {...}, "injected": {"throttle": {"ec2:DescribeVpcs": 2}, ...},
    /// "replayed": {"ec2:CreateNatGateway": 1}, "requests": N}`.
    #[track_caller]
    pub fn fault_counts(&self) -> serde_json::Value {
        let (status, answer) = self.control("GET", None);
        assert_eq!(status, 200, "GET {CONTROL_PATH} failed: {answer}");
        answer
    }

    /// How many times `fault` was injected into `call` (`"ec2:CreateVpc"`) so far.
    #[track_caller]
    pub fn injected(&self, fault: &str, call: &str) -> u64 {
        self.fault_counts()["injected"][fault][call]
            .as_u64()
            .unwrap_or(0)
    }

    /// One request to the control endpoint: (HTTP status, JSON body).
    #[track_caller]
    fn control(&self, method: &str, body: Option<&str>) -> (u16, serde_json::Value) {
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {CONTROL_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len(),
            port = self.port(),
        );
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port()))
            .expect("cannot connect to the emulator");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("cannot set a read timeout");
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("cannot send {method} {CONTROL_PATH}: {e}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|e| panic!("cannot read the answer to {method} {CONTROL_PATH}: {e}"));
        parse_answer(&response)
            .unwrap_or_else(|| panic!("malformed answer to {method} {CONTROL_PATH}: {response}"))
    }
}

/// `HTTP/1.1 400 BAD REQUEST\r\n...\r\n\r\n{json}` -> (400, json)
fn parse_answer(response: &str) -> Option<(u16, serde_json::Value)> {
    let (head, payload) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(payload.trim()).ok()?))
}
