//! Unit tests of the task definition kind's pure parts: content comparison and diffs.
use super::*;

fn container(image: &str) -> ContainerContent {
    ContainerContent {
        image: image.into(),
        cpu: 0,
        memory_mib: None,
        essential: true,
        ports: vec!["3040/tcp".into()],
        environment: BTreeMap::from([("NODE_ENV".into(), "production".into())]),
        secrets: BTreeMap::from([("API_KEY".into(), "arn:x:API_KEY::".into())]),
        log: None,
        read_only_root_filesystem: true,
        mounts: vec!["tmp:/tmp".into()],
    }
}

#[test]
fn an_image_change_is_one_named_change() {
    let content = |image: &str| TaskContent {
        cpu: "256".into(),
        memory: "512".into(),
        execution_role_arn: "arn:exec".into(),
        task_role_arn: "arn:task".into(),
        cpu_architecture: Some("ARM64".into()),
        containers: BTreeMap::from([("api".into(), container(image))]),
        volumes: vec!["tmp".into()],
    };
    assert!(content_changes(&content("a:1"), &content("a:1")).is_empty());
    let changes = content_changes(&content("a:1"), &content("a:2"));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].field, "api.image");
    assert_eq!(
        (changes[0].old.as_str(), changes[0].new.as_str()),
        ("a:1", "a:2")
    );
}

#[test]
fn a_writable_root_filesystem_and_its_volume_are_named_changes() {
    let content = |read_only: bool| TaskContent {
        cpu: "256".into(),
        memory: "512".into(),
        execution_role_arn: "arn:exec".into(),
        task_role_arn: "arn:task".into(),
        cpu_architecture: Some("ARM64".into()),
        containers: BTreeMap::from([(
            "api".into(),
            ContainerContent {
                read_only_root_filesystem: read_only,
                mounts: if read_only {
                    vec!["tmp:/tmp".into()]
                } else {
                    Vec::new()
                },
                ..container("a:1")
            },
        )]),
        volumes: if read_only {
            vec!["tmp".into()]
        } else {
            Vec::new()
        },
    };
    let fields: Vec<String> = content_changes(&content(false), &content(true))
        .into_iter()
        .map(|change| format!("{}: {} -> {}", change.field, change.old, change.new))
        .collect();
    assert_eq!(
        fields,
        [
            "volumes: (none) -> tmp",
            "api.read_only_root_filesystem: false -> true",
            "api.mounts: (none) -> tmp:/tmp"
        ]
    );
    assert!(content_changes(&content(true), &content(true)).is_empty());
}

#[test]
fn revisions_are_read_from_arns_of_the_family_only() {
    let arn = "arn:aws:ecs:us-east-1:1:task-definition/macro-ai-staging-api:12";
    assert_eq!(revision_of(arn, "macro-ai-staging-api"), Some(12));
    assert_eq!(revision_of(arn, "macro-ai-staging"), None);
    assert_eq!(
        revision_of("arn:aws:ecs:us-east-1:1:task-definition/x", "x"),
        None
    );
}

#[test]
fn outputs_are_the_declared_ones() {
    let live = TaskDefinitionLive {
        arn: "arn:aws:ecs:us-east-1:1:task-definition/f:3".into(),
        family: "f".into(),
        revision: 3,
        status: "ACTIVE".into(),
        content: TaskContent {
            cpu: "256".into(),
            memory: "512".into(),
            execution_role_arn: String::new(),
            task_role_arn: String::new(),
            cpu_architecture: None,
            containers: BTreeMap::new(),
            volumes: Vec::new(),
        },
        tags: Tags::new(),
    };
    let outputs = TaskDefinition::outputs(&live);
    assert_eq!(outputs["revision"], "3");
    let mut declared = TaskDefinition::OUTPUTS.to_vec();
    declared.sort_unstable();
    assert_eq!(
        outputs.keys().map(String::as_str).collect::<Vec<_>>(),
        declared
    );
}

#[test]
fn a_deregistered_revision_is_gone() {
    assert_eq!(deletion_of("ACTIVE"), Deletion::Present);
    assert_eq!(deletion_of("INACTIVE"), Deletion::Present);
    assert_eq!(deletion_of("DELETE_IN_PROGRESS"), Deletion::Gone);
}
