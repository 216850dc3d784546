//! Route 53 records (`route53:record`): the names that point the app at CloudFront or the
//! load balancer (alias records) and the CNAMEs ACM validates certificates by.
//!
//! A record is a `Child` of its hosted zone, keyed by name and type (the zone allows one
//! simple record set per pair), and carries no tags: Route 53 has none for records. Its
//! physical id is `<zone id>/<name>/<type>`. Route 53 applies a change to its authoritative
//! servers within a minute (`PENDING`, then `INSYNC`); nothing here waits for that: ACM and
//! resolvers retry on their own, and the certificate's validation is what waits.
//!
//! **Ownership without tags.** A record found by its name and type that state does not
//! record, and that differs from what is desired, belongs to someone else (made by hand, by
//! another tool): `read` refuses it, naming the record and the zone, and nothing overwrites
//! it. One identical to the desired one is our own create whose answer was lost, and is
//! adopted. So a create is a `CREATE` (which Route 53 refuses when the name and type are
//! taken), never an `UPSERT`; an update of a record state knows is an `UPSERT` of the whole
//! set (a repeat changes nothing).
//!
//! **A new name** (the domain changed, a new certificate's validation record) is one atomic
//! batch: `DELETE` of the old set as Route 53 holds it and `CREATE` of the new one, so the old
//! name is not left behind and a taken new name changes nothing. It returns the new physical
//! id. After a lost answer the engine reads again (by the old id, then the identity) before
//! asking again.

