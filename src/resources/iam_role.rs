//! IAM roles: the ECS task execution role and one task role per service.
//!
//! While planning, roles are read in two calls for the whole environment, made at the same
//! time by the first role read and shared by the others (see `iam_role_listing.rs`):
//! `GetAccountAuthorizationDetails` filtered to roles reports each role's trust policy, inline
//! policies (with their documents), attached managed policies and tags, and `ListRoles` adds
//! the description, which the former leaves out. Read role by role, each role costs three
//! calls and one more per inline policy. Neither listing can be narrowed to the environment's
//! names, so both page through the account's roles, and the environment's are kept. Where the
//! caller may not make them (`AccessDenied`: `iam:GetAccountAuthorizationDetails` is often
//! withheld), roles are read one by one instead.
//!
//! Otherwise (right after a change, or when the listing lacks the role) a role is read by its
//! name (`GetRole`, which reports its tags too, then `ListAttachedRolePolicies`,
//! `ListRolePolicies` and `GetRolePolicy` per inline policy): the one in the ARN recorded in
//! state, else the deterministic name. `CreateRole` makes it with its trust policy,
//! description and tags in one call (the name is unique: a repeat answers
//! `EntityAlreadyExists`); the policies are the update the engine makes next, because IAM
//! attaches them with calls of their own.
//!
//! Compared: the description, the trust policy (who may assume the role: one AWS service),
//! each managed policy attachment (attached / detached one by one) and each inline policy
//! (put / deleted by name); every one of those calls is safe to repeat. Policy documents are
//! compared *semantically*: IAM returns them URL-encoded and may reorder or reformat them, so
//! both sides are normalised first (see [`normalize_policy`]): parsed as JSON, `Action` /
//! `Resource` / principal and condition values turned into sorted sets, statement order
//! ignored, `Version` kept. A converged role therefore diffs empty.

use super::{
    tags, CreateSafety, Ctx, DeleteOptions, Deleted, FieldChange, Identity, IdentityKind, Kind,
    Lookup, Outputs, Ref, Resolver, TagChanges, Tags,
};
use crate::aws::{AwsError, Found, IntoAwsError};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The policy language version every document macroctl writes uses.
pub const POLICY_VERSION: &str = "2012-10-17";

/// What a statement's `Resource` names.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum PolicyResource {
    Arn(String),
    /// An output of another resource, e.g. a secret's `arn`.
    Ref(Ref),
    /// `"*"`.
    Any,
}

/// One `Allow` statement.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PolicyStatement {
    pub sid: Option<String>,
    pub actions: Vec<String>,
    pub resources: Vec<PolicyResource>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub statements: Vec<PolicyStatement>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IamRoleSpec {
    /// Deterministic role name (≤ 64 characters).
    pub name: String,
    pub description: String,
    /// The service allowed to assume the role, e.g. `ecs-tasks.amazonaws.com`.
    pub trusted_service: String,
    pub managed_policy_arns: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
}

#[derive(Debug, Clone)]
pub struct IamRoleLive {
    pub name: String,
    pub arn: String,
    /// `None` when IAM does not report it.
    pub description: Option<String>,
    /// Normalised trust policy; `None` when IAM does not report it.
    pub trust_policy: Option<String>,
    pub managed_policy_arns: BTreeSet<String>,
    /// Policy name → normalised document.
    pub inline_policies: BTreeMap<String, String>,
    pub tags: Tags,
}

pub struct IamRole;

const ABSENT: &str = "(absent)";
const ATTACHED: &str = "attached";
const MANAGED_PREFIX: &str = "managed_policy ";
const INLINE_PREFIX: &str = "inline_policy ";

/// The trust policy letting `service` assume the role.
pub fn trust_document(service: &str) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
}

