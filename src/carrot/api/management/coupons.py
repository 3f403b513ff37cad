"""Coupons of a campaign: /v1/applications/{applicationId}/campaigns/{campaignId}/coupons
(create, list, update, delete), …/coupons_async (background creation, and carrot's job
status), …/import_coupons (CSV), and /v1/applications/{applicationId}/export_coupons (CSV).
Wire models are Talon.One's NewCoupons, NewCouponCreationJob, UpdateCoupon, Coupon,
AsyncCouponCreationResponse and Import."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field

from carrot.api.auth import database, management_caller
from carrot.api.management.campaigns import CampaignId, limit_wire
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationId,
    Flag,
    LimitConfig,
    PageSize,
    QueryText,
    RequestModel,
    ShortText,
    Skip,
    Timestamp,
)
from carrot.api.wire import WireModel, number, page, timestamp
from carrot.domain import campaign as campaign_domain
from carrot.domain.coupon import (
    MAX_USAGE_LIMIT,
    CodeImport,
    Coupon,
    CouponJob,
    CouponQuery,
    CouponTerms,
    Validity,
)
from carrot.domain.errors import bad_request
from carrot.service import coupons
from carrot.service.codes import CodeRequest
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

CouponId = Annotated[int, Path(alias="couponId", ge=1, le=INT64_MAX)]
JobId = Annotated[int, Path(alias="jobId", ge=1, le=INT64_MAX)]
UsageLimit = Annotated[int, Field(strict=True, ge=0, le=MAX_USAGE_LIMIT)]
DiscountLimit = Annotated[float, Field(strict=True, ge=0, le=1e15, allow_inf_nan=False)]
Character = Annotated[ShortText, Field(min_length=1, max_length=1)]
Characters = Annotated[list[Character], Field(min_length=1, max_length=1000)]
CodePattern = Annotated[ShortText, Field(min_length=3, max_length=100)]
Recipient = Annotated[ShortText, Field(min_length=1)]
QueryTime = Annotated[Timestamp | None, Query()]
Silent = Literal["yes", "no"]
TrueOrFalse = Literal["true", "false"]
CouponSort = Literal[
    "id",
    "-id",
    "created",
    "-created",
    "value",
    "-value",
    "startDate",
    "-startDate",
    "expiryDate",
    "-expiryDate",
    "usageCounter",
    "-usageCounter",
]


class NewCoupons(RequestModel):
    """The body of POST …/coupons."""

    number_of_coupons: Annotated[int, Field(strict=True, ge=1, le=coupons.MAX_COUPONS_WITH_PREFIX)]
    usage_limit: UsageLimit
    discount_limit: DiscountLimit = 0
    reservation_limit: UsageLimit = 0
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    limits: list[LimitConfig] = Field(default_factory=list)
    unique_prefix: Annotated[ShortText, Field(max_length=100, pattern=r"^[^#]*$")] = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    recipient_integration_id: Recipient | None = None
    valid_characters: Characters | None = None
    coupon_pattern: CodePattern | None = None
    is_reservation_mandatory: Flag = False
    implicitly_reserved: Flag = False

    def request(self) -> coupons.NewCoupons:
        terms = CouponTerms(
            usage_limit=self.usage_limit,
            discount_limit=_decimal(self.discount_limit),
            reservation_limit=self.reservation_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            recipient_integration_id=self.recipient_integration_id,
            attributes=self.attributes,
            is_reservation_mandatory=self.is_reservation_mandatory,
            implicitly_reserved=self.implicitly_reserved,
            limits=tuple(_limit(limit) for limit in self.limits),
        )
        codes = CodeRequest(
            pattern_text=self.coupon_pattern,
            characters=None if self.valid_characters is None else tuple(self.valid_characters),
            unique_prefix=self.unique_prefix,
        )
        return coupons.NewCoupons(count=self.number_of_coupons, terms=terms, codes=codes)


class CodeGeneratorSettings(RequestModel):
    valid_characters: Characters
    coupon_pattern: CodePattern


class NewCouponCreationJob(RequestModel):
    """The body of POST …/coupons_async."""

    number_of_coupons: Annotated[int, Field(strict=True, ge=1, le=coupons.MAX_JOB_COUPONS)]
    usage_limit: UsageLimit
    discount_limit: DiscountLimit = 0
    reservation_limit: UsageLimit = 0
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    coupon_settings: CodeGeneratorSettings | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    def request(self) -> coupons.NewCoupons:
        terms = CouponTerms(
            usage_limit=self.usage_limit,
            discount_limit=_decimal(self.discount_limit),
            reservation_limit=self.reservation_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            attributes=self.attributes,
        )
        settings = self.coupon_settings
        codes = CodeRequest(
            pattern_text=None if settings is None else settings.coupon_pattern,
            characters=None if settings is None else tuple(settings.valid_characters),
            pattern_pointer="/couponSettings/couponPattern",
            characters_pointer="/couponSettings/validCharacters",
        )
        return coupons.NewCoupons(count=self.number_of_coupons, terms=terms, codes=codes)


class UpdateCoupon(RequestModel):
    """The body of PUT …/coupons/{couponId}: fields left out stay as they are, except
    startDate, expiryDate and recipientIntegrationId, which are cleared (as in Talon.One)."""

    usage_limit: UsageLimit | None = None
    discount_limit: DiscountLimit | None = None
    reservation_limit: UsageLimit | None = None
    start_date: Timestamp | None = None
    expiry_date: Timestamp | None = None
    limits: list[LimitConfig] | None = None
    recipient_integration_id: Recipient | None = None
    attributes: dict[str, Any] | None = None
    is_reservation_mandatory: Flag | None = None
    implicitly_reserved: Flag | None = None

    def changes(self) -> coupons.CouponChanges:
        return coupons.CouponChanges(
            usage_limit=self.usage_limit,
            discount_limit=None if self.discount_limit is None else _decimal(self.discount_limit),
            reservation_limit=self.reservation_limit,
            start_date=self.start_date,
            expiry_date=self.expiry_date,
            recipient_integration_id=self.recipient_integration_id,
            attributes=self.attributes,
            limits=None if self.limits is None else tuple(_limit(limit) for limit in self.limits),
            is_reservation_mandatory=self.is_reservation_mandatory,
            implicitly_reserved=self.implicitly_reserved,
        )


class CouponCreationJob(WireModel):
    """carrot's answer to GET …/coupons_async/{jobId} (Talon.One emails instead)."""

    id: int
    batch_id: str
    campaign_id: int
    application_id: int
    status: str
    number_of_coupons: int
    created_coupons: int
    created: str
    updated: str
    finished: str | None = None
    error: str | None = None


