//! Harness shared by the integration tests (`mod support;` in each test file).
//!
//! * [`Emulator`]: a private moto server (the AWS emulator) for one test, on a free loopback
//!   port, with request recording on, killed by its own PID when dropped.
//! * [`RecordedCall`]: the AWS API calls the emulator received, read from moto's recording.
//! * [`Workspace`]: a temp dir with a copy of `envs/` and a `state/` dir, and a builder for
//!   `macroctl` commands pointed at the emulator with test credentials and no AWS profile.
//!
//! moto_server comes from `MACROCTL_TEST_MOTO_SERVER` or `<repo>/.venv/bin/moto_server`;
//! `make test` installs it (pinned) and sets the variable. Both emulators run
//! `tests/emulator/launcher.py` with the Python next to that moto_server (or
//! `<repo>/.venv/bin/python`): [`Emulator::start`] as moto is, except for the answers the Rust
//! SDK cannot parse (`MACROCTL_EMULATOR_WIRE_ONLY=1`: moto's `GetBucketVersioning` has the
//! wrong root element), [`Emulator::start_realistic`] with creation delays, ECS rollouts and
//! the rest of the launcher's extensions.
//!
//! Each test file uses only a subset of this module.
#![allow(dead_code)]

/// An SDK client of any service for the emulator in `region` (test credentials), e.g.
/// `sdk_client!(aws_sdk_acm, emulator, "us-east-1")`: the edge's services live in two regions,
/// so tests build clients per region.
#[macro_export]
macro_rules! sdk_client {
    ($krate:ident, $emulator:expr, $region:expr) => {{
        let config = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new($region.to_string()))
            .endpoint_url($emulator.endpoint())
            .credentials_provider($krate::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        $krate::Client::from_conf(config)
    }};
}

/// Like [`sdk_client!`], but as the IAM user whose access key is `$key` (an [`AccessKey`]),
/// for the emulator with IAM enforcement on ([`Emulator::start_iam_enforced`]).
#[macro_export]
macro_rules! sdk_client_as {
    ($krate:ident, $emulator:expr, $region:expr, $key:expr) => {{
        let config = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new($region.to_string()))
            .endpoint_url($emulator.endpoint())
            .credentials_provider($krate::config::Credentials::new(
                $key.id.clone(),
                $key.secret.clone(),
                None,
                None,
                "test-user",
            ))
            .build();
        $krate::Client::from_conf(config)
    }};
}

pub mod census;
mod census_edge;
pub mod faults;
pub mod inspect;
mod recording;

pub use recording::RecordedCall;
use recording::{percent_decode, recorded_body};

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a freshly spawned moto server has to answer HTTP.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Spawn attempts when the picked port was taken by someone else in the meantime.
const PORT_ATTEMPTS: usize = 5;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python for the launcher: the `python` next to
/// `MACROCTL_TEST_MOTO_SERVER`, or `<repo>/.venv/bin/python`.
fn launcher_python_path() -> PathBuf {
    let path = match std::env::var_os("MACROCTL_TEST_MOTO_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p)
            .parent()
            .map(|dir| dir.join("python"))
            .unwrap_or_else(|| PathBuf::from("python")),
        _ => manifest_dir().join(".venv/bin/python"),
    };
    if !path.is_file() {
        panic!(
            "the venv's python not found: run the tests with `make test`, which installs it \
             (looked for {})",
            path.display()
        );
    }
    path
}

fn launcher_script_path() -> PathBuf {
    let path = manifest_dir().join("tests/emulator/launcher.py");
    if !path.is_file() {
        panic!("{} not found", path.display());
    }
    path
}

/// Which emulator program [`Emulator::spawn`] runs.
#[derive(Clone, Copy)]
enum EmulatorKind<'a> {
    /// moto as installed, but for the answers the SDK cannot parse (the launcher with
    /// `MACROCTL_EMULATOR_WIRE_ONLY=1`).
    Plain,
    /// tests/emulator/launcher.py with these extra environment variables.
    Realistic(&'a [(&'a str, &'a str)]),
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind a free loopback port")
}

