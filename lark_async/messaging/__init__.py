"""IM messaging: ``lark.messaging`` and the builders for its content.

    from lark_async.messaging import Card, Button, Header, Markdown, RichText, mention

    await lark.messaging.send_text_message("ou_...", f"{mention('ou_...')} hello")

See docs/messaging.md.
"""

from lark_async.messaging.cards import (
    Button,
    ButtonRow,
    Card,
    CardElement,
    CardTemplate,
    Column,
    Columns,
    Div,
    Divider,
    Form,
    Header,
    Image,
    Input,
    Markdown,
    Note,
    Option,
    Select,
    card_json,
    validate_card,
)
from lark_async.messaging.content import MessageContent
from lark_async.messaging.models import (
    BatchSendData,
    Mention,
    Message,
    MessageBody,
    Sender,
    UploadedFile,
    UploadedImage,
)
from lark_async.messaging.post import (
    At,
    CodeBlock,
    Emotion,
    Hr,
    Img,
    Link,
    Md,
    Media,
    PostLocale,
    RichText,
    Text,
)
from lark_async.messaging.receivers import (
    ReceiveIdType,
    Receiver,
    infer_receive_id_type,
    resolve_receiver,
)
from lark_async.messaging.results import (
    BatchChunk,
    BatchSendReport,
    RecipientResult,
    SendReport,
)
from lark_async.messaging.service import Messaging
from lark_async.messaging.text import (
    bold,
    italic,
    link,
    mention,
    mention_all,
    strikethrough,
    underline,
)

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
