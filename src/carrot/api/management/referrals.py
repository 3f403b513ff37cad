"""Referrals of a campaign: …/campaigns/{campaignId}/import_referrals (CSV),
…/referrals/no_total, …/referrals/{referralId} (update, delete), and
/v1/applications/{applicationId}/export_referrals (CSV). Wire models are Talon.One's
UpdateReferral, Referral and Import."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse

from carrot.api.auth import database, management_caller
from carrot.api.management.campaigns import CampaignId
from carrot.api.management.coupons import (
    ModelImport,
    QueryTime,
    Recipient,
    TrueOrFalse,
    UsageLimit,
    csv_response,
    csv_upload,
    import_wire,
)
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationId,
    PageSize,
    QueryText,
    RequestModel,
    Skip,
    Timestamp,
)
from carrot.api.wire import page, timestamp
from carrot.domain.coupon import Validity
from carrot.domain.referral import Referral, ReferralQuery
from carrot.service import referrals
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

ReferralId = Annotated[int, Path(alias="referralId", ge=1, le=INT64_MAX)]
ReferralSort = Literal[
    "id",
    "-id",
    "created",
    "-created",
    "code",
    "-code",
    "startDate",
    "-startDate",
    "expiryDate",
    "-expiryDate",
    "usageCounter",
    "-usageCounter",
]
REFERRALS = "/applications/{applicationId}/campaigns/{campaignId}/referrals"


class UpdateReferral(RequestModel):
    """The body of PUT …/referrals/{referralId}: fields left out stay as they are."""

    friend_profile_integration_id: Recipient | None = None
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    usage_limit: UsageLimit | None = None
    attributes: dict[str, Any] | None = None

    def changes(self) -> referrals.ReferralChanges:
        return referrals.ReferralChanges(
            usage_limit=self.usage_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            friend_profile_integration_id=self.friend_profile_integration_id,
            attributes=self.attributes,
        )


@router.post(
    "/applications/{applicationId}/campaigns/{campaignId}/import_referrals",
    response_model=ModelImport,
)
def import_referrals(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    data: bytes = Depends(csv_upload),
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> ModelImport:
    done = referrals.import_referrals(db, caller, application_id, campaign_id, data)
    return import_wire(done)


def referral_query(
    created_before: Annotated[QueryTime, Query(alias="createdBefore")] = None,
    created_after: Annotated[QueryTime, Query(alias="createdAfter")] = None,
    valid: Annotated[Validity | None, Query()] = None,
    usable: Annotated[TrueOrFalse | None, Query()] = None,
) -> ReferralQuery:
    """The filters Talon.One's referral list and export share."""
    return ReferralQuery(
        created_before=created_before,
        created_after=created_after,
        valid=valid,
        usable=None if usable is None else usable == "true",
    )


@router.get(REFERRALS + "/no_total")
def get_referrals_without_total_count(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    query: ReferralQuery = Depends(referral_query),
    code: QueryText = None,
    advocate: QueryText = None,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    sort: ReferralSort = "id",
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    query = replace(query, code=code, advocate=advocate)
    found = referrals.list_referrals(
        db, caller, application_id, campaign_id, query, sort=sort, page_size=page_size, skip=skip
    )
    return page([referral_wire(referral) for referral in found], page_size=page_size)


@router.put(REFERRALS + "/{referralId}")
def update_referral(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    referral_id: ReferralId,
    body: UpdateReferral,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    updated = referrals.update_referral(
        db, caller, application_id, campaign_id, referral_id, body.changes()
    )
    return referral_wire(updated)


@router.delete(REFERRALS + "/{referralId}", status_code=204)
def delete_referral(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    referral_id: ReferralId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    referrals.delete_referral(db, caller, application_id, campaign_id, referral_id)
    return Response(status_code=204)


@router.get("/applications/{applicationId}/export_referrals", response_class=StreamingResponse)
def export_referrals(
    application_id: ApplicationId,
    query: ReferralQuery = Depends(referral_query),
    campaign_id: Annotated[int | None, Query(alias="campaignId", ge=1, le=INT64_MAX)] = None,
    batch_id: Annotated[QueryText, Query(alias="batchId")] = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> StreamingResponse:
    query = replace(query, campaign_id=campaign_id, batch_id=batch_id)
    return csv_response(
        referrals.export_referrals(db, caller, application_id, query), "referrals.csv"
    )


def referral_wire(referral: Referral) -> dict[str, Any]:
    """Talon.One's Referral."""
    terms = referral.terms
    wire = {
        "id": referral.id,
        "created": timestamp(referral.created),
        "startDate": timestamp(terms.start_date),
        "expiryDate": timestamp(terms.expiry_date),
        "usageLimit": terms.usage_limit,
        "campaignId": referral.campaign_id,
        "advocateProfileIntegrationId": referral.advocate_profile_integration_id,
        "friendProfileIntegrationId": terms.friend_profile_integration_id,
        "attributes": terms.attributes,
        "importId": referral.import_id,
        "code": referral.code,
        "usageCounter": referral.usage_counter,
        "batchId": referral.batch_id,
    }
    return {key: value for key, value in wire.items() if value is not None}
