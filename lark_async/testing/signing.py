"""The documented path of the webhook signing helpers (they live in ``callbacks/signing.py``)."""

from lark_async.testing.callbacks.signing import (
    CONTENT_TYPE,
    DEFAULT_TENANT_KEY,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    card_action_event,
    encrypt,
    im_message_event,
    legacy_card_action,
    sign_card_v1,
    sign_event,
    signed_request,
    url_verification,
)

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_TENANT_KEY",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "card_action_event",
    "encrypt",
    "im_message_event",
    "legacy_card_action",
    "sign_card_v1",
    "sign_event",
    "signed_request",
    "url_verification",
]
