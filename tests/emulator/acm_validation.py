"""ACM DNS validation as AWS does it: a certificate is issued once its records are in DNS.

moto 5.2.5 issues every Amazon-issued certificate ``ACM_VALIDATION_WAIT`` seconds (60) after
the request, whatever DNS holds, and gives every name the same validation CNAME. So a test
could neither show that macroctl writes the validation records nor that what uses the
certificate waits for the issue. AWS:

* gives each name its own validation record, the same for every certificate of the account
  that covers that name (``_<hash>.<name>.`` → ``_<hash>.<random>.acm-validations.aws.``);
* fills the records in (``DomainValidationOptions[].ResourceRecord``) a few seconds after
  the request;
* issues the certificate once every name's record resolves, with ACM's value.

What this module changes (documented on the wire under "ACM validation" in ``launcher.py``'s
docstring):

* ``CertBundle.describe``: each name's ``ResourceRecord`` is derived from the account and
  the name (stable, distinct per name), and left out for
  ``MACROCTL_EMULATOR_ACM_RECORD_SECONDS`` (default 0.5) after the request;
  ``ValidationStatus`` is ``SUCCESS`` once issued, else ``PENDING_VALIDATION``.
* ``CertBundle.check``: a DNS-validated (Amazon-issued) certificate stays
  ``PENDING_VALIDATION`` until every one of its names' validation CNAMEs exists, with ACM's
  value, in a Route 53 hosted zone of the same account in the emulator; it is ``ISSUED``
  ``MACROCTL_EMULATOR_ACM_ISSUE_SECONDS`` (default 1) after that was first seen.
  ``ACM_VALIDATION_WAIT`` no longer applies. Expiry is checked as moto does.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError as err:
        raise SystemExit(f"{name}={raw!r} is not a number of seconds") from err


def validation_record(account: str, name: str) -> tuple[str, str]:
    """The (name, value) of the validation CNAME of ``name`` for ``account``."""
    base = name[2:] if name.startswith("*.") else name
    digest = hashlib.sha256(f"{account}/{base}".encode()).hexdigest()
    return f"_{digest[:32]}.{base}.", f"_{digest[32:64]}.mhbtsbpdnt.acm-validations.aws."


def _account(cert: Any) -> str:
    return cert.arn.split(":")[4]


def _names(cert: Any) -> list[str]:
    names = list(cert.sans)
    if cert.common_name and cert.common_name not in names:
        names.insert(0, cert.common_name)
    return names


def _in_route53(account: str, name: str, value: str) -> bool:
    from moto.route53.models import route53_backends

    backend = route53_backends[account]["aws"]
    for zone in backend.zones.values():
        for rrset in zone.rrsets:
            if rrset.type != "CNAME" or rrset.name.rstrip(".").lower() != name.rstrip(".").lower():
                continue
            values = [str(v).rstrip(".").lower() for v in rrset.records or []]
            if value.rstrip(".").lower() in values:
                return True
    return False


def patch_acm_validation() -> None:
    from moto.acm.models import CertBundle
    from moto.core.utils import utcnow

    record_seconds = _seconds("MACROCTL_EMULATOR_ACM_RECORD_SECONDS", 0.5)
    issue_seconds = _seconds("MACROCTL_EMULATOR_ACM_ISSUE_SECONDS", 1.0)
    original_describe = CertBundle.describe

    def age(cert: Any) -> float:
        return (utcnow() - cert.created_at).total_seconds()

    def check(self: Any) -> None:
        now = utcnow()
        if self._not_valid_after(self._cert) <= now:
            self.status = "EXPIRED"
            return
        if self.type != "AMAZON_ISSUED" or self.status != "PENDING_VALIDATION":
            return
        account = _account(self)
        validated = age(self) >= record_seconds and all(
            _in_route53(account, *validation_record(account, name)) for name in _names(self)
        )
        if not validated:
            self._macroctl_validated_at = None
            return
        seen: datetime | None = getattr(self, "_macroctl_validated_at", None)
        if seen is None:
            self._macroctl_validated_at = seen = now
        if (now - seen).total_seconds() >= issue_seconds:
            self.status = "ISSUED"

    def describe(self: Any) -> dict[str, Any]:
        result = original_describe(self)
        detail = result["Certificate"]
        account = _account(self)
        hidden = age(self) < record_seconds
        for option in detail.get("DomainValidationOptions", []):
            name, value = validation_record(account, option["DomainName"])
            option["ValidationStatus"] = (
                "SUCCESS" if self.status == "ISSUED" else "PENDING_VALIDATION"
            )
            if hidden:
                option.pop("ResourceRecord", None)
            else:
                option["ResourceRecord"] = {"Name": name, "Type": "CNAME", "Value": value}
        return result

    CertBundle.check = check
    CertBundle.describe = describe