// ---------------------------------------------------------------------------------------------
// Emulator
// ---------------------------------------------------------------------------------------------

/// An SDK client of crate `$krate` pointed at the emulator with static test credentials.
macro_rules! client {
    ($emulator:expr, $krate:ident) => {{
        let config = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new("us-east-1"))
            .endpoint_url($emulator.endpoint())
            .credentials_provider($krate::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        $krate::Client::from_conf(config)
    }};
}

/// A moto server private to one test. Dropping it kills the server (by its PID) and waits.
pub struct Emulator {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    recording: PathBuf,
    log: PathBuf,
}

impl Emulator {
    /// Starts moto_server on a free loopback port and waits (up to 30 s) until it answers.
    /// Panics, showing the server log, if it cannot be started.
    pub fn start() -> Emulator {
        Emulator::spawn(EmulatorKind::Plain)
    }

    /// Like [`Emulator::start`], but runs the realistic emulator,
    /// `<venv>/bin/python tests/emulator/launcher.py --host 127.0.0.1 --port P`, with the
    /// given extra environment variables, e.g.
    /// `&[("MACROCTL_EMULATOR_CREATE_SECONDS", "rds=2")]` (see the launcher's docstring for
    /// the variables; its defaults: no creation delays, ECS rollouts of 3 s). The
    /// `MACROCTL_EMULATOR_*` variables of the test process itself are not passed on.
    pub fn start_realistic(settings: &[(&str, &str)]) -> Emulator {
        Emulator::spawn(EmulatorKind::Realistic(settings))
    }