use super::{
    compare, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, Tags, Value,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

/// CloudFront's hosted zone id, for alias records to a distribution.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// The TTL of macroctl's non-alias records (ACM's validation CNAMEs).
pub const TTL: i64 = 300;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecordSpec {
    /// The hosted zone's id: an existing zone's, or the zone resource's `zone_id`.
    pub zone: Value,
    /// Without the trailing dot (a validation record's name is its certificate's output).
    pub name: Value,
    /// `A`, `AAAA` or `CNAME`.
    pub record_type: String,
    pub target: RecordTarget,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum RecordTarget {
    /// An alias to an AWS name (a distribution, a load balancer) in `zone`.
    Alias { dns_name: Value, zone: Value },
    /// One value, with [`TTL`].
    Value(Value),
}

#[derive(Debug, Clone)]
pub struct RecordLive {
    pub zone: String,
    pub name: String,
    pub record_type: String,
    pub target: LiveTarget,
    /// The record set as Route 53 holds it: a `DELETE` must repeat it exactly.
    pub set: Box<ResourceRecordSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveTarget {
    Alias { dns_name: String, zone: String },
    Values { values: Vec<String>, ttl: i64 },
}

pub struct Record;

/// A name compared without the trailing dot, lowercase (and without the `dualstack.` Route 53
/// may put before a load balancer's name).
fn plain(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.")
        .map_or(name.clone(), str::to_string)
}

fn zone_of(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// The physical id of a record.
pub fn record_id(zone: &str, name: &str, record_type: &str) -> String {
    format!("{}/{}/{record_type}", zone_of(zone), plain(name))
}

/// The record `name`/`record_type` in `zone`; `None` when absent (or the zone is).
async fn find(
    ctx: &Ctx<'_>,
    zone: &str,
    name: &str,
    record_type: &str,
) -> Result<Option<RecordLive>, AwsError> {
    let listed = (ctx.aws.route53.list_resource_record_sets())
        .hosted_zone_id(zone_of(zone))
        .start_record_name(name)
        .start_record_type(RrType::from(record_type))
        .max_items(1)
        .send()
        .await
        .op("ListResourceRecordSets")
        .found()?;
    let Some(listed) = listed else {
        return Ok(None);
    };
    let Some(set) = (listed.resource_record_sets().iter())
        .find(|set| plain(set.name()) == plain(name) && set.r#type().as_str() == record_type)
    else {
        return Ok(None);
    };
    let target = match set.alias_target() {
        Some(alias) => LiveTarget::Alias {
            dns_name: plain(alias.dns_name()),
            zone: alias.hosted_zone_id().to_string(),
        },
        None => LiveTarget::Values {
            values: (set.resource_records().iter())
                .map(|record| plain(record.value()))
                .collect(),
            ttl: set.ttl().unwrap_or_default(),
        },
    };
    Ok(Some(RecordLive {
        zone: zone_of(zone).to_string(),
        name: plain(name),
        record_type: record_type.to_string(),
        target,
        set: Box::new(set.clone()),
    }))
}

fn desired_target(spec: &RecordSpec, resolver: &Resolver) -> LiveTarget {
    match &spec.target {
        RecordTarget::Alias { dns_name, zone } => LiveTarget::Alias {
            dns_name: plain(&dns_name.get(resolver)),
            zone: zone.get(resolver),
        },
        RecordTarget::Value(value) => LiveTarget::Values {
            values: vec![plain(&value.get(resolver))],
            ttl: TTL,
        },
    }
}

fn shown(target: &LiveTarget) -> String {
    match target {
        LiveTarget::Alias { dns_name, zone } => format!("alias {dns_name} ({zone})"),
        LiveTarget::Values { values, ttl } => format!("{} (ttl {ttl})", values.join(", ")),
    }
}

fn build_error(err: impl std::fmt::Display) -> AwsError {
    AwsError::other("ChangeResourceRecordSets", format!("invalid record: {err}"))
}

/// The record set `spec` asks for.
fn record_set(spec: &RecordSpec, resolver: &Resolver) -> Result<ResourceRecordSet, AwsError> {
    let set = ResourceRecordSet::builder()
        .name(spec.name.get(resolver))
        .r#type(RrType::from(spec.record_type.as_str()));
    let set = match &spec.target {
        RecordTarget::Alias { dns_name, zone } => set.alias_target(
            AliasTarget::builder()
                .dns_name(dns_name.get(resolver))
                .hosted_zone_id(zone.get(resolver))
                .evaluate_target_health(false)
                .build()
                .map_err(build_error)?,
        ),
        RecordTarget::Value(value) => set.ttl(TTL).resource_records(
            ResourceRecord::builder()
                .value(value.get(resolver))
                .build()
                .map_err(build_error)?,
        ),
    };
    set.build().map_err(build_error)
}

/// One batch of changes (applied together or not at all), in `zone`.
async fn change(
    ctx: &Ctx<'_>,
    zone: &str,
    changes: Vec<(ChangeAction, ResourceRecordSet)>,
) -> Result<(), AwsError> {
    let changes = (changes.into_iter())
        .map(|(action, set)| {
            Change::builder()
                .action(action)
                .resource_record_set(set)
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .comment("macroctl")
        .build()
        .map_err(build_error)?;
    (ctx.aws.route53.change_resource_record_sets())
        .hosted_zone_id(zone_of(zone))
        .change_batch(batch)
        .send()
        .await
        .op("ChangeResourceRecordSets")?;
    Ok(())
}

/// `live`, found by name and type but not recorded in state, when it is what is desired (our
/// own create whose answer was lost); else an error: it is someone else's.
fn check_not_foreign(
    ctx: &Ctx<'_>,
    who: &Identity,
    spec: &RecordSpec,
    live: RecordLive,
    resolver: &Resolver,
) -> Result<Option<RecordLive>, AwsError> {
    let desired = desired_target(spec, resolver);
    // A target not known yet (the load balancer is not made yet) cannot be what is there.
    if desired == live.target {
        return Ok(Some(live));
    }
    Err(AwsError::other(
        "ListResourceRecordSets",
        format!(
            "environment {}: the {} record {} in hosted zone {} already exists and points at {}, not at what {} declares ({}); macroctl did not make it and never overwrites it. Delete that record, or set [dns] in the environment file to a name that is free, then run `up` again",
            ctx.env,
            live.record_type,
            live.name,
            live.zone,
            shown(&live.target),
            who.id,
            shown(&desired)
        ),
    ))
}

impl Kind for Record {
    const KIND: &'static str = "route53:record";
    const IDENTITY: IdentityKind = IdentityKind::Child;
    // CREATE is refused when the name is taken; after a lost answer the engine looks first,
    // and adopts our own identical record.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["fqdn"];
    type Spec = RecordSpec;
    type Live = RecordLive;

    fn refs(spec: &RecordSpec) -> Vec<Ref> {
        let mut refs: Vec<Ref> = (spec.zone.reference().into_iter())
            .chain(spec.name.reference())
            .collect();
        match &spec.target {
            RecordTarget::Alias { dns_name, zone } => {
                refs.extend(dns_name.reference());
                refs.extend(zone.reference());
            }
            RecordTarget::Value(value) => refs.extend(value.reference()),
        }
        refs
    }

    async fn read(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &RecordSpec,
        lookup: Lookup<'_>,
        resolver: &Resolver,
    ) -> Result<Option<RecordLive>, AwsError> {
        match lookup {
            Lookup::Id(id) => {
                let mut parts = id.splitn(3, '/');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(zone), Some(name), Some(record_type)) => {
                        find(ctx, zone, name, record_type).await
                    }
                    _ => Ok(None),
                }
            }
            Lookup::Identity => {
                let (zone, name) = (spec.zone.get(resolver), spec.name.get(resolver));
                if zone == super::UNKNOWN || name == super::UNKNOWN || name.is_empty() {
                    return Ok(None);
                }
                match find(ctx, &zone, &name, &spec.record_type).await? {
                    Some(live) if !ctx.recorded.contains_key(who.id.as_str()) => {
                        check_not_foreign(ctx, who, spec, live, resolver)
                    }
                    found => Ok(found),
                }
            }
        }
    }

    fn diff(spec: &RecordSpec, live: &RecordLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        compare(
            &mut changes,
            "zone",
            &live.zone,
            zone_of(&spec.zone.get(resolver)),
            true,
        );
        compare(
            &mut changes,
            "name",
            &live.name,
            &plain(&spec.name.get(resolver)),
            false,
        );
        compare(
            &mut changes,
            "target",
            &shown(&live.target),
            &shown(&desired_target(spec, resolver)),
            false,
        );
        changes
    }

    async fn create(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RecordSpec,
        resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let zone = spec.zone.get(resolver);
        let set = record_set(spec, resolver)?;
        change(ctx, &zone, vec![(ChangeAction::Create, set)]).await?;
        Ok(record_id(
            &zone,
            &spec.name.get(resolver),
            &spec.record_type,
        ))
    }

    /// An `UPSERT` of the whole set; under a new name, `DELETE` old + `CREATE` new at once.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &RecordSpec,
        live: &RecordLive,
        _changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let name = plain(&spec.name.get(resolver));
        let set = record_set(spec, resolver)?;
        if name == live.name {
            change(ctx, &live.zone, vec![(ChangeAction::Upsert, set)]).await?;
            return Ok(None);
        }
        let batch = vec![
            (ChangeAction::Delete, (*live.set).clone()),
            (ChangeAction::Create, set),
        ];
        change(ctx, &live.zone, batch).await?;
        Ok(Some(record_id(&live.zone, &name, &spec.record_type)))
    }

    /// Records carry no tags; a zone macroctl created carries them.
    fn tags(_live: &RecordLive) -> Option<&Tags> {
        None
    }

    /// `DELETE` of the record set exactly as Route 53 holds it now (a second `DELETE`, after a
    /// lost answer, would be refused).
    async fn delete(
        ctx: &Ctx<'_>,
        live: &RecordLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        if let Some(current) = find(ctx, &live.zone, &live.name, &live.record_type).await? {
            change(ctx, &live.zone, vec![(ChangeAction::Delete, *current.set)]).await?;
        }
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &RecordLive) -> String {
        record_id(&live.zone, &live.name, &live.record_type)
    }

    fn outputs(live: &RecordLive) -> Outputs {
        Outputs::from([("fqdn".to_string(), live.name.clone())])
    }

    fn status(live: &RecordLive) -> String {
        format!("{} {}", live.record_type, shown(&live.target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_the_trailing_dot() {
        assert_eq!(plain("App.Example.com."), "app.example.com");
        assert_eq!(
            plain("dualstack.alb-1.elb.amazonaws.com."),
            "alb-1.elb.amazonaws.com"
        );
        assert_eq!(
            record_id("/hostedzone/Z1", "app.example.com.", "A"),
            "Z1/app.example.com/A"
        );
    }

    #[test]
    fn an_alias_elsewhere_is_an_update() {
        let spec = RecordSpec {
            zone: Value::Literal("Z1".into()),
            name: Value::Literal("app.example.com".into()),
            record_type: "A".into(),
            target: RecordTarget::Alias {
                dns_name: Value::Literal("d1.cloudfront.net".into()),
                zone: Value::Literal(CLOUDFRONT_ZONE_ID.into()),
            },
        };
        let resolver = Resolver::default();
        let set = record_set(&spec, &resolver).unwrap();
        let live = RecordLive {
            zone: "Z1".into(),
            name: "app.example.com".into(),
            record_type: "A".into(),
            target: LiveTarget::Alias {
                dns_name: "alb-1.us-east-1.elb.amazonaws.com".into(),
                zone: "Z35SXDOTRQ7X7K".into(),
            },
            set: Box::new(set),
        };
        let changes = Record::diff(&spec, &live, &resolver);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "target");
        assert!(!changes[0].replace);
        let converged = RecordLive {
            target: desired_target(&spec, &resolver),
            ..live
        };
        assert!(Record::diff(&spec, &converged, &resolver).is_empty());
    }
}
