//! The AWS region names macroctl accepts, so that `us-esat-1` is refused with "did you mean
//! us-east-1?" before any call, instead of failing later on an endpoint that does not resolve.
//!
//! The AWS SDK for Rust keeps its partition data (`aws-smithy` endpoint rules) internal and
//! matches regions by pattern, not by list, so it cannot tell a typo from a region. This is
//! therefore a hand-kept list of the commercial (`aws`), GovCloud (`aws-us-gov`) and China
//! (`aws-cn`) regions; when AWS opens a region, add it here.

/// Every region name accepted, by partition (commercial, GovCloud, China).
pub const REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
];

pub fn is_known(name: &str) -> bool {
    REGIONS.contains(&name)
}

/// Why `name` is not accepted, with the closest known region when there is one near enough to
/// be a typo: `"us-esat-1" is not an AWS region; did you mean us-east-1?`.
pub fn problem(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let closest = REGIONS
        .iter()
        .map(|region| (distance(&lower, region), *region))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3);
    match closest {
        Some((_, region)) => format!("{name:?} is not an AWS region; did you mean {region}?"),
        None => format!(
            "{name:?} is not an AWS region; use a region name like \"us-east-1\" (known: {})",
            REGIONS.join(", ")
        ),
    }
}

/// Edit distance counting a swap of two adjacent characters as one edit (optimal string
/// alignment), so `esat` is one edit from `east`.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_across_partitions() {
        for region in ["us-east-1", "eu-west-3", "us-gov-west-1", "cn-northwest-1"] {
            assert!(is_known(region), "{region}");
        }
        for bad in ["us-esat-1", "US-EAST-1", "us-east", "", "us-east-9"] {
            assert!(!is_known(bad), "{bad}");
        }
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(distance("us-esat-1", "us-east-1"), 1);
        assert!(problem("us-esat-1").ends_with("did you mean us-east-1?"));
        assert!(problem("eu-wset-1").contains("did you mean eu-west-1?"));
        assert!(problem("US-EAST-1").contains("did you mean"));
        let far = problem("mars-north-7");
        assert!(
            !far.contains("did you mean") && far.contains("us-east-1"),
            "{far}"
        );
    }
}