class ModelImport(WireModel):
    id: int
    created: str
    account_id: int
    user_id: int
    entity: str
    amount: int


# --- routes ----------------------------------------------------------------------------

COUPONS = "/applications/{applicationId}/campaigns/{campaignId}/coupons"


@router.post(COUPONS, response_model=None)
def create_coupons(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    body: NewCoupons,
    silent: Silent = "yes",
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any] | Response:
    created = coupons.create_coupons(
        db, caller, application_id, campaign_id, body.request(), answer=silent == "no"
    )
    if silent == "yes":
        return Response(status_code=204)
    return {"totalResultSize": len(created), "data": [coupon_wire(c) for c in created]}


@router.post(COUPONS + "_async")
def create_coupons_async(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    body: NewCouponCreationJob,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """Talon.One's AsyncCouponCreationResponse (`batchId`), plus the job's `id`."""
    job = coupons.start_coupon_job(db, caller, application_id, campaign_id, body.request())
    return {"batchId": job.batch_id, "id": job.id}


@router.get(
    COUPONS + "_async/{jobId}", response_model=CouponCreationJob, response_model_exclude_none=True
)
def get_coupon_creation_job(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    job_id: JobId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CouponCreationJob:
    job = coupons.get_coupon_job(db, caller, application_id, campaign_id, job_id)
    return job_wire(job)


async def csv_upload(request: Request) -> bytes:
    """An import's CSV file: the request body itself, or the `upFile` part of a
    multipart/form-data body (as Talon.One's SDKs send it)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return multipart_file(body, content_type)
    return body


def multipart_file(body: bytes, content_type: str) -> bytes:
    """The content of the form's `upFile` part, else of its first file."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise bad_request("The multipart body names no boundary.")
    parts = []
    for part in body.split(b"--" + match.group(1).encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        headers, separator, payload = part.partition(b"\r\n\r\n")
        if separator:
            parts.append((headers.decode("latin-1"), payload.removesuffix(b"\r\n")))
    for head, content in parts:
        if re.search(r'\bname="upFile"', head):
            return content
    for head, content in parts:
        if "filename=" in head:
            return content
    raise bad_request("The multipart body holds no file; send the CSV as its upFile part.")


@router.post(
    "/applications/{applicationId}/campaigns/{campaignId}/import_coupons",
    response_model=ModelImport,
)
def import_coupons(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    data: bytes = Depends(csv_upload),
    skip_duplicates: Annotated[bool, Query(alias="skipDuplicates")] = False,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> ModelImport:
    done = coupons.import_coupons(
        db, caller, application_id, campaign_id, data, skip_duplicates=skip_duplicates
    )
    return import_wire(done)


def coupon_query(
    value: QueryText = None,
    exact_match: Annotated[bool, Query(alias="exactMatch")] = False,
    created_before: Annotated[QueryTime, Query(alias="createdBefore")] = None,
    created_after: Annotated[QueryTime, Query(alias="createdAfter")] = None,
    starts_before: Annotated[QueryTime, Query(alias="startsBefore")] = None,
    starts_after: Annotated[QueryTime, Query(alias="startsAfter")] = None,
    expires_before: Annotated[QueryTime, Query(alias="expiresBefore")] = None,
    expires_after: Annotated[QueryTime, Query(alias="expiresAfter")] = None,
    valid: Annotated[Validity | None, Query()] = None,
    usable: Annotated[TrueOrFalse | None, Query()] = None,
    referral_id: Annotated[int | None, Query(alias="referralId", ge=1, le=INT64_MAX)] = None,
    recipient_integration_id: Annotated[QueryText, Query(alias="recipientIntegrationId")] = None,
    batch_id: Annotated[QueryText, Query(alias="batchId")] = None,
) -> CouponQuery:
    """The filters Talon.One's coupon list, bulk delete and export share."""
    return CouponQuery(
        value=value,
        exact_match=exact_match,
        created_before=created_before,
        created_after=created_after,
        starts_before=starts_before,
        starts_after=starts_after,
        expires_before=expires_before,
        expires_after=expires_after,
        valid=valid,
        usable=None if usable is None else usable == "true",
        referral_id=referral_id,
        recipient_integration_id=recipient_integration_id,
        batch_id=batch_id,
    )


@router.get(COUPONS + "/no_total")
def get_coupons_without_total_count(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    query: CouponQuery = Depends(coupon_query),
    redeemed: Annotated[TrueOrFalse | None, Query()] = None,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    sort: CouponSort = "id",
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    if redeemed is not None:
        query = replace(query, redeemed=redeemed == "true")
    found = coupons.list_coupons(
        db, caller, application_id, campaign_id, query, sort=sort, page_size=page_size, skip=skip
    )
    return page([coupon_wire(coupon) for coupon in found], page_size=page_size)


@router.put(COUPONS + "/{couponId}")
def update_coupon(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    coupon_id: CouponId,
    body: UpdateCoupon,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    updated = coupons.update_coupon(
        db, caller, application_id, campaign_id, coupon_id, body.changes()
    )
    return coupon_wire(updated)


@router.delete(COUPONS + "/{couponId}", status_code=204)
def delete_coupon(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    coupon_id: CouponId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    coupons.delete_coupon(db, caller, application_id, campaign_id, coupon_id)
    return Response(status_code=204)


@router.delete(COUPONS, status_code=204)
def delete_coupons(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    query: CouponQuery = Depends(coupon_query),
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    coupons.delete_coupons(db, caller, application_id, campaign_id, query)
    return Response(status_code=204)


@router.get("/applications/{applicationId}/export_coupons", response_class=StreamingResponse)
def export_coupons(
    application_id: ApplicationId,
    query: CouponQuery = Depends(coupon_query),
    campaign_id: Annotated[int | None, Query(alias="campaignId", ge=1, le=INT64_MAX)] = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> StreamingResponse:
    query = replace(query, campaign_id=campaign_id)
    lines = coupons.export_coupons(db, caller, application_id, query)
    return csv_response(lines, "coupons.csv")


def csv_response(lines: Any, filename: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="application/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- wire ------------------------------------------------------------------------------


def coupon_wire(coupon: Coupon) -> dict[str, Any]:
    """Talon.One's Coupon. A discountLimit of 0 is no limit (and has no discountRemainder)."""
    terms = coupon.terms
    wire = {
        "id": coupon.id,
        "created": timestamp(coupon.created),
        "campaignId": coupon.campaign_id,
        "value": coupon.value,
        "usageLimit": terms.usage_limit,
        "discountLimit": number(terms.discount_limit),
        "reservationLimit": terms.reservation_limit,
        "startDate": timestamp(terms.start_date),
        "expiryDate": timestamp(terms.expiry_date),
        "limits": [limit_wire(limit) for limit in terms.limits],
        "usageCounter": coupon.usage_counter,
        "discountCounter": number(coupon.discount_counter),
        "discountRemainder": number(coupon.discount_remainder),
        "reservationCounter": coupon.reservation_counter,
        "attributes": terms.attributes,
        "referralId": coupon.referral_id,
        "recipientIntegrationId": terms.recipient_integration_id,
        "importId": coupon.import_id,
        "reservation": not coupon.is_personal,
        "batchId": coupon.batch_id,
        "isReservationMandatory": terms.is_reservation_mandatory,
        "implicitlyReserved": terms.implicitly_reserved,
    }
    return {key: value for key, value in wire.items() if value is not None}


def job_wire(job: CouponJob) -> CouponCreationJob:
    return CouponCreationJob(
        id=job.id,
        batch_id=job.batch_id,
        campaign_id=job.campaign_id,
        application_id=job.application_id,
        status=job.status.value,
        number_of_coupons=job.total,
        created_coupons=job.created_count,
        created=timestamp(job.created) or "",
        updated=timestamp(job.updated) or "",
        finished=timestamp(job.finished),
        error=job.error or None,
    )


def import_wire(done: CodeImport) -> ModelImport:
    return ModelImport(
        id=done.id,
        created=timestamp(done.created) or "",
        account_id=done.account_id,
        user_id=done.user_id,
        entity=done.entity,
        amount=done.amount,
    )


def _decimal(value: float) -> Decimal:
    # repr() is the shortest text that reads back as the same float.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _limit(limit: LimitConfig) -> campaign_domain.LimitConfig:
    return campaign_domain.LimitConfig(
        action=limit.action,
        limit=_decimal(limit.limit),
        period=limit.period,
        entities=tuple(limit.entities),
    )
