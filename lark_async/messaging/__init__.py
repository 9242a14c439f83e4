"""IM messaging: ``lark.messaging`` and the builders for its content.

    from lark_async.messaging import Card, Button, Header, Markdown, RichText, mention

    await lark.messaging.send_text_message("ou_...", f"{mention('ou_...')} hello")

See docs/messaging.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.messaging.cards import Button as Button
    from lark_async.messaging.cards import ButtonRow as ButtonRow
    from lark_async.messaging.cards import Card as Card
    from lark_async.messaging.cards import CardElement as CardElement
    from lark_async.messaging.cards import CardTemplate as CardTemplate
    from lark_async.messaging.cards import Column as Column
    from lark_async.messaging.cards import Columns as Columns
    from lark_async.messaging.cards import Div as Div
    from lark_async.messaging.cards import Divider as Divider
    from lark_async.messaging.cards import Form as Form
    from lark_async.messaging.cards import Header as Header
    from lark_async.messaging.cards import Image as Image
    from lark_async.messaging.cards import Input as Input
    from lark_async.messaging.cards import Markdown as Markdown
    from lark_async.messaging.cards import Note as Note
    from lark_async.messaging.cards import Option as Option
    from lark_async.messaging.cards import Select as Select
    from lark_async.messaging.cards import card_json as card_json
    from lark_async.messaging.cards import validate_card as validate_card
    from lark_async.messaging.content import MessageContent as MessageContent
    from lark_async.messaging.models import BatchSendData as BatchSendData
    from lark_async.messaging.models import Mention as Mention
    from lark_async.messaging.models import Message as Message
    from lark_async.messaging.models import MessageBody as MessageBody
    from lark_async.messaging.models import Sender as Sender
    from lark_async.messaging.models import UploadedFile as UploadedFile
    from lark_async.messaging.models import UploadedImage as UploadedImage
    from lark_async.messaging.post import At as At
    from lark_async.messaging.post import CodeBlock as CodeBlock
    from lark_async.messaging.post import Emotion as Emotion
    from lark_async.messaging.post import Hr as Hr
    from lark_async.messaging.post import Img as Img
    from lark_async.messaging.post import Link as Link
    from lark_async.messaging.post import Md as Md
    from lark_async.messaging.post import Media as Media
    from lark_async.messaging.post import PostLocale as PostLocale
    from lark_async.messaging.post import RichText as RichText
    from lark_async.messaging.post import Text as Text
    from lark_async.messaging.receivers import ReceiveIdType as ReceiveIdType
    from lark_async.messaging.receivers import Receiver as Receiver
    from lark_async.messaging.receivers import infer_receive_id_type as infer_receive_id_type
    from lark_async.messaging.receivers import resolve_receiver as resolve_receiver
    from lark_async.messaging.results import BatchChunk as BatchChunk
    from lark_async.messaging.results import BatchSendReport as BatchSendReport
    from lark_async.messaging.results import RecipientResult as RecipientResult
    from lark_async.messaging.results import SendReport as SendReport
    from lark_async.messaging.service import Messaging as Messaging
    from lark_async.messaging.text import bold as bold
    from lark_async.messaging.text import italic as italic
    from lark_async.messaging.text import link as link
    from lark_async.messaging.text import mention as mention
    from lark_async.messaging.text import mention_all as mention_all
    from lark_async.messaging.text import strikethrough as strikethrough
    from lark_async.messaging.text import underline as underline

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    "Button": "lark_async.messaging.cards",
    "ButtonRow": "lark_async.messaging.cards",
    "Card": "lark_async.messaging.cards",
    "CardElement": "lark_async.messaging.cards",
    "CardTemplate": "lark_async.messaging.cards",
    "Column": "lark_async.messaging.cards",
    "Columns": "lark_async.messaging.cards",
    "Div": "lark_async.messaging.cards",
    "Divider": "lark_async.messaging.cards",
    "Form": "lark_async.messaging.cards",
    "Header": "lark_async.messaging.cards",
    "Image": "lark_async.messaging.cards",
    "Input": "lark_async.messaging.cards",
    "Markdown": "lark_async.messaging.cards",
    "Note": "lark_async.messaging.cards",
    "Option": "lark_async.messaging.cards",
    "Select": "lark_async.messaging.cards",
    "card_json": "lark_async.messaging.cards",
    "validate_card": "lark_async.messaging.cards",
    "MessageContent": "lark_async.messaging.content",
    "BatchSendData": "lark_async.messaging.models",
    "Mention": "lark_async.messaging.models",
    "Message": "lark_async.messaging.models",
    "MessageBody": "lark_async.messaging.models",
    "Sender": "lark_async.messaging.models",
    "UploadedFile": "lark_async.messaging.models",
    "UploadedImage": "lark_async.messaging.models",
    "At": "lark_async.messaging.post",
    "CodeBlock": "lark_async.messaging.post",
    "Emotion": "lark_async.messaging.post",
    "Hr": "lark_async.messaging.post",
    "Img": "lark_async.messaging.post",
    "Link": "lark_async.messaging.post",
    "Md": "lark_async.messaging.post",
    "Media": "lark_async.messaging.post",
    "PostLocale": "lark_async.messaging.post",
    "RichText": "lark_async.messaging.post",
    "Text": "lark_async.messaging.post",
    "ReceiveIdType": "lark_async.messaging.receivers",
    "Receiver": "lark_async.messaging.receivers",
    "infer_receive_id_type": "lark_async.messaging.receivers",
    "resolve_receiver": "lark_async.messaging.receivers",
    "BatchChunk": "lark_async.messaging.results",
    "BatchSendReport": "lark_async.messaging.results",
    "RecipientResult": "lark_async.messaging.results",
    "SendReport": "lark_async.messaging.results",
    "Messaging": "lark_async.messaging.service",
    "bold": "lark_async.messaging.text",
    "italic": "lark_async.messaging.text",
    "link": "lark_async.messaging.text",
    "mention": "lark_async.messaging.text",
    "mention_all": "lark_async.messaging.text",
    "strikethrough": "lark_async.messaging.text",
    "underline": "lark_async.messaging.text",
}

__all__ = [
    "At",
    "BatchChunk",
    "BatchSendData",
    "BatchSendReport",
    "Button",
    "ButtonRow",
    "Card",
    "CardElement",
    "CardTemplate",
    "CodeBlock",
    "Column",
    "Columns",
    "Div",
    "Divider",
    "Emotion",
    "Form",
    "Header",
    "Hr",
    "Image",
    "Img",
    "Input",
    "Link",
    "Markdown",
    "Md",
    "Media",
    "Mention",
    "Message",
    "MessageBody",
    "MessageContent",
    "Messaging",
    "Note",
    "Option",
    "PostLocale",
    "ReceiveIdType",
    "Receiver",
    "RecipientResult",
    "RichText",
    "Select",
    "SendReport",
    "Sender",
    "Text",
    "UploadedFile",
    "UploadedImage",
    "bold",
    "card_json",
    "infer_receive_id_type",
    "italic",
    "link",
    "mention",
    "mention_all",
    "resolve_receiver",
    "strikethrough",
    "underline",
    "validate_card",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
