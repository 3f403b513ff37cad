"""Exact money: rounding to the currency's minor unit, and splitting an amount into parts that
add up to it to the last cent (largest remainder)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from functools import cache

ZERO = Decimal(0)


@cache
def unit(places: int) -> Decimal:
    """The smallest amount of a currency with `places` decimal places: 0.01 for EUR, 1 for JPY."""
    return Decimal(1).scaleb(-places)


def round_money(value: Decimal, places: int) -> Decimal:
    """Half-even to the minor unit, the one rounding every amount gets when it leaves the engine."""
    return value.quantize(unit(places), rounding=ROUND_HALF_EVEN)


def split(total: Decimal, capacities: Sequence[Decimal], places: int) -> list[Decimal]:
    """Split `total` (a multiple of the minor unit, at most the sum of `capacities`) over the
    capacities in proportion to them. Every part is a multiple of the minor unit, no part
    exceeds its capacity, and the parts add up to `total` exactly.

    Each part first gets the floor of its exact share; the units left over go, one each, to
    the largest remainders (ties to the earlier part) among parts that still have room."""
    whole = sum(capacities, ZERO)
    if total <= ZERO or whole <= ZERO:
        return [ZERO for _ in capacities]
    if total > whole:
        raise ValueError(f"cannot split {total} over capacities adding up to {whole}")
    step = unit(places)
    exact = [total * capacity / whole for capacity in capacities]
    # Each part is min(floor(share), floor(capacity)). A floored share that does not exceed its
    # capacity is a whole number of units at most the capacity, so at most its floor too: the
    # capacity needs flooring only when the share's floor exceeds it (one quantize per part,
    # not two, on the path every session discount takes).
    parts = [share.quantize(step, ROUND_FLOOR) for share in exact]
    for i, capacity in enumerate(capacities):
        if parts[i] > capacity:
            parts[i] = capacity.quantize(step, ROUND_FLOOR)
    left = total - sum(parts, ZERO)
    if left <= ZERO:
        return parts
    # Largest remainder first; the sort is stable, so of equal remainders the earlier part.
    remainders = [share - part for share, part in zip(exact, parts, strict=True)]
    order = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
    while left >= step:
        placed = False
        for i in order:
            if left < step:
                break
            if parts[i] + step <= capacities[i]:
                parts[i] += step
                left -= step
                placed = True
        if not placed:
            break
    if left > ZERO:
        # Capacities that are not whole minor units leave a remainder no part can take whole.
        for i in order:
            room = capacities[i] - parts[i]
            take = min(room, left)
            parts[i] += take
            left -= take
            if left <= ZERO:
                break
    return parts
