//! The test harness itself: a private emulator, an SDK client on it, and request recording.
mod support;

use support::{Emulator, RecordedCall};

#[tokio::test]
async fn emulator_records_calls_and_classifies_them() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2().await;
    emulator.reset_recording();

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .expect("CreateVpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let described = ec2
        .describe_vpcs()
        .vpc_ids(&vpc_id)
        .send()
        .await
        .expect("DescribeVpcs");
    assert_eq!(described.vpcs().len(), 1);

    let calls = emulator.recorded_calls();
    let create = RecordedCall::new("ec2", "CreateVpc");
    let describe = RecordedCall::new("ec2", "DescribeVpcs");
    assert!(calls.contains(&create), "recorded: {calls:?}");
    assert!(calls.contains(&describe), "recorded: {calls:?}");
    assert_eq!(create.to_string(), "ec2 CreateVpc");

    let mutating = emulator.mutating_calls();
    assert_eq!(mutating, vec![create], "recorded: {calls:?}");
    assert!(!describe.is_mutating());

    emulator.reset_recording();
    assert!(emulator.recorded_calls().is_empty());
}

#[test]
fn emulator_is_killed_on_drop() {
    let emulator = Emulator::start();
    let pid = emulator.pid();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(emulator);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
