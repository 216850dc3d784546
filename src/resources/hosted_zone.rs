//! A public Route 53 hosted zone (`route53:hosted-zone`), only where `[dns] create_zone`: the
//! zone for the app's names when the account has none yet. The user then delegates the domain
//! to its name servers (shown by `status`, and reported when it is created).
//!
//! Why it is shaped this way:
//!
//! * **Repeat-safe create.** `CreateHostedZone` takes a `CallerReference`, the engine's token:
//!   a repeat of the same intent answers `HostedZoneAlreadyExists` (classified AlreadyExists),
//!   and the engine then looks for the zone by its identity and adopts it.
//! * **Ownership without tags at creation.** `CreateHostedZone` takes no tags; the engine tags
//!   the zone right after (`ChangeTagsForResource`). A lost answer or a kill between the two
//!   would leave a zone nothing marks as ours, so the create also writes an ownership marker
//!   in the zone's comment (`macroctl:stack=<stack> macroctl:env=<env> macroctl:id=<id>`), set
//!   in the same call. A zone found by name whose tags lack macroctl's but whose comment
//!   carries this environment's marker is ours: it is read with the marker's stack and env as
//!   its tags (so the ownership check passes), and the next tag reconciliation writes every
//!   tag, the marker's included. A zone of the same name without either is someone else's and
//!   is never taken for this one (Route 53 allows several zones of one name).
//! * **Deleted last.** Its records refer to it, so `destroy` deletes them first; a zone that
//!   still holds records answers `HostedZoneNotEmpty` (in use: retried).

