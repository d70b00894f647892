"""Notifications by email and Zalo (ZNS) through apprise URLs, with a delivery ledger.

    deliver(movement_id, [OutgoingMessage(event, kind, person_id, context)]) -> DeliveryReport
    retry_due(movement_id) -> DeliveryReport        # the sweep
    failures(session, movement_id) -> [Failure]     # permanent failures, for reports
    waiting(session, movement_id) -> [str]          # how many wait, and why (Vietnamese)

Channels are apprise URLs in settings; either left empty writes to the local outbox
(THIDUA_OUTBOX_DIR: one .eml / .json file per message):

    THIDUA_EMAIL_URL=mailtos://user:pass@smtp.tinh.gov.vn?from=vp@sct.tinh.gov.vn&threads=2
        (mode=ssl|starttls|insecure, verify=no for a self-signed server, timeout=30)
    THIDUA_ZALO_URL=zns://APP_ID:SECRET_KEY@OA_ID/?refresh_token=…&rate=10&threads=2
        (api=… / oauth=… point at another host, e.g. a test server)
    THIDUA_QUIET_HOURS=21:00-07:00   (local time; empty = none)

A person gets each message on every channel they have (Person.email, Person.zalo_phone).
Messages are templates/messages/KIND.yaml (an office's own copies under THIDUA_TEMPLATE_DIR).
Delivery is at-least-once (the trade-off is stated in thidua.notify.ledger)."""

import importlib
from typing import TYPE_CHECKING, Any

# Imported when first used: `thidua status` reads the ledger without loading apprise and the
# channels (seconds of start-up).
_WHERE = {
    "DeliveryReport": "base",
    "OutgoingMessage": "base",
    "PermanentFailure": "base",
    "deliver": "delivery",
    "retry_due": "delivery",
    "Failure": "ledger",
    "counts": "ledger",
    "failures": "ledger",
    "waiting": "ledger",
}

if TYPE_CHECKING:
    from thidua.notify.base import DeliveryReport, OutgoingMessage, PermanentFailure
    from thidua.notify.delivery import deliver, retry_due
    from thidua.notify.ledger import Failure, counts, failures, waiting


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"thidua.notify.{_WHERE[name]}"), name)
    else:  # a submodule, as an attribute of the package
        try:
            value = importlib.import_module(f"thidua.notify.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"thidua.notify.{name}":
                raise
            raise AttributeError(f"module 'thidua.notify' has no attribute {name!r}") from None
    globals()[name] = value
    return value


__all__ = [
    "DeliveryReport",
    "Failure",
    "OutgoingMessage",
    "PermanentFailure",
    "counts",
    "deliver",
    "failures",
    "retry_due",
    "waiting",
]