    fn spawn(kind: EmulatorKind<'_>) -> Emulator {
        let (program, script, what) = match kind {
            EmulatorKind::Plain => (
                launcher_python_path(),
                Some(launcher_script_path()),
                "moto (tests/emulator/launcher.py, wire fixes only)",
            ),
            EmulatorKind::Realistic(_) => (
                launcher_python_path(),
                Some(launcher_script_path()),
                "the realistic emulator (tests/emulator/launcher.py)",
            ),
        };
        let dir = tempfile::Builder::new()
            .prefix("macroctl-emulator-")
            .tempdir()
            .expect("cannot create the emulator's temp dir");
        let recording = dir.path().join("recording.jsonl");
        let log = dir.path().join("moto.log");
        fs::write(&recording, "").expect("cannot create the recording file");

        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let log_file = fs::File::create(&log).expect("cannot create the emulator log");
            let log_err = log_file
                .try_clone()
                .expect("cannot clone the log file handle");
            let mut cmd = Command::new(&program);
            match &script {
                None => cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]),
                Some(script) => {
                    cmd.arg(script)
                        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                }
            };
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("MACROCTL_EMULATOR_") {
                    cmd.env_remove(&key);
                }
            }
            match &kind {
                EmulatorKind::Plain => {
                    cmd.env("MACROCTL_EMULATOR_WIRE_ONLY", "1");
                }
                EmulatorKind::Realistic(settings) => {
                    for (key, value) in settings.iter() {
                        cmd.env(key, value);
                    }
                }
            }
            cmd.env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ENABLE_RECORDING", "true")
                .env("MOTO_RECORDER_FILEPATH", &recording)
                .env_remove("MOTO_PORT")
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::from(log_file))
                .stderr(Stdio::from(log_err));
            let mut child = spawn_tied_to_this_process(cmd)
                .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", program.display()));
            match wait_ready(&mut child, port, &log) {
                Ok(()) => {
                    return Emulator {
                        child,
                        port,
                        dir,
                        recording,
                        log,
                    }
                }
                Err(exited_early) => {
                    kill_and_wait(&mut child);
                    last_log = fs::read_to_string(&log).unwrap_or_default();
                    let port_taken = exited_early
                        && (last_log.contains("Address already in use")
                            || last_log.contains("is in use by another program"));
                    if !port_taken {
                        let outcome = if exited_early {
                            "exited during startup".to_string()
                        } else {
                            format!("did not become ready within {READY_TIMEOUT:?}")
                        };
                        panic!(
                            "{what} on port {port} {outcome}\n--- {} ---\n{last_log}",
                            log.display()
                        );
                    }
                    // Someone took the port between picking and binding it: try another.
                }
            }
        }
        panic!("{what}: every port tried was taken ({PORT_ATTEMPTS} attempts)\n{last_log}");
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's PID (for tests that check it is stopped, etc.).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// moto_server's combined stdout/stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Forgets every request recorded so far.
    pub fn reset_recording(&self) {
        fs::write(&self.recording, "").expect("cannot truncate the emulator recording");
    }

    /// Forgets every resource of every account (`POST /moto-api/reset`): a fresh AWS without
    /// the seconds a new server takes to start.
    pub fn reset(&self) {
        let request = format!(
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            port = self.port
        );
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .expect("cannot connect to the emulator");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("cannot set a read timeout");
        stream
            .write_all(request.as_bytes())
            .expect("cannot send the reset");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "the emulator did not reset: {response}"
        );
    }

    /// Every AWS API call recorded since start (or the last [`reset_recording`]), in order.
    /// moto's own `/moto-api/...` endpoints are left out.
    ///
    /// [`reset_recording`]: Emulator::reset_recording
    pub fn recorded_calls(&self) -> Vec<RecordedCall> {
        let text = fs::read_to_string(&self.recording).expect("cannot read the emulator recording");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|line| {
                // A line still being appended may be cut short: skip what does not parse.
                let entry: serde_json::Value = serde_json::from_str(line).ok()?;
                RecordedCall::from_entry(&entry)
            })
            .collect()
    }

    /// The form parameters of every recorded query-protocol request (EC2, RDS, ElastiCache,
    /// ...) for `action`, in order: what macroctl actually asked AWS for, for checking fields
    /// the emulator accepts but does not report back.
    pub fn recorded_params(&self, action: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let text = fs::read_to_string(&self.recording).expect("cannot read the emulator recording");
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| {
                RecordedCall::from_entry(entry).is_some_and(|call| call.action == action)
            })
            .map(|entry| {
                recorded_body(&entry)
                    .split('&')
                    .filter_map(|pair| {
                        let (key, value) = pair.split_once('=')?;
                        Some((percent_decode(key), percent_decode(value)))
                    })
                    .collect()
            })
            .collect()
    }

    /// The JSON bodies of every recorded JSON-protocol request (ECS, ECR, CloudWatch Logs,
    /// Secrets Manager, ...) for `action`, in order: what macroctl actually asked for, e.g.
    /// `recorded_json("CreateService")[0]["deploymentConfiguration"]["strategy"]`. A body that
    /// is not JSON (a query-protocol call: use [`recorded_params`]) is `Value::Null`.
    ///
    /// [`recorded_params`]: Emulator::recorded_params
    pub fn recorded_json(&self, action: &str) -> Vec<serde_json::Value> {
        let text = fs::read_to_string(&self.recording).expect("cannot read the emulator recording");
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| {
                RecordedCall::from_entry(entry).is_some_and(|call| call.action == action)
            })
            .map(|entry| serde_json::from_str(&recorded_body(&entry)).unwrap_or_default())
            .collect()
    }

    /// Requests an ACM certificate for `domain` from the emulator and returns its ARN. moto
    /// refuses an HTTPS listener whose ACM certificate it does not hold (CertificateNotFound),
    /// and gives imported or requested certificates ARNs of its own choosing, so a test that
    /// needs an HTTPS listener uses this ARN. One raw JSON-protocol call (the harness has no
    /// ACM SDK crate; moto does not check signatures).
    pub fn acm_certificate(&self, domain: &str) -> String {
        let body = serde_json::json!({ "DomainName": domain }).to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
             Content-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: CertificateManager.RequestCertificate\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len(),
            port = self.port
        );
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .expect("cannot connect to the emulator");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("cannot set a read timeout");
        stream
            .write_all(request.as_bytes())
            .expect("cannot send RequestCertificate");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("cannot read the RequestCertificate response");
        let (_, payload) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("malformed RequestCertificate response: {response}"));
        let value: serde_json::Value = serde_json::from_str(payload.trim())
            .unwrap_or_else(|_| panic!("RequestCertificate did not answer JSON: {response}"));
        value["CertificateArn"]
            .as_str()
            .unwrap_or_else(|| panic!("no CertificateArn in {response}"))
            .to_string()
    }

    /// The realistic emulator (with `settings`, as [`Emulator::start_realistic`]) with IAM
    /// enforcement on after its setup: moto's `INITIAL_NO_AUTH_ACTION_COUNT` lets the first
    /// [`IAM_SETUP_REQUESTS`] authorized requests through unchecked, and these are the
    /// harness's own (two users, `admin` with every action allowed, for the test's independent
    /// checks, and `ci` with `ci_policy` as its only, inline, policy; an access key each).
    /// Every request after is checked against the caller's policies (see
    /// `tests/emulator/iam_enforcement.py` for what moto checks and what it does not), which
    /// this checks before returning: the static test credentials are refused from then on.
    pub async fn start_iam_enforced(
        settings: &[(&str, &str)],
        ci_policy: &str,
    ) -> (Emulator, IamUsers) {
        let count = IAM_SETUP_REQUESTS.to_string();
        let mut all: Vec<(&str, &str)> = settings.to_vec();
        all.push(("INITIAL_NO_AUTH_ACTION_COUNT", &count));
        let emulator = Emulator::start_realistic(&all);
        let iam = client!(emulator, aws_sdk_iam);
        let admin = create_user(&iam, "admin", ADMIN_POLICY).await;
        let ci = create_user(&iam, "ci", ci_policy).await;
        // The setup used up the unchecked requests: unknown credentials are refused now.
        let refused = iam.list_users().send().await;
        assert!(
            refused.is_err(),
            "IAM enforcement is not on after the {IAM_SETUP_REQUESTS} setup requests"
        );
        (emulator, IamUsers { admin, ci })
    }

    /// Replaces the `ci` user's policy (as `admin`).
    pub async fn set_ci_policy(&self, users: &IamUsers, policy: &str) {
        let iam = sdk_client_as!(aws_sdk_iam, self, "us-east-1", users.admin);
        iam.put_user_policy()
            .user_name("ci")
            .policy_name(CI_POLICY_NAME)
            .policy_document(policy)
            .send()
            .await
            .expect("cannot replace the ci user's policy");
    }

    /// The recorded calls that change something: see [`RecordedCall::is_mutating`].
    pub fn mutating_calls(&self) -> Vec<RecordedCall> {
        self.recorded_calls()
            .into_iter()
            .filter(RecordedCall::is_mutating)
            .collect()
    }

    /// The application layer's SDK clients, built like [`Emulator::ec2`].
    pub async fn iam(&self) -> aws_sdk_iam::Client {
        client!(self, aws_sdk_iam)
    }

    pub async fn ecr(&self) -> aws_sdk_ecr::Client {
        client!(self, aws_sdk_ecr)
    }

    pub async fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        client!(self, aws_sdk_cloudwatchlogs)
    }

    pub async fn elb(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        client!(self, aws_sdk_elasticloadbalancingv2)
    }

    pub async fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        client!(self, aws_sdk_applicationautoscaling)
    }

    pub async fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        client!(self, aws_sdk_cloudwatch)
    }

    pub async fn sns(&self) -> aws_sdk_sns::Client {
        client!(self, aws_sdk_sns)
    }

    pub async fn cloudtrail(&self) -> aws_sdk_cloudtrail::Client {
        client!(self, aws_sdk_cloudtrail)
    }

    /// Cognito user pools (`cognito-idp`).
    pub async fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        client!(self, aws_sdk_cognitoidentityprovider)
    }

    /// WAFv2 in us-east-1: the REGIONAL web ACLs of environments there, and every
    /// CLOUDFRONT-scope one (managed in us-east-1 only).
    pub async fn wafv2(&self) -> aws_sdk_wafv2::Client {
        client!(self, aws_sdk_wafv2)
    }

    /// An S3 client (path-style: the emulator has no per-bucket host names).
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An SDK client of its own pointed at this emulator (us-east-1, static test
    /// credentials); it reads no environment variables or profile files.
    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// An RDS client built like [`Emulator::ec2`].
    pub async fn rds(&self) -> aws_sdk_rds::Client {
        let config = aws_sdk_rds::Config::builder()
            .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
            .region(aws_sdk_rds::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_rds::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_rds::Client::from_conf(config)
    }

    /// An ElastiCache client built like [`Emulator::ec2`].
    pub async fn elasticache(&self) -> aws_sdk_elasticache::Client {
        let config = aws_sdk_elasticache::Config::builder()
            .behavior_version(aws_sdk_elasticache::config::BehaviorVersion::latest())
            .region(aws_sdk_elasticache::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_elasticache::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_elasticache::Client::from_conf(config)
    }

    /// An ECS client built like [`Emulator::ec2`].
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    /// A Secrets Manager client built like [`Emulator::ec2`].
    pub async fn secretsmanager(&self) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }
}

/// How many requests [`Emulator::start_iam_enforced`] makes before IAM enforcement begins:
/// CreateUser, PutUserPolicy and CreateAccessKey, for each of its two users.
pub const IAM_SETUP_REQUESTS: usize = 6;

const CI_POLICY_NAME: &str = "macroctl-ci";

/// The test's own administrator: every action (a test fixture, never macroctl's output).
const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// An IAM user's access key. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessKey({}, secret redacted)", self.id)
    }
}