/// An inline policy's document, with references resolved.
pub fn inline_document(policy: &InlinePolicy, resolver: &Resolver) -> Value {
    let statements: Vec<Value> = policy
        .statements
        .iter()
        .map(|statement| {
            let mut object = Map::new();
            if let Some(sid) = &statement.sid {
                object.insert("Sid".into(), Value::String(sid.clone()));
            }
            object.insert("Effect".into(), Value::String("Allow".into()));
            object.insert("Action".into(), json!(statement.actions));
            let resources: Vec<String> = statement
                .resources
                .iter()
                .map(|resource| match resource {
                    PolicyResource::Arn(arn) => arn.clone(),
                    PolicyResource::Ref(reference) => resolver.get(reference),
                    PolicyResource::Any => "*".to_string(),
                })
                .collect();
            object.insert("Resource".into(), json!(resources));
            Value::Object(object)
        })
        .collect();
    json!({ "Version": POLICY_VERSION, "Statement": statements })
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded per RFC 3986).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy value in normal form. IAM treats a single string and a one-element array alike
/// everywhere but in `Version`, `Id`, `Sid` and `Effect`, and never cares about array order:
/// so strings (elsewhere) become one-element arrays, arrays are sorted and de-duplicated, and
/// a lone `Statement` object becomes a one-statement array.
fn normalize_value(key: &str, value: Value) -> Value {
    match value {
        Value::Object(object) if key == "Statement" => {
            normalize_value(key, Value::Array(vec![Value::Object(object)]))
        }
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let value = normalize_value(&key, value);
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items
                .into_iter()
                .map(|item| match item {
                    Value::String(_) => item,
                    other => normalize_value("", other),
                })
                .collect();
            items.sort_by_cached_key(canonical_json);
            items.dedup();
            Value::Array(items)
        }
        Value::String(_) if !matches!(key, "" | "Version" | "Id" | "Sid" | "Effect") => {
            Value::Array(vec![value])
        }
        other => other,
    }
}

/// A parsed policy document in normal form (see [`normalize_value`]).
pub fn normalize_document(document: Value) -> Value {
    normalize_value("", document)
}

/// The normal form of a policy document as text, plain or URL-encoded JSON. Text that is not
/// JSON at all is returned as it is, so it can only equal itself.
pub fn normalize_policy(text: &str) -> String {
    let parsed = serde_json::from_str::<Value>(text)
        .or_else(|_| serde_json::from_str::<Value>(&percent_decode(text)));
    match parsed {
        Ok(document) => canonical_json(&normalize_document(document)),
        Err(_) => text.to_string(),
    }
}

/// Compact JSON with object keys sorted and integral numbers written as integers, so that two
/// semantically equal documents have the same text whatever map ordering serde_json uses.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| {
                    format!("{}:{}", Value::String(key.clone()), canonical_json(value))
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}

fn desired_inline(spec: &IamRoleSpec, resolver: &Resolver) -> BTreeMap<String, (Value, String)> {
    spec.inline_policies
        .iter()
        .map(|policy| {
            let document = inline_document(policy, resolver);
            let normal = canonical_json(&normalize_document(document.clone()));
            (policy.name.clone(), (document, normal))
        })
        .collect()
}

/// The role name in a role ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`); anything else is
/// taken as a name.
fn name_of(id: &str) -> &str {
    match id.split_once(":role/") {
        Some((_, path_and_name)) => path_and_name.rsplit('/').next().unwrap_or(path_and_name),
        None => id,
    }
}

/// A deletion of something already gone succeeded.
/// Detaches a managed policy; one already detached is fine (`update` and `delete` both do it).
async fn detach_policy(iam: &aws_sdk_iam::Client, role: &str, arn: &str) -> Result<(), AwsError> {
    absent_ok(
        iam.detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .op("DetachRolePolicy"),
    )
}

/// Deletes an inline policy; one already gone is fine.
async fn delete_inline_policy(
    iam: &aws_sdk_iam::Client,
    role: &str,
    name: &str,
) -> Result<(), AwsError> {
    absent_ok(
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .op("DeleteRolePolicy"),
    )
}

fn absent_ok<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
    match result {
        Err(err) if !err.is_not_found() => Err(err),
        _ => Ok(()),
    }
}

async fn describe(ctx: &Ctx<'_>, name: &str) -> Result<Option<IamRoleLive>, AwsError> {
    let iam = &ctx.aws.iam;
    // NoSuchEntity: absent.
    let Some(role) = iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .op("GetRole")
        .found()?
        .and_then(|output| output.role)
    else {
        return Ok(None);
    };
    let managed_policy_arns: BTreeSet<String> = iam
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .op("ListAttachedRolePolicies")?
        .into_iter()
        .filter_map(|policy| policy.policy_arn)
        .collect();
    let names = iam
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .op("ListRolePolicies")?;
    let mut inline_policies = BTreeMap::new();
    for policy_name in names {
        let output = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy_name)
            .send()
            .await
            .op("GetRolePolicy")?;
        inline_policies.insert(policy_name, normalize_policy(output.policy_document()));
    }
    Ok(Some(IamRoleLive {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        description: role.description().map(str::to_string),
        trust_policy: role.assume_role_policy_document().map(normalize_policy),
        managed_policy_arns,
        inline_policies,
        // GetRole reports every tag of the role (at most 50), on AWS and on moto alike.
        tags: tags::from_iam(role.tags()),
    }))
}

