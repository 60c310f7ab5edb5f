"""Every write on customers and cards, one function per business operation.

- ``enrollment``: a customer and their card for a store's programme;
- ``customers``: trusted enrollment by Wizamart and POS systems, and changes to a customer;
- ``card_links``: a card's page link, e-mailed to its customer;
- ``operations``: the stamps and points engine (and blocking a card);
- ``maintenance``: points expiry (a beat task);
- ``privacy``: a customer's data export and erasure, recorded;
- ``self_service``: the same, asked for on the card page and confirmed from the card's e-mail.

The names below are the package's interface; import them from here.
"""

from __future__ import annotations

from cards.services.card_links import (
    email_card_link,
    request_card_link,
    send_card_link_after_commit,
)
from cards.services.customers import enroll_trusted, update_customer
from cards.services.enrollment import Enrollment, enroll_customer
from cards.services.maintenance import expire_points
from cards.services.operations import (
    StaffAuth,
    add_points,
    add_stamps,
    adjust,
    points_for,
    redeem_points,
    redeem_stamps,
    set_card_active,
)
from cards.services.privacy import (
    erase_customer,
    export_customer,
    is_erased,
    register_export_part,
)
from cards.services.self_service import (
    DataLinkExpired,
    DataLinkInvalid,
    DataLinkUsed,
    check_data_link,
    email_data_link,
    erase_by_link,
    export_by_link,
    read_data_link,
    request_data_action,
)

__all__ = [
    "DataLinkExpired",
    "DataLinkInvalid",
    "DataLinkUsed",
    "Enrollment",
    "StaffAuth",
    "add_points",
    "add_stamps",
    "adjust",
    "check_data_link",
    "email_card_link",
    "email_data_link",
    "enroll_customer",
    "enroll_trusted",
    "erase_by_link",
    "erase_customer",
    "expire_points",
    "export_by_link",
    "export_customer",
    "is_erased",
    "points_for",
    "read_data_link",
    "redeem_points",
    "redeem_stamps",
    "register_export_part",
    "request_card_link",
    "request_data_action",
    "send_card_link_after_commit",
    "set_card_active",
    "update_customer",
]