/// The users of [`Emulator::start_iam_enforced`].
#[derive(Debug, Clone)]
pub struct IamUsers {
    pub admin: AccessKey,
    pub ci: AccessKey,
}

/// Three requests: the user, its inline policy, its access key.
async fn create_user(iam: &aws_sdk_iam::Client, name: &str, policy: &str) -> AccessKey {
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the IAM user {name}: {e:?}"));
    iam.put_user_policy()
        .user_name(name)
        .policy_name(CI_POLICY_NAME)
        .policy_document(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot put {name}'s policy: {e:?}"));
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create {name}'s access key: {e:?}"));
    let key = key.access_key().expect("CreateAccessKey returned no key");
    AccessKey {
        id: key.access_key_id().to_string(),
        secret: key.secret_access_key().to_string(),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

/// Ok once our server answers HTTP; Err(true) if the process exited, Err(false) on timeout.
///
/// "Ours": werkzeug logs ` * Running on http://127.0.0.1:PORT` once it has bound the port.
/// Without that check a server of a parallel test that got the same port could answer the
/// probe while ours is failing with "Address already in use".
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> Result<(), bool> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let bound_line = format!("Running on http://127.0.0.1:{port}");
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Err(true);
        }
        let bound = fs::read_to_string(log).is_ok_and(|text| text.contains(&bound_line));
        if bound && http_answers(port) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the child by its PID (unless it already exited) and reaps it.
fn kill_and_wait(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// True when something on 127.0.0.1:port answers `GET /moto-api/data.json` with any HTTP
/// status line. Raw HTTP/1.1 over a TcpStream: the harness has no HTTP client crate.
fn http_answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "GET /moto-api/data.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match stream.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => break,
        }
    }
    head[..got].starts_with(b"HTTP/1.")
}

