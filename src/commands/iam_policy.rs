//! `macroctl iam-policy`: prints the IAM policy document a CI role needs for one command on
//! one environment (see `ops::iam_policy`). The document is the data, in text and JSON mode
//! alike, so it can go straight to `aws iam put-role-policy --policy-document file://…`.
//! With `--account`, no AWS call is made; without it, only STS GetCallerIdentity.

use super::Context;
use crate::cli::IamPolicyArgs;
use crate::error::Error;
use crate::exit;
use crate::ops;
use crate::ops::iam_policy;

pub async fn run(context: &Context, args: &IamPolicyArgs) -> Result<i32, Error> {
    let settings = &context.settings;
    let env = ops::load_environment(settings, &args.env.env)?;
    let state = ops::remote_location(settings, &env)?;
    let account = match &args.account {
        Some(account) => account.clone(),
        None => {
            ops::preflight(settings, &env.name)?;
            let aws_error = |source| Error::Aws {
                env: env.name.clone(),
                source,
            };
            let aws = ops::open_aws(settings, &env.region)
                .await
                .map_err(aws_error)?;
            aws.account_id().await.map_err(aws_error)?
        }
    };
    let document = iam_policy::policy(&env, &account, state.as_ref(), args.purpose);
    let text = serde_json::to_string_pretty(&document).map_err(std::io::Error::other)?;
    outln!("{text}");
    Ok(exit::SUCCESS)
}
