"""A workspace's byte meters: token buckets the gate pays into before it sends."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from tre.workspace.transfer import Bucket, Limits


@dataclass
class Meters:
    """A workspace's buckets: kernel output to the browser, other traffic each way."""

    output: Bucket
    transfer: Bucket
    inbound: Bucket


async def pay(bucket: Bucket, size: int) -> None:
    delay = bucket.debt(size, time.monotonic())
    if delay > 0:
        await asyncio.sleep(delay)


def new_meters(limits: Limits) -> Meters:
    now = time.monotonic()
    return Meters(
        output=Bucket(limits.output_rate_bytes, limits.output_burst_bytes, now),
        transfer=Bucket(limits.transfer_rate_bytes, limits.transfer_burst_bytes, now),
        inbound=Bucket(limits.transfer_rate_bytes, limits.transfer_burst_bytes, now),
    )
