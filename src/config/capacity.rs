//! Where a service's Fargate tasks run: `[services.<svc>] capacity`.
//!
//! Fargate Spot runs the same tasks for up to 70% less, but AWS may take a Spot task back
//! with two minutes' notice (ECS then starts a replacement where capacity allows). The seed
//! plan asks for Spot for non-critical workloads, so each service chooses, in words rather
//! than capacity provider weights:
//!
//! * `"on-demand"` (the default when the key is absent): every task on `FARGATE`;
//! * `"spot"`: every task on `FARGATE_SPOT`;
//! * `"mixed"`: `on_demand_base` tasks (default 1) always on `FARGATE`, and of the tasks
//!   beyond them `spot_percent` percent (default 50) on `FARGATE_SPOT`, the rest on `FARGATE`.
//!
//! The choice becomes the service's capacity provider strategy ([`strategy`]); ECS starts a
//! new deployment when it changes. The default is on-demand because interruption is a choice a
//! file should make, never one macroctl makes for it.

use serde::Deserialize;

use super::ServiceConfig;

/// `capacity` of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    /// Every task on regular (on-demand) Fargate.
    #[default]
    OnDemand,
    /// Every task on Fargate Spot.
    Spot,
    /// A base on on-demand, the rest shared between on-demand and Spot.
    Mixed,
}

impl Capacity {
    /// The spelling used in the environment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::OnDemand => "on-demand",
            Capacity::Spot => "spot",
            Capacity::Mixed => "mixed",
        }
    }
}

/// ECS's on-demand Fargate capacity provider.
pub const FARGATE: &str = "FARGATE";
/// ECS's Fargate Spot capacity provider.
pub const FARGATE_SPOT: &str = "FARGATE_SPOT";

/// `capacity = "mixed"` without `on_demand_base`: one task always on on-demand.
pub const DEFAULT_ON_DEMAND_BASE: u32 = 1;
/// `capacity = "mixed"` without `spot_percent`: half of the rest on Spot.
pub const DEFAULT_SPOT_PERCENT: u32 = 50;
/// The largest `base` ECS accepts.
const MAX_BASE: u32 = 100_000;

/// One item of a capacity provider strategy, as ECS takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub provider: &'static str,
    pub base: u32,
    pub weight: u32,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The capacity provider strategy a (validated) service asks for, weights in lowest terms.
pub fn strategy(service: &ServiceConfig) -> Vec<Share> {
    let share = |provider, base, weight| Share {
        provider,
        base,
        weight,
    };
    match service.capacity {
        Capacity::OnDemand => vec![share(FARGATE, 0, 1)],
        Capacity::Spot => vec![share(FARGATE_SPOT, 0, 1)],
        Capacity::Mixed => {
            let base = service.on_demand_base.unwrap_or(DEFAULT_ON_DEMAND_BASE);
            let spot = service.spot_percent.unwrap_or(DEFAULT_SPOT_PERCENT);
            let divisor = gcd(spot, 100 - spot).max(1);
            vec![
                share(FARGATE, base, (100 - spot) / divisor),
                share(FARGATE_SPOT, 0, spot / divisor),
            ]
        }
    }
}

/// Problems with the capacity keys of `[<prefix>]` (`services.api`), as (key, message).
pub(super) fn check(prefix: &str, service: &ServiceConfig) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let key = |k: &str| format!("{prefix}.{k}");
    let mixed = service.capacity == Capacity::Mixed;
    let only_mixed = |k: &str| {
        format!(
            "only applies with capacity = \"mixed\" (this service has capacity = \"{}\"); remove {k} or set capacity = \"mixed\"",
            service.capacity.as_str()
        )
    };
    if let Some(base) = service.on_demand_base {
        if !mixed {
            problems.push((key("on_demand_base"), only_mixed("on_demand_base")));
        } else if base > MAX_BASE {
            problems.push((
                key("on_demand_base"),
                format!("{base} is out of range; allowed 0..={MAX_BASE} tasks"),
            ));
        }
    }
    if let Some(percent) = service.spot_percent {
        if !mixed {
            problems.push((key("spot_percent"), only_mixed("spot_percent")));
        } else if !(1..=99).contains(&percent) {
            problems.push((
                key("spot_percent"),
                format!("{percent} is out of range; allowed 1..=99 percent (use capacity = \"spot\" for 100, \"on-demand\" for 0)"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(capacity: Capacity, base: Option<u32>, spot: Option<u32>) -> ServiceConfig {
        ServiceConfig {
            container_port: 3040,
            cpu: 256,
            memory_mib: 512,
            desired_count: 2,
            health_check_path: "/".into(),
            health_check_grace_period_seconds: 60,
            image: None,
            capacity,
            on_demand_base: base,
            spot_percent: spot,
            read_only_root_filesystem: true,
        }
    }

    #[test]
    fn each_choice_is_a_strategy() {
        let shares = |s: &ServiceConfig| {
            strategy(s)
                .iter()
                .map(|share| (share.provider, share.base, share.weight))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shares(&service(Capacity::OnDemand, None, None)),
            [(FARGATE, 0, 1)]
        );
        assert_eq!(
            shares(&service(Capacity::Spot, None, None)),
            [(FARGATE_SPOT, 0, 1)]
        );
        assert_eq!(
            shares(&service(Capacity::Mixed, None, None)),
            [(FARGATE, 1, 1), (FARGATE_SPOT, 0, 1)]
        );
        assert_eq!(
            shares(&service(Capacity::Mixed, Some(2), Some(75))),
            [(FARGATE, 2, 1), (FARGATE_SPOT, 0, 3)]
        );
        assert_eq!(
            shares(&service(Capacity::Mixed, Some(0), Some(33))),
            [(FARGATE, 0, 67), (FARGATE_SPOT, 0, 33)]
        );
    }

    #[test]
    fn mixed_only_keys_and_ranges_are_checked() {
        let problems = check("services.ui", &service(Capacity::Spot, Some(1), Some(50)));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, "services.ui.on_demand_base");
        assert!(
            problems[0].1.contains("capacity = \"mixed\""),
            "{problems:?}"
        );
        let problems = check(
            "services.api",
            &service(Capacity::Mixed, Some(1), Some(100)),
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "services.api.spot_percent");
        assert!(problems[0].1.contains("1..=99"), "{problems:?}");
        assert!(check("services.api", &service(Capacity::Mixed, Some(3), Some(20))).is_empty());
    }
}
