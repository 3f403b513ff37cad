"""POST /v1/referrals and /v1/referrals_for_multiple_advocates: referral codes for
advocates, in the campaign the body names (of the key's application). Wire models are
Talon.One's NewReferral, NewReferralsForMultipleAdvocates and Referral."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from carrot.api.auth import database, integration_caller
from carrot.api.management.coupons import Characters, CodePattern, Recipient, Silent, UsageLimit
from carrot.api.management.models import Id, RequestModel, Timestamp
from carrot.api.management.referrals import referral_wire
from carrot.domain.referral import ReferralTerms
from carrot.service import referrals
from carrot.service.codes import CodeRequest
from carrot.service.keys import IntegrationCaller
from carrot.store.db import Database

router = APIRouter()


class NewReferral(RequestModel):
    """A usageLimit left out is 0, unlimited (Talon.One's zero value)."""

    campaign_id: Id
    advocate_profile_integration_id: Recipient
    friend_profile_integration_id: Recipient | None = None
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    usage_limit: UsageLimit = 0
    attributes: dict[str, Any] = Field(default_factory=dict)

    def request(self) -> referrals.NewReferrals:
        terms = ReferralTerms(
            usage_limit=self.usage_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            friend_profile_integration_id=self.friend_profile_integration_id,
            attributes=self.attributes,
        )
        return referrals.NewReferrals(
            campaign_id=self.campaign_id,
            advocates=(self.advocate_profile_integration_id,),
            terms=terms,
        )


class NewReferralsForMultipleAdvocates(RequestModel):
    campaign_id: Id
    advocate_profile_integration_ids: Annotated[
        list[Recipient], Field(min_length=1, max_length=referrals.MAX_ADVOCATES)
    ]
    usage_limit: UsageLimit
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    valid_characters: Characters | None = None
    referral_pattern: CodePattern | None = None

    def request(self) -> referrals.NewReferrals:
        terms = ReferralTerms(
            usage_limit=self.usage_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            attributes=self.attributes,
        )
        codes = CodeRequest(
            pattern_text=self.referral_pattern,
            characters=None if self.valid_characters is None else tuple(self.valid_characters),
            pattern_pointer="/referralPattern",
        )
        return referrals.NewReferrals(
            campaign_id=self.campaign_id,
            advocates=tuple(self.advocate_profile_integration_ids),
            terms=terms,
            codes=codes,
            batch=True,
        )


@router.post("/v1/referrals", status_code=201)
def create_referral(
    body: NewReferral,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    [referral] = referrals.create_referrals(db, caller, body.request())
    return referral_wire(referral)


@router.post("/v1/referrals_for_multiple_advocates", status_code=201, response_model=None)
def create_referrals_for_multiple_advocates(
    body: NewReferralsForMultipleAdvocates,
    silent: Silent = "yes",
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any] | Response:
    created = referrals.create_referrals(db, caller, body.request())
    if silent == "yes":
        return Response(status_code=204)
    return {"totalResultSize": len(created), "data": [referral_wire(r) for r in created]}
