//! The commands that never call AWS: `validate` (the env file checked, its settings resolved
//! and printed: TOML in text mode, JSON with `--output json`; a bad file refused with the
//! same message as any command gives, a warning on stderr; nothing reaches the emulator),
//! `completions` (bash, zsh, fish scripts naming every subcommand) and `man` (a roff page).
mod support;

use support::{Emulator, Workspace};

/// The subcommands every generated document must mention.
const SUBCOMMANDS: [&str; 8] = [
    "plan",
    "up",
    "destroy",
    "status",
    "deploy",
    "rollback",
    "validate",
    "iam-policy",
];

#[test]
fn validate_prints_the_resolved_settings_without_any_call() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    emulator.reset_recording();

    // The proxy's keys left out: each resolves to staging's default.
    ws.edit_env("staging", |text| {
        let start = text.find("[rds_proxy]\n").unwrap() + "[rds_proxy]\n".len();
        let end = text[start..].find("\n\n").unwrap() + start;
        format!("{}{}", &text[..start], &text[end..])
    });
    let text = ws.run(&["validate", "--env", "staging"]);
    text.assert_success();
    let resolved: toml::Value =
        toml::from_str(&text.stdout).unwrap_or_else(|e| panic!("not TOML ({e}):\n{}", text.stdout));
    // Set in the file.
    assert_eq!(resolved["name"].as_str(), Some("staging"));
    assert_eq!(
        resolved["network"]["vpc_cidr"].as_str(),
        Some("10.20.0.0/16")
    );
    assert_eq!(
        resolved["security"]["secret_rotation_days"].as_integer(),
        Some(90)
    );
    // Left out of the file, resolved to their defaults.
    let file: toml::Value =
        toml::from_str(&std::fs::read_to_string(ws.env_file("staging")).unwrap()).unwrap();
    assert!(file["rds_proxy"].as_table().unwrap().is_empty());
    let proxy = &resolved["rds_proxy"];
    assert_eq!(proxy["enabled"].as_bool(), Some(true), "{proxy}");
    assert_eq!(
        proxy["idle_client_timeout_seconds"].as_integer(),
        Some(1800)
    );
    assert_eq!(proxy["debug_logging"].as_bool(), Some(false));

    let json = ws.run(&["validate", "--env", "prod", "--output", "json"]);
    json.assert_success();
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["environment"], "prod");
    assert_eq!(document["settings"]["database"]["multi_az"], true);
    assert_eq!(
        document["settings"]["database"]["enhanced_monitoring_interval_seconds"],
        60
    );
    assert_eq!(document["warnings"], serde_json::json!([]));

    // The seed's user name is accepted with a warning, on stderr and in the document.
    ws.edit_env("dev", |text| {
        text.replace(
            "master_username = \"macroai_admin\"",
            "master_username = \"postgres\"",
        )
    });
    let warned = ws.run(&["validate", "--env", "dev", "--output", "json"]);
    warned.assert_success();
    let document: serde_json::Value = serde_json::from_str(&warned.stdout).unwrap();
    let warnings = document["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("database.master_username"),
        "{warnings:?}"
    );
    assert!(warned.stderr.contains("postgres"), "{}", warned.stderr);

    // A bad file: exit 1, naming the file and key, as any command would.
    ws.edit_env("dev", |text| {
        text.replace("nat_gateways = 0", "nat_gateways = -1")
    });
    let refused = ws.run(&["validate", "--env", "dev"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("dev.toml"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("network.nat_gateways"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);

    let calls = emulator.recorded_calls();
    assert!(calls.is_empty(), "validate called AWS: {calls:?}");
}

#[test]
fn completions_and_the_man_page_name_every_subcommand() {
    let emulator = Emulator::start();
    let ws = Workspace::new(&emulator);
    for shell in ["bash", "zsh", "fish"] {
        let run = ws.run(&["completions", shell]);
        run.assert_success();
        assert!(run.stdout.contains("macroctl"), "{shell}: {}", run.stdout);
        for subcommand in SUBCOMMANDS {
            assert!(
                run.stdout.contains(subcommand),
                "{shell}: no {subcommand} in\n{}",
                run.stdout
            );
        }
        // The global flags complete too.
        assert!(run.stdout.contains("envs-dir"), "{shell}");
    }
    let bash = ws.run(&["completions", "bash"]);
    assert!(bash.stdout.contains("complete -F"), "{}", bash.stdout);
    let fish = ws.run(&["completions", "fish"]);
    assert!(
        fish.stdout.contains("complete -c macroctl"),
        "{}",
        fish.stdout
    );

    let unknown = ws.run(&["completions", "tcsh"]);
    unknown.assert_code(1);
    assert!(unknown.stderr.contains("tcsh"), "{}", unknown.stderr);
    assert!(unknown.stderr.contains("bash"), "{}", unknown.stderr);

    let man = ws.run(&["man"]);
    man.assert_success();
    assert!(man.stdout.contains(".TH macroctl 1"), "{}", man.stdout);
    // roff writes a hyphen as `\-`.
    let page = man.stdout.replace("\\-", "-");
    for subcommand in SUBCOMMANDS {
        assert!(page.contains(subcommand), "man: no {subcommand}");
    }
    assert!(page.contains("Exit codes"), "{page}");
    assert!(emulator.recorded_calls().is_empty());
}
