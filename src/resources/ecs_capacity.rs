//! Fargate capacity providers, shared by the cluster and its services.
//!
//! A cluster lists the capacity providers its services may use (`FARGATE` and
//! `FARGATE_SPOT`: AWS's own, nothing to create); a service says how its tasks are spread
//! over them with a capacity provider strategy: items of a provider, a `base` (tasks placed
//! there first) and a `weight` (the share of the rest). ECS keeps the order it was given, but
//! the order means nothing, so strategies are compared by provider.
//!
//! A strategy and a launch type exclude each other: a service made with `launchType FARGATE`
//! (before macroctl used capacity providers) shows as `launch type FARGATE`, and moves to a
//! strategy with an `UpdateService` that forces a new deployment, which ECS requires for every
//! change of strategy. The other way (strategy back to launch type) ECS refuses, so macroctl
//! always sends a strategy.

use aws_sdk_ecs::types::CapacityProviderStrategyItem;

/// One item of a capacity provider strategy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct CapacityShare {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub provider: String,
    /// Tasks placed on this provider before weights apply.
    pub base: i32,
    /// Its share of the tasks beyond the bases.
    pub weight: i32,
}

/// The strategy as ECS takes it.
pub fn to_ecs(shares: &[CapacityShare]) -> Vec<CapacityProviderStrategyItem> {
    shares
        .iter()
        .filter_map(|share| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(&share.provider)
                .base(share.base)
                .weight(share.weight)
                .build()
                .ok()
        })
        .collect()
}

/// The strategy as ECS reports it, sorted by provider.
pub fn from_ecs(items: &[CapacityProviderStrategyItem]) -> Vec<CapacityShare> {
    let mut shares: Vec<CapacityShare> = items
        .iter()
        .map(|item| CapacityShare {
            provider: item.capacity_provider().to_string(),
            base: item.base(),
            weight: item.weight(),
        })
        .collect();
    shares.sort();
    shares
}

/// `FARGATE base 1 weight 1, FARGATE_SPOT weight 1` (sorted by provider), or `(none)`.
pub fn shown(shares: &[CapacityShare]) -> String {
    let mut shares = shares.to_vec();
    shares.sort();
    super::listed(shares.iter().map(|share| {
        if share.base > 0 {
            format!(
                "{} base {} weight {}",
                share.provider, share.base, share.weight
            )
        } else {
            format!("{} weight {}", share.provider, share.weight)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(provider: &str, base: i32, weight: i32) -> CapacityShare {
        CapacityShare {
            provider: provider.into(),
            base,
            weight,
        }
    }

    #[test]
    fn strategies_compare_by_provider_whatever_their_order() {
        let sent = vec![share("FARGATE_SPOT", 0, 1), share("FARGATE", 1, 1)];
        let reported = from_ecs(&to_ecs(&sent));
        assert_eq!(shown(&reported), shown(&sent));
        assert_eq!(
            shown(&sent),
            "FARGATE base 1 weight 1, FARGATE_SPOT weight 1"
        );
        assert_eq!(shown(&[]), "(none)");
    }
}
