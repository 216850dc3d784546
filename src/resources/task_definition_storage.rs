//! A task definition's storage: read-only root filesystems and the task volumes mounted into
//! the containers, kept apart from the rest of the task definition kind so that it stays a
//! readable size.
//!
//! AWS Foundational Security Best Practices ECS.5 asks for containers whose root filesystem is
//! read-only: an attacker who gets code running in the container cannot then replace its
//! binaries or plant files for later. Most images still write temporary files, so a container
//! with a read-only root gets a writable, non-persistent task volume (a bind mount Fargate
//! creates empty with each task and discards with it) mounted at `/tmp`. Both are part of a
//! revision's compared content: a change registers a new revision, like any other.

use super::{ContainerContent, ContainerSpec, TaskContent, TaskDefinitionSpec};
use crate::resources::{compare, listed, FieldChange};
use aws_sdk_ecs::types::builders::ContainerDefinitionBuilder;
use aws_sdk_ecs::types::{ContainerDefinition, MountPoint, Volume};

/// The task volume a read-only container writes its temporary files to.
pub const TMP_VOLUME: &str = "tmp";
/// Where that volume is mounted.
pub const TMP_PATH: &str = "/tmp";

/// `volume:path` for a mount, as contents compare it.
fn mount_text(volume: &str, path: &str) -> String {
    format!("{volume}:{path}")
}

/// The desired mounts of a container, sorted.
pub(super) fn desired_mounts(container: &ContainerSpec) -> Vec<String> {
    let mut mounts: Vec<String> = container
        .mount_points
        .iter()
        .map(|(volume, path)| mount_text(volume, path))
        .collect();
    mounts.sort();
    mounts
}

/// The desired task volumes, sorted.
pub(super) fn desired_volumes(spec: &TaskDefinitionSpec) -> Vec<String> {
    let mut volumes = spec.volumes.clone();
    volumes.sort();
    volumes
}

/// A live container's root filesystem setting (absent: writable) and its mounts, sorted.
pub(super) fn live_container(container: &ContainerDefinition) -> (bool, Vec<String>) {
    let mut mounts: Vec<String> = container
        .mount_points()
        .iter()
        .map(|mount| {
            mount_text(
                mount.source_volume().unwrap_or_default(),
                mount.container_path().unwrap_or_default(),
            )
        })
        .collect();
    mounts.sort();
    (
        container.readonly_root_filesystem().unwrap_or(false),
        mounts,
    )
}

/// A live revision's task volumes by name, sorted.
pub(super) fn live_volumes(definition: &aws_sdk_ecs::types::TaskDefinition) -> Vec<String> {
    let mut volumes: Vec<String> = definition
        .volumes()
        .iter()
        .filter_map(|volume| volume.name().map(str::to_string))
        .collect();
    volumes.sort();
    volumes
}

/// The container definition with its root filesystem setting and mounts.
pub(super) fn with_storage(
    builder: ContainerDefinitionBuilder,
    container: &ContainerSpec,
) -> ContainerDefinitionBuilder {
    builder
        .readonly_root_filesystem(container.read_only_root_filesystem)
        .set_mount_points(Some(
            container
                .mount_points
                .iter()
                .map(|(volume, path)| {
                    MountPoint::builder()
                        .source_volume(volume)
                        .container_path(path)
                        .read_only(false)
                        .build()
                })
                .collect(),
        ))
}

/// The task volumes to register: each an empty, task-lifetime volume (no host path, no EFS).
pub(super) fn volumes(spec: &TaskDefinitionSpec) -> Vec<Volume> {
    desired_volumes(spec)
        .iter()
        .map(|name| Volume::builder().name(name).build())
        .collect()
}

/// Differences in storage between two contents: the task volumes, and per container present
/// in both its root filesystem setting and its mounts.
pub(super) fn changes(changes: &mut Vec<FieldChange>, live: &TaskContent, desired: &TaskContent) {
    let listed = |values: &[String]| listed(values.iter());
    compare(
        changes,
        "volumes",
        &listed(&live.volumes),
        &listed(&desired.volumes),
        false,
    );
    for (name, new) in &desired.containers {
        let Some(old) = live.containers.get(name) else {
            continue;
        };
        container_changes(changes, name, old, new, &listed);
    }
}

fn container_changes(
    changes: &mut Vec<FieldChange>,
    name: &str,
    old: &ContainerContent,
    new: &ContainerContent,
    listed: &dyn Fn(&[String]) -> String,
) {
    compare(
        changes,
        &format!("{name}.read_only_root_filesystem"),
        &old.read_only_root_filesystem.to_string(),
        &new.read_only_root_filesystem.to_string(),
        false,
    );
    compare(
        changes,
        &format!("{name}.mounts"),
        &listed(&old.mounts),
        &listed(&new.mounts),
        false,
    );
}
