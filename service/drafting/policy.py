"""The company policy (rubrics/policy.yaml): validated once, then read by templates, prompts
and the grounding check."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ..checker.languages import LANGS
from ..checker.rubric_files import read_yaml, validate
from ..errors import RubricError

__all__ = ["Policy", "load_policy"]

Lang = Literal[LANGS]  # checker/languages.py
Tier = Literal["minor", "medium", "severe"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localised(_Strict):
    zh_Hans: str = Field(alias="zh-Hans")
    zh_Hant: str = Field(alias="zh-Hant")
    en: str

    def __call__(self, lang: str) -> str:
        return {"zh-Hans": self.zh_Hans, "zh-Hant": self.zh_Hant}.get(lang, self.en)


class Company(_Strict):
    name: Localised


class Contact(_Strict):
    name: Localised
    hotline: str
    email: str
    hours: Localised
    private_channel: Localised


class Currency(_Strict):
    code: str
    symbol: str


class Returns(_Strict):
    no_reason_days: int = Field(gt=0)
    defective_days: int = Field(gt=0)


class Refunds(_Strict):
    processing_business_days: int = Field(gt=0)
    duplicate_charge_hours: int = Field(gt=0)


class Shipping(_Strict):
    resend_hours: int = Field(gt=0)
    lost_parcel_trace_hours: int = Field(gt=0)


class AccountSecurity(_Strict):
    freeze_minutes: int = Field(gt=0)
    investigation_hours: int = Field(gt=0)


class Outage(_Strict):
    update_every_minutes: int = Field(gt=0)


class Service(_Strict):
    supervisor_callback_hours: int = Field(gt=0)
    answer_hours: int = Field(gt=0)


class Safety(_Strict):
    callback_minutes: int = Field(gt=0)


class Compensation(_Strict):
    coupon: float = Field(ge=0)
    cap: float = Field(ge=0)


class Tier_(_Strict):
    respond_within: Literal["24h", "8h", "4h", "immediate"]
    escalate_to: Literal["frontline", "supervisor", "executive"]


class Emergency(_Strict):
    police: str
    fire: str
    ambulance: str


class Policy(_Strict):
    company: Company
    contact: Contact
    links: dict[str, str]
    currency: Currency
    returns: Returns
    refunds: Refunds
    shipping: Shipping
    account_security: AccountSecurity
    outage: Outage
    service: Service
    safety: Safety
    compensation: dict[Tier, Compensation]
    severity: dict[Tier, Tier_]
    emergency: dict[Lang, Emergency]

    _numbers: frozenset[float] | None = PrivateAttr(None)

    def numbers(self) -> set[float]:
        """Every number the policy states: the only figures a draft may promise."""
        if self._numbers is None:
            found: set[float] = set()

            def walk(value) -> None:
                if isinstance(value, bool):
                    return
                if isinstance(value, (int, float)):
                    found.add(float(value))
                elif isinstance(value, str):
                    found.update(float(n) for n in re.findall(r"\d+(?:\.\d+)?", value))
                elif isinstance(value, dict):
                    for v in value.values():
                        walk(v)

            walk(self.model_dump())
            self._numbers = frozenset(found)
        return set(self._numbers)


@functools.cache
def load_policy(path: Path | str) -> Policy:
    """The policy file `path` (Settings.policy_path), validated."""
    path = Path(path)
    if not path.is_file():
        raise RubricError(f"{path}: policy file not found")
    policy = validate(Policy, read_yaml(path), str(path))
    for tier in ("minor", "medium", "severe"):
        if tier not in policy.compensation or tier not in policy.severity:
            raise RubricError(f"{path}: compensation and severity need minor, medium and severe")
        if policy.compensation[tier].coupon > policy.compensation[tier].cap:
            raise RubricError(f"{path}: compensation.{tier}: coupon is over the cap")
    return policy