/// Spawns `cmd` from one long-lived harness thread, with the child set to get SIGKILL when
/// its parent goes away (PR_SET_PDEATHSIG): a test binary that is killed or aborts leaves no
/// moto server behind. The signal is tied to the *thread* that forked, so forking happens on
/// a thread that lives as long as the test process, never on a short-lived test thread.
fn spawn_tied_to_this_process(mut cmd: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();

    let parent_pid = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls (prctl, getppid, kill) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent_pid {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }

    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("emulator-spawner".into())
            .spawn(move || {
                // Runs until the process exits: the sender lives in a static.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("cannot start the emulator spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .expect("emulator spawner thread is gone");
    reply_rx.recv().expect("emulator spawner thread is gone")
}

// ---------------------------------------------------------------------------------------------
// Workspace
// ---------------------------------------------------------------------------------------------

/// A temp dir for one test: a copy of the repo's `envs/` (tests may edit it) and an empty
/// `state/` dir, plus the emulator endpoint that macroctl commands are pointed at.
pub struct Workspace {
    dir: tempfile::TempDir,
    endpoint: String,
    /// The access key macroctl runs with: the static test credentials unless
    /// [`Workspace::use_credentials`] set an IAM user's.
    credentials: AccessKey,
}

/// What a finished macroctl run printed, and its exit code (-1 if killed by a signal).
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    /// Panics, showing stdout and stderr, unless the exit code is `expected`.
    #[track_caller]
    pub fn assert_code(&self, expected: i32) -> &RunOutput {
        if self.code != expected {
            panic!(
                "expected exit code {expected}, got {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.code, self.stdout, self.stderr
            );
        }
        self
    }

    /// Panics, showing stdout and stderr, unless the run exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &RunOutput {
        self.assert_code(0)
    }
}

