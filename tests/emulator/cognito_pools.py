"""Cognito user pools as AWS keeps them: deletion protection, settings fixed at creation, and
one MFA setting.

moto 5.2.5 differs from AWS in ways that change what macroctl does or what its tests can
prove:

* ``DeleteUserPool`` deletes a pool whose ``DeletionProtection`` is ``ACTIVE``; AWS refuses
  with ``InvalidParameterException`` until the protection is turned off. Without the refusal
  a test could not tell whether ``destroy --disable-deletion-protection`` turned it off.
* ``UpdateUserPool`` replaces the pool's whole stored configuration with the request, so
  what can only be set at creation (``UsernameAttributes``, ``AliasAttributes``,
  ``UsernameConfiguration``) is forgotten, and the request's ``UserPoolId`` is stored and
  echoed by ``DescribeUserPool``. AWS keeps the creation-only settings, and resets the
  updatable ones it is not given to their defaults (moto does that part right).
* ``MfaConfiguration`` is kept twice: ``SetUserPoolMfaConfig`` changes the copy
  ``GetUserPoolMfaConfig`` reads, while ``DescribeUserPool`` reports the one given to
  ``CreateUserPool``/``UpdateUserPool``, so the two calls disagree after either. AWS has one
  setting.

What this module changes (documented on the wire under "Cognito" in ``launcher.py``'s
docstring):

* ``CognitoIdpBackend.delete_user_pool`` raises ``InvalidParameterException`` ("The user
  pool cannot be deleted because deletion protection is activated. Deletion protection must
  be inactivated first.") while the pool's ``DeletionProtection`` is ``ACTIVE``.
* ``CognitoIdpBackend.update_user_pool`` keeps ``UsernameAttributes``, ``AliasAttributes``
  and ``UsernameConfiguration`` from the pool's configuration, drops ``UserPoolId`` from the
  stored one, and sets the pool's MFA setting when the request has ``MfaConfiguration``.
* ``CognitoIdpBackend.set_user_pool_mfa_config`` also sets the ``MfaConfiguration``
  ``DescribeUserPool`` reports.

Tags: moto keeps a pool's ``UserPoolTags`` (from ``CreateUserPool`` and ``UpdateUserPool``)
and reports them in ``DescribeUserPool``, as AWS does; it has no cognito-idp
``TagResource``/``UntagResource``/``ListTagsForResource``, which macroctl does not use.
"""

from __future__ import annotations

from typing import Any

# Settable only by CreateUserPool on AWS: UpdateUserPool does not take them.
CREATION_ONLY = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration")


def patch_cognito_pools() -> None:
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.cognitoidp.models import CognitoIdpBackend

    original_delete = CognitoIdpBackend.delete_user_pool
    original_update = CognitoIdpBackend.update_user_pool
    original_set_mfa = CognitoIdpBackend.set_user_pool_mfa_config

    def delete_user_pool(self: Any, user_pool_id: str) -> None:
        pool = self.describe_user_pool(user_pool_id)
        if pool.extended_config.get("DeletionProtection") == "ACTIVE":
            raise InvalidParameterException(
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactivated first."
            )
        original_delete(self, user_pool_id)

    def update_user_pool(self: Any, user_pool_id: str, extended_config: dict[str, Any]) -> None:
        pool = self.describe_user_pool(user_pool_id)
        kept = {k: pool.extended_config[k] for k in CREATION_ONLY if k in pool.extended_config}
        config = {k: v for k, v in (extended_config or {}).items() if k != "UserPoolId"}
        config = {k: v for k, v in config.items() if k not in CREATION_ONLY}
        config.update(kept)
        original_update(self, user_pool_id, config)
        if "MfaConfiguration" in config:
            pool.mfa_config = config["MfaConfiguration"]

    def set_user_pool_mfa_config(
        self: Any,
        user_pool_id: str,
        sms_config: dict[str, Any],
        token_config: dict[str, bool],
        mfa_config: str,
    ) -> dict[str, Any]:
        answer = original_set_mfa(self, user_pool_id, sms_config, token_config, mfa_config)
        self.describe_user_pool(user_pool_id).extended_config["MfaConfiguration"] = mfa_config
        return answer

    CognitoIdpBackend.delete_user_pool = delete_user_pool  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_pool = update_user_pool  # type: ignore[method-assign]
    CognitoIdpBackend.set_user_pool_mfa_config = set_user_pool_mfa_config  # type: ignore[method-assign]