use super::{
    CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind, Lookup,
    Outputs, Ref, Resolver, TagChanges, Tags, TAG_ENV, TAG_ID, TAG_STACK,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use crate::output::Event;
use aws_sdk_route53::types::{HostedZoneConfig, TagResourceType};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HostedZoneSpec {
    /// The zone's name, without the trailing dot (`example.com`).
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct HostedZoneLive {
    /// Without `/hostedzone/`.
    pub id: String,
    /// Without the trailing dot.
    pub name: String,
    pub name_servers: Vec<String>,
    /// Its tags; the comment's marker (stack and env) when it has no macroctl tags yet.
    pub tags: Tags,
    /// The tags are the comment's marker: tagging must write them too.
    pub marked_only: bool,
}

pub struct HostedZone;

fn plain_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// The comment written at creation: who the zone belongs to.
pub fn marker(who: &Identity) -> String {
    [TAG_STACK, TAG_ENV, TAG_ID]
        .iter()
        .map(|key| format!("{key}={}", who.tags.get(*key).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stack and env a comment's marker names.
fn marker_tags(comment: &str) -> Tags {
    comment
        .split_whitespace()
        .filter_map(|part| part.split_once('='))
        .filter(|(key, _)| [TAG_STACK, TAG_ENV].contains(key))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn to_tags(tags: &Tags) -> Vec<aws_sdk_route53::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_route53::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

async fn tags_of(ctx: &Ctx<'_>, id: &str) -> Result<Option<Tags>, AwsError> {
    let listed = (ctx.aws.route53.list_tags_for_resource())
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(id)
        .send()
        .await
        .op("ListTagsForResource")
        .found()?;
    Ok(listed.map(|out| {
        (out.resource_tag_set()
            .map(|set| set.tags())
            .unwrap_or_default())
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
    }))
}

/// The zone `id` with its name servers and tags (or its marker); `None` when absent.
async fn describe(ctx: &Ctx<'_>, id: &str) -> Result<Option<HostedZoneLive>, AwsError> {
    let id = plain_id(id);
    let got = async {
        (ctx.aws.route53.get_hosted_zone().id(id).send().await)
            .op("GetHostedZone")
            .found()
    };
    let (got, tags) = futures::try_join!(got, tags_of(ctx, id))?;
    let (Some(got), Some(mut tags)) = (got, tags) else {
        return Ok(None);
    };
    let Some(zone) = got.hosted_zone() else {
        return Ok(None);
    };
    let mut marked_only = false;
    if !tags.contains_key(TAG_STACK) {
        let comment = zone.config().and_then(|c| c.comment()).unwrap_or_default();
        let marked = marker_tags(comment);
        if marked.len() == 2 {
            tags.extend(marked);
            marked_only = true;
        }
    }
    Ok(Some(HostedZoneLive {
        id: plain_id(zone.id()).to_string(),
        name: zone.name().trim_end_matches('.').to_string(),
        name_servers: (got.delegation_set())
            .map(|set| set.name_servers().to_vec())
            .unwrap_or_default(),
        tags,
        marked_only,
    }))
}

impl Kind for HostedZone {
    const KIND: &'static str = "route53:hosted-zone";
    // Zone names are not unique: found by name, then by the macroctl tags (or marker).
    const IDENTITY: IdentityKind = IdentityKind::Tagged;
    // The CallerReference (the engine's token) makes a repeat answer HostedZoneAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["zone_id", "name_servers"];
    type Spec = HostedZoneSpec;
    type Live = HostedZoneLive;

    fn refs(_spec: &HostedZoneSpec) -> Vec<Ref> {
        Vec::new()
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &HostedZoneSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<HostedZoneLive>, AwsError> {
        if let Lookup::Id(id) = lookup {
            return describe(ctx, id).await;
        }
        let listed = (ctx.aws.route53.list_hosted_zones_by_name())
            .dns_name(&spec.name)
            .max_items(100)
            .send()
            .await
            .op("ListHostedZonesByName")?;
        let wanted = format!("{}.", spec.name);
        for zone in listed.hosted_zones() {
            if zone.name() != wanted || zone.config().is_some_and(|c| c.private_zone()) {
                continue;
            }
            let Some(live) = describe(ctx, zone.id()).await? else {
                continue;
            };
            let ours = [TAG_STACK, TAG_ENV]
                .iter()
                .all(|key| live.tags.get(*key) == who.tags.get(*key));
            let this_one = live.marked_only || live.tags.get(TAG_ID) == who.tags.get(TAG_ID);
            if ours && this_one {
                return Ok(Some(live));
            }
        }
        Ok(None)
    }

    fn diff(
        spec: &HostedZoneSpec,
        live: &HostedZoneLive,
        _resolver: &Resolver,
    ) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        super::compare(&mut changes, "name", &live.name, &spec.name, true);
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &HostedZoneSpec,
        _resolver: &Resolver,
        token: &str,
    ) -> Result<String, AwsError> {
        let out = (ctx.aws.route53.create_hosted_zone())
            .name(&spec.name)
            .caller_reference(token)
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .comment(marker(who))
                    .private_zone(false)
                    .build(),
            )
            .send()
            .await
            .op("CreateHostedZone")?;
        let id = out
            .hosted_zone()
            .map(|zone| plain_id(zone.id()).to_string())
            .ok_or_else(|| AwsError::other("CreateHostedZone", "Route 53 returned no zone"))?;
        let servers = (out.delegation_set())
            .map(|set| set.name_servers().join(", "))
            .unwrap_or_default();
        ctx.reporter.report(Event::Info {
            message: format!(
                "created the hosted zone {} ({id}): delegate {} to its name servers at the domain's registrar (or parent zone): {servers}",
                spec.name, spec.name
            ),
        });
        Ok(id)
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _who: &Identity,
        _spec: &HostedZoneSpec,
        _live: &HostedZoneLive,
        _changes: &[FieldChange],
        _resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        // Only the name differs, which is a replacement `up` refuses before this.
        Ok(None)
    }

    fn tags(live: &HostedZoneLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    /// `ChangeTagsForResource`; a zone known only by its marker gets the marker's tags too.
    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &HostedZoneLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        let mut set = changes.set.clone();
        if live.marked_only {
            for (key, value) in &live.tags {
                set.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        (ctx.aws.route53.change_tags_for_resource())
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(&live.id)
            .set_add_tags((!set.is_empty()).then(|| to_tags(&set)))
            .set_remove_tag_keys((!changes.remove.is_empty()).then(|| changes.remove.clone()))
            .send()
            .await
            .op("ChangeTagsForResource")?;
        Ok(())
    }

    async fn delete(
        ctx: &Ctx<'_>,
        live: &HostedZoneLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        // NoSuchHostedZone: gone already. HostedZoneNotEmpty: records still going (in use).
        (ctx.aws
            .route53
            .delete_hosted_zone()
            .id(&live.id)
            .send()
            .await)
            .op("DeleteHostedZone")
            .found()?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &HostedZoneLive) -> String {
        live.id.clone()
    }

    fn outputs(live: &HostedZoneLive) -> Outputs {
        Outputs::from([
            ("zone_id".to_string(), live.id.clone()),
            ("name_servers".to_string(), live.name_servers.join(",")),
        ])
    }

    fn status(live: &HostedZoneLive) -> String {
        format!(
            "{} (name servers {})",
            live.name,
            live.name_servers.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_marker_names_stack_and_env() {
        let who = crate::stack::identity(
            &crate::config::load(std::path::Path::new("envs"), "staging", None).unwrap(),
            "dns-zone",
        );
        let comment = marker(&who);
        assert_eq!(
            comment,
            "macroctl:stack=macro-ai macroctl:env=staging macroctl:id=dns-zone"
        );
        let tags = marker_tags(&comment);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[TAG_ENV], "staging");
        assert!(marker_tags("a zone for the team").is_empty());
    }
}