impl Workspace {
    pub fn new(emulator: &Emulator) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("macroctl-workspace-")
            .tempdir()
            .expect("cannot create the workspace temp dir");
        let source = manifest_dir().join("envs");
        if !source.is_dir() {
            panic!(
                "{} not found: the tests need the repo's envs/",
                source.display()
            );
        }
        copy_dir(&source, &dir.path().join("envs"))
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", source.display()));
        fs::create_dir(dir.path().join("state")).expect("cannot create the state dir");
        Workspace {
            dir,
            endpoint: emulator.endpoint(),
            credentials: AccessKey {
                id: "testing".into(),
                secret: "testing".into(),
            },
        }
    }

    /// Runs macroctl as the IAM user whose key this is, from now on (for the emulator with
    /// IAM enforcement on).
    pub fn use_credentials(&mut self, key: &AccessKey) {
        self.credentials = key.clone();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn envs_dir(&self) -> PathBuf {
        self.dir.path().join("envs")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// `<envs_dir>/<name>.toml` (`name` may already end in `.toml`).
    pub fn env_file(&self, name: &str) -> PathBuf {
        if name.ends_with(".toml") {
            self.envs_dir().join(name)
        } else {
            self.envs_dir().join(format!("{name}.toml"))
        }
    }

    /// Rewrites an env file: `edit` gets its text and returns the new text.
    pub fn edit_env(&self, name: &str, edit: impl FnOnce(String) -> String) {
        let path = self.env_file(name);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        fs::write(&path, edit(text))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// A `macroctl ARGS --envs-dir DIR --state-dir DIR` command aimed at the emulator, with
    /// static test credentials (or those of [`Workspace::use_credentials`]), no AWS profile or config/credentials files, no RUST_LOG and
    /// NO_COLOR=1. With a `--` in ARGS (`run -- COMMAND`), the directories go before it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_macroctl"));
        let split = args
            .iter()
            .position(|arg| *arg == "--")
            .unwrap_or(args.len());
        cmd.args(&args[..split])
            .arg("--envs-dir")
            .arg(self.envs_dir())
            .arg("--state-dir")
            .arg(self.state_dir())
            .args(&args[split..])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.credentials.id)
            .env("AWS_SECRET_ACCESS_KEY", &self.credentials.secret)
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env("AWS_CONFIG_FILE", self.dir.path().join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `macroctl ARGS` (see [`Workspace::command`]) to completion.
    pub fn run(&self, args: &[&str]) -> RunOutput {
        let output = self
            .command(args)
            .output()
            .expect("cannot run the macroctl binary");
        RunOutput {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
