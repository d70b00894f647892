"""Notifications by email and Zalo (ZNS) through apprise URLs, with a delivery ledger.

    deliver(movement_id, [OutgoingMessage(event, kind, person_id, context)]) -> DeliveryReport
    retry_due(movement_id) -> DeliveryReport        # the sweep
    failures(session, movement_id) -> [Failure]     # permanent failures, for reports

Channels come from settings (THIDUA_EMAIL_URL: mailto/mailtos; THIDUA_ZALO_URL: zns://), the
local outbox when unset. Messages are templates/messages/KIND.yaml. Delivery is at-least-once
(see thidua.notify.ledger)."""

from thidua.notify.base import DeliveryReport, OutgoingMessage, PermanentFailure
from thidua.notify.delivery import deliver, retry_due
from thidua.notify.ledger import Failure, counts, failures

__all__ = [
    "DeliveryReport",
    "Failure",
    "OutgoingMessage",
    "PermanentFailure",
    "counts",
    "deliver",
    "failures",
    "retry_due",
]
