//! Bad input gets a clear message naming the file, key and remedy, exit 1, never a panic, and
//! no request reaches AWS (the emulator's recorder must stay empty).
mod support;

use support::{Emulator, RunOutput, Workspace};

#[track_caller]
fn assert_clean_failure(run: &RunOutput, fragments: &[&str]) {
    run.assert_code(1);
    assert!(run.stderr.contains("error:"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for fragment in fragments {
        assert!(
            run.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn malformed_env_files_are_rejected_before_any_aws_call() {
    let emulator = Emulator::start();
    // (what to replace, with what, fragments the message must contain)
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "nat_gateways = 0",
            "nat_gateways = 0\nbogus_key = 1",
            &["dev.toml:", "network.bogus_key", "unknown key", "vpc_cidr"],
        ),
        (
            "vpc_cidr = \"10.10.0.0/16\"",
            "vpc_cidr = \"10.10.0.0/33\"",
            &["dev.toml:", "network.vpc_cidr", "10.20.0.0/16"],
        ),
        (
            "\"10.10.1.0/24\"",
            "\"10.10.0.128/25\"",
            &["dev.toml:", "network.public_subnet_cidrs[1]", "overlaps"],
        ),
        (
            "\"10.10.1.0/24\"",
            "\"10.99.1.0/24\"",
            &["network.public_subnet_cidrs[1]", "10.10.0.0/16"],
        ),
        (
            "availability_zones = [\"us-east-1a\", \"us-east-1b\"]",
            "availability_zones = [\"us-east-1a\"]",
            &["network.availability_zones", "two"],
        ),
        (
            "nat_gateways = 0",
            "nat_gateways = \"none\"",
            &["dev.toml:", "network.nat_gateways"],
        ),
        ("[network]", "[network", &["dev.toml:"]),
        (
            "container_port = 3040",
            "container_port = 3000",
            &["services", "container_port"],
        ),
        (
            "# bucket_prefix = \"macro-ai-dev\"",
            "bucket_prefix = \"Macro_AI\"",
            &[
                "dev.toml:",
                "storage.bucket_prefix",
                "lowercase letters, digits and dashes",
            ],
        ),
        (
            "noncurrent_version_days = 7",
            "noncurrent_version_days = 0",
            &["dev.toml:", "storage.noncurrent_version_days", "1..=3650"],
        ),
        (
            "cloudwatch_logs = false",
            "cloudwatch_logs = \"yes\"",
            &["dev.toml:", "cloudtrail.cloudwatch_logs"],
        ),
        (
            "# domain = \"dev.app.example.com\"",
            "domain = \"Dev_App\"",
            &["dev.toml:", "dns.domain", "not a DNS name"],
        ),
        (
            "create_zone = false",
            "create_zone = true",
            &["dev.toml:", "dns.create_zone", "needs dns.domain"],
        ),
        (
            "# domain = \"dev.app.example.com\"",
            "domain = \"app.example.com\"\nzone = \"example.org\"",
            &["dev.toml:", "dns.domain", "not inside the zone"],
        ),
    ];
    for (from, to, fragments) in cases {
        let ws = Workspace::new(&emulator);
        ws.edit_env("dev", |text| {
            assert!(text.contains(from), "dev.toml lacks `{from}`");
            text.replacen(from, to, 1)
        });
        emulator.reset_recording();
        for command in ["plan", "up", "status"] {
            let run =
                ws.run(&[command, "--env", "dev", "--yes"][..if command == "up" { 4 } else { 3 }]);
            assert_clean_failure(&run, fragments);
        }
        assert!(
            emulator.recorded_calls().is_empty(),
            "case `{to}`: AWS was called: {:?}",
            emulator.recorded_calls()
        );
    }
}

#[test]
fn unknown_environments_flags_and_values_are_clear() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let missing = ws.run(&["plan", "--env", "qa"]);
    assert_clean_failure(&missing, &["qa", "dev, prod, staging"]);

    let flag = ws.run(&["plan", "--env", "dev", "--bogus"]);
    assert_clean_failure(&flag, &["--bogus"]);

    let duration = ws.run(&["up", "--env", "dev", "--lock-timeout", "5 parsecs"]);
    assert_clean_failure(&duration, &["--lock-timeout", "5m"]);

    let parallelism = ws.run(&["up", "--env", "dev", "--parallelism", "0"]);
    assert_clean_failure(&parallelism, &["--parallelism"]);
    assert!(emulator.recorded_calls().is_empty());

    // Help is not an error.
    let help = ws.run(&["up", "--help"]);
    help.assert_success();
    assert!(help.stdout.contains("--yes"));
}

#[test]
fn a_corrupted_state_file_is_reported_and_left_untouched() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let path = ws.state_dir().join("dev.json");
    let garbage = "{\"schema_version\": 1, \"serial\": 3, \"lineage\": ";
    std::fs::write(&path, garbage).unwrap();
    for command in [
        &["up", "--env", "dev", "--yes"][..],
        &["plan", "--env", "dev"][..],
    ] {
        let run = ws.run(command);
        assert_clean_failure(&run, &["dev.json", "backup"]);
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        garbage,
        "nothing lost"
    );
    assert!(emulator.recorded_calls().is_empty());
}

#[test]
fn missing_credentials_are_reported_once_with_the_remedy() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let output = ws
        .command(&["plan", "--env", "dev"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    let run = RunOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_clean_failure(&run, &["environment dev", "credentials", "hint:"]);
    assert!(emulator.recorded_calls().is_empty());
}

#[test]
fn up_without_a_terminal_and_without_yes_refuses_and_changes_nothing() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let run = ws.run(&["up", "--env", "staging"]);
    assert_clean_failure(&run, &["no terminal", "--yes"]);
    assert!(emulator.mutating_calls().is_empty());
    // plan shows what would happen; --detailed-exitcode says "changes" with 2.
    let plan = ws.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    plan.assert_code(2);
    assert!(plan.stdout.contains("+ create  vpc"), "{}", plan.stdout);
    assert!(emulator.mutating_calls().is_empty());
}

#[test]
fn json_output_reports_errors_as_a_document() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    let run = ws.run(&["up", "--env", "qa", "--output", "json"]);
    run.assert_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["error"]["exit_code"], 1);
    assert!(document["error"]["message"]
        .as_str()
        .unwrap()
        .contains("qa"));
}