/// The batched reads while planning.
#[path = "iam_role_listing.rs"]
mod listing;
pub use listing::tagged_roles;

impl Kind for IamRole {
    const KIND: &'static str = "iam:role";
    const IDENTITY: IdentityKind = IdentityKind::Named;
    // Role names are unique in the account: a repeat answers EntityAlreadyExists.
    const CREATE: CreateSafety = CreateSafety::Idempotent;
    const OUTPUTS: &'static [&'static str] = &["arn", "name"];
    type Spec = IamRoleSpec;
    type Live = IamRoleLive;

    fn refs(spec: &IamRoleSpec) -> Vec<Ref> {
        spec.inline_policies
            .iter()
            .flat_map(|policy| &policy.statements)
            .flat_map(|statement| &statement.resources)
            .filter_map(|resource| match resource {
                PolicyResource::Ref(reference) => Some(reference.clone()),
                PolicyResource::Arn(_) | PolicyResource::Any => None,
            })
            .collect()
    }

    async fn read(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &IamRoleSpec,
        lookup: Lookup<'_>,
        _resolver: &Resolver,
    ) -> Result<Option<IamRoleLive>, AwsError> {
        let name = match lookup {
            // The ARN recorded in state or returned by CreateRole.
            Lookup::Id(id) => name_of(id),
            Lookup::Identity => &spec.name,
        };
        if ctx.cached {
            if let Some(found) = listing::listed(ctx, name, lookup).await? {
                return Ok(found);
            }
        }
        describe(ctx, name).await
    }

    fn diff(spec: &IamRoleSpec, live: &IamRoleLive, resolver: &Resolver) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        if live.name != spec.name {
            changes.push(FieldChange::replace("name", &live.name, &spec.name));
        }
        // `None` is shown as absent; fields IAM does not report are skipped.
        let mut field = |name: String, old: Option<&str>, new: Option<&str>| {
            if old != new {
                let (old, new) = (old.unwrap_or(ABSENT), new.unwrap_or(ABSENT));
                changes.push(FieldChange::update(&name, old, new));
            }
        };
        if let Some(description) = &live.description {
            field(
                "description".into(),
                Some(description),
                Some(&spec.description),
            );
        }
        let trust = canonical_json(&normalize_document(trust_document(&spec.trusted_service)));
        if let Some(live_trust) = &live.trust_policy {
            field("trust_policy".into(), Some(live_trust), Some(&trust));
        }
        let desired_managed: BTreeSet<&String> = spec.managed_policy_arns.iter().collect();
        let attached = |yes: bool| yes.then_some(ATTACHED);
        for arn in desired_managed
            .iter()
            .copied()
            .chain(&live.managed_policy_arns)
            .collect::<BTreeSet<_>>()
        {
            field(
                format!("{MANAGED_PREFIX}{arn}"),
                attached(live.managed_policy_arns.contains(arn)),
                attached(desired_managed.contains(arn)),
            );
        }
        let desired = desired_inline(spec, resolver);
        for name in desired
            .keys()
            .chain(live.inline_policies.keys())
            .collect::<BTreeSet<_>>()
        {
            field(
                format!("{INLINE_PREFIX}{name}"),
                live.inline_policies.get(name).map(String::as_str),
                desired.get(name).map(|(_, normal)| normal.as_str()),
            );
        }
        changes
    }

    /// Creates the role with its trust policy, description and tags; its policies are the
    /// update the engine makes next. Returns the role's ARN.
    async fn create(
        ctx: &Ctx<'_>,
        who: &Identity,
        spec: &IamRoleSpec,
        _resolver: &Resolver,
        _token: &str,
    ) -> Result<String, AwsError> {
        let mut request = ctx
            .aws
            .iam
            .create_role()
            .role_name(&spec.name)
            .assume_role_policy_document(trust_document(&spec.trusted_service).to_string())
            .set_tags(Some(tags::to_iam(&who.tags, "CreateRole")?));
        if !spec.description.is_empty() {
            request = request.description(&spec.description);
        }
        let output = request.send().await.op("CreateRole")?;
        output
            .role()
            .map(|role| role.arn().to_string())
            .ok_or_else(|| AwsError::other("CreateRole", "IAM returned no role"))
    }

    /// Each change is one call that is safe to repeat: UpdateRole, UpdateAssumeRolePolicy,
    /// AttachRolePolicy and PutRolePolicy set what they are given; detaching or deleting what
    /// is already gone counts as done.
    async fn update(
        ctx: &Ctx<'_>,
        _who: &Identity,
        spec: &IamRoleSpec,
        live: &IamRoleLive,
        changes: &[FieldChange],
        resolver: &Resolver,
    ) -> Result<Option<String>, AwsError> {
        let iam = &ctx.aws.iam;
        let role = live.name.as_str();
        let desired = desired_inline(spec, resolver);
        for change in changes {
            let field = change.field.as_str();
            if field == "description" {
                iam.update_role()
                    .role_name(role)
                    .description(&spec.description)
                    .send()
                    .await
                    .op("UpdateRole")?;
            } else if field == "trust_policy" {
                iam.update_assume_role_policy()
                    .role_name(role)
                    .policy_document(trust_document(&spec.trusted_service).to_string())
                    .send()
                    .await
                    .op("UpdateAssumeRolePolicy")?;
            } else if let Some(arn) = field.strip_prefix(MANAGED_PREFIX) {
                if spec.managed_policy_arns.iter().any(|wanted| wanted == arn) {
                    iam.attach_role_policy()
                        .role_name(role)
                        .policy_arn(arn)
                        .send()
                        .await
                        .op("AttachRolePolicy")?;
                } else {
                    detach_policy(iam, role, arn).await?;
                }
            } else if let Some(name) = field.strip_prefix(INLINE_PREFIX) {
                if let Some((document, _)) = desired.get(name) {
                    iam.put_role_policy()
                        .role_name(role)
                        .policy_name(name)
                        .policy_document(document.to_string())
                        .send()
                        .await
                        .op("PutRolePolicy")?;
                } else {
                    delete_inline_policy(iam, role, name).await?;
                }
            }
        }
        Ok(None)
    }

    fn tags(live: &IamRoleLive) -> Option<&Tags> {
        Some(&live.tags)
    }

    async fn set_tags(
        ctx: &Ctx<'_>,
        live: &IamRoleLive,
        changes: &TagChanges,
    ) -> Result<(), AwsError> {
        tags::set_iam(&ctx.aws.iam, &live.name, changes).await
    }

    /// IAM deletes a role only without policies: detaches every managed policy and deletes
    /// every inline one first (as read), then the role. Each call is safe to repeat: what is
    /// already gone (NoSuchEntity) counts as done.
    async fn delete(
        ctx: &Ctx<'_>,
        live: &IamRoleLive,
        _options: &DeleteOptions,
    ) -> Result<Deleted, AwsError> {
        let iam = &ctx.aws.iam;
        let role = live.name.as_str();
        for arn in &live.managed_policy_arns {
            detach_policy(iam, role, arn).await?;
        }
        for name in live.inline_policies.keys() {
            delete_inline_policy(iam, role, name).await?;
        }
        absent_ok(
            iam.delete_role()
                .role_name(role)
                .send()
                .await
                .op("DeleteRole"),
        )?;
        Ok(Deleted::Requested)
    }

    fn physical_id(live: &IamRoleLive) -> String {
        live.arn.clone()
    }

    fn outputs(live: &IamRoleLive) -> Outputs {
        Outputs::from([
            ("arn".into(), live.arn.clone()),
            ("name".into(), live.name.clone()),
        ])
    }

    fn status(live: &IamRoleLive) -> String {
        format!(
            "{} managed, {} inline polic(ies)",
            live.managed_policy_arns.len(),
            live.inline_policies.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

    fn spec() -> IamRoleSpec {
        let statement = |sid: Option<&str>, actions: &[&str], resource| PolicyStatement {
            sid: sid.map(str::to_string),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: vec![resource],
        };
        IamRoleSpec {
            name: "macro-ai-test-api-task".into(),
            description: "API task role".into(),
            trusted_service: "ecs-tasks.amazonaws.com".into(),
            managed_policy_arns: vec![EXECUTION.into()],
            inline_policies: vec![InlinePolicy {
                name: "read-secrets".into(),
                statements: vec![
                    statement(
                        Some("ReadSecrets"),
                        &[
                            "secretsmanager:GetSecretValue",
                            "secretsmanager:DescribeSecret",
                        ],
                        PolicyResource::Ref(Ref::new("secret-api", "arn")),
                    ),
                    statement(None, &["ecr:GetAuthorizationToken"], PolicyResource::Any),
                ],
            }],
        }
    }

    fn resolver() -> Resolver {
        let resolver = Resolver::default();
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf";
        resolver.set(
            &"secret-api".into(),
            Outputs::from([("arn".into(), arn.into())]),
        );
        resolver
    }

    fn normal(document: Value) -> String {
        normalize_policy(&document.to_string())
    }

    fn live_from(spec: &IamRoleSpec, resolver: &Resolver) -> IamRoleLive {
        IamRoleLive {
            name: spec.name.clone(),
            arn: format!("arn:aws:iam::123456789012:role/{}", spec.name),
            description: Some(spec.description.clone()),
            trust_policy: Some(normal(trust_document(&spec.trusted_service))),
            managed_policy_arns: spec.managed_policy_arns.iter().cloned().collect(),
            inline_policies: (spec.inline_policies.iter())
                .map(|p| (p.name.clone(), normal(inline_document(p, resolver))))
                .collect(),
            tags: Tags::new(),
        }
    }

    #[test]
    fn documents_are_compared_semantically() {
        let written = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["b:X","a:Y"],"Resource":"*"},{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        // URL-encoded, keys and statements reordered, strings as arrays, a duplicate action.
        let returned = "%7B%22Statement%22%3A%20%5B%7B%22Action%22%3A%20%22sts%3AAssumeRole%22%2C%20%22Principal%22%3A%20%7B%22Service%22%3A%20%5B%22ecs-tasks.amazonaws.com%22%5D%7D%2C%20%22Effect%22%3A%20%22Allow%22%7D%2C%20%7B%22Resource%22%3A%20%5B%22%2A%22%5D%2C%20%22Action%22%3A%20%5B%22a%3AY%22%2C%20%22b%3AX%22%2C%20%22a%3AY%22%5D%2C%20%22Effect%22%3A%20%22Allow%22%7D%5D%2C%20%22Version%22%3A%20%222012-10-17%22%7D";
        assert_eq!(normalize_policy(written), normalize_policy(returned));
        for (from, to) in [
            ("2012-10-17", "2008-10-17"),
            ("a:Y", "a:Z"),
            ("Allow", "Deny"),
        ] {
            let changed = normalize_policy(&written.replacen(from, to, 1));
            assert_ne!(normalize_policy(written), changed, "{from} -> {to}");
        }
        // A lone statement object; condition values as string or array.
        let a = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"StringEquals":{"k":"v"}}}}"#;
        let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*"],"Resource":["*"],"Condition":{"StringEquals":{"k":["v"]}}}]}"#;
        assert_eq!(normalize_policy(a), normalize_policy(b));
        assert_eq!(
            canonical_json(&json!({"b": 10.0, "a": [1]})),
            r#"{"a":[1],"b":10}"#
        );
        assert_eq!(normalize_policy("%zz"), "%zz"); // not JSON: only equal to itself
    }

    #[test]
    fn diff() {
        let (spec, resolver) = (spec(), resolver());
        let live = live_from(&spec, &resolver);
        assert!(IamRole::diff(&spec, &live, &resolver).is_empty());
        // Not reported by IAM: unknown, not a difference.
        let unknown = IamRoleLive {
            description: None,
            trust_policy: None,
            ..live.clone()
        };
        assert!(IamRole::diff(&spec, &unknown, &resolver).is_empty());
        let mut other = live.clone();
        other.managed_policy_arns = BTreeSet::from(["arn:aws:iam::aws:policy/ReadOnly".into()]);
        other
            .inline_policies
            .insert("old".into(), normal(json!({})));
        other.trust_policy = Some(normal(trust_document("ec2.amazonaws.com")));
        let mut fields: Vec<String> = IamRole::diff(&spec, &other, &resolver)
            .into_iter()
            .map(|change| format!("{} -> {}", change.field, change.new))
            .collect();
        fields.sort();
        let trust = normal(trust_document("ecs-tasks.amazonaws.com"));
        assert_eq!(
            fields,
            vec![
                "inline_policy old -> (absent)".to_string(),
                "managed_policy arn:aws:iam::aws:policy/ReadOnly -> (absent)".into(),
                format!("managed_policy {EXECUTION} -> attached"),
                format!("trust_policy -> {trust}"),
            ]
        );
        // An unresolved reference is a difference (known after apply).
        let changes = IamRole::diff(&spec, &live, &Resolver::default());
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "inline_policy read-secrets");
        assert_eq!(IamRole::refs(&spec), vec![Ref::new("secret-api", "arn")]);
    }

    #[test]
    fn outputs_are_the_declared_ones_and_ids_name_the_role() {
        let (spec, resolver) = (spec(), resolver());
        let live = live_from(&spec, &resolver);
        let keys: Vec<String> = IamRole::outputs(&live).into_keys().collect();
        assert_eq!(keys, IamRole::OUTPUTS);
        assert_eq!(name_of(&live.arn), spec.name);
        assert_eq!(name_of("arn:aws:iam::123456789012:role/service/x"), "x");
        assert_eq!(name_of("macro-ai-test-api-task"), "macro-ai-test-api-task");
    }
}
