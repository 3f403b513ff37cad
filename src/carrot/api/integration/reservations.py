"""POST|DELETE /v1/coupon_reservations/{couponValue} and GET
/v1/coupon_reservations/customerprofiles/{couponValue}: profiles holding a coupon. Wire models
are Talon.One's CouponReservations, Coupon and CustomerProfile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import AfterValidator, Field

from carrot.api import present
from carrot.api.auth import database, integration_caller
from carrot.api.integration.models import IntegrationId, storable
from carrot.api.management.coupons import coupon_wire
from carrot.api.management.models import RequestModel
from carrot.service import reservations
from carrot.service.keys import IntegrationCaller
from carrot.store.db import Database

router = APIRouter()

MAX_PROFILES = 1000

CouponValue = Annotated[
    str, Path(alias="couponValue", min_length=1, max_length=100), AfterValidator(storable)
]


class CouponReservations(RequestModel):
    integration_ids: Annotated[
        list[IntegrationId],
        Field(alias="integrationIDs", min_length=1, max_length=MAX_PROFILES),
    ]


@router.post("/v1/coupon_reservations/{couponValue}")
def create_coupon_reservation(
    coupon_value: CouponValue,
    body: CouponReservations,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    coupon = reservations.reserve_coupon(db, caller, coupon_value, body.integration_ids)
    return coupon_wire(coupon)


@router.delete("/v1/coupon_reservations/{couponValue}", status_code=204)
def delete_coupon_reservation(
    coupon_value: CouponValue,
    body: CouponReservations,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> Response:
    reservations.unreserve_coupon(db, caller, coupon_value, body.integration_ids)
    return Response(status_code=204)


@router.get("/v1/coupon_reservations/customerprofiles/{couponValue}")
def get_reserved_customers(
    coupon_value: CouponValue,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    profiles = reservations.reserved_profiles(db, caller, coupon_value)
    return {
        "totalResultSize": len(profiles),
        "data": [present.customer_profile(profile) for profile in profiles],
    }
