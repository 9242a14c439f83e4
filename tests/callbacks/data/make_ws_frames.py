"""Make ws_frames.json: long-connection frames encoded and decoded by the official SDK.

Not run by CI. Run it by hand in a throwaway venv holding the official Python SDK
(never a dependency of lark-async), from the repository root:

    python3.11 -m venv /tmp/ws-oapi && /tmp/ws-oapi/bin/pip install lark-oapi
    PYTHONPATH=$PWD /tmp/ws-oapi/bin/python tests/callbacks/data/make_ws_frames.py

For each case it records the frame's fields, the bytes the SDK's own
``pbbp2_pb2.Frame`` serialises them to (``sdk_hex``), and what the SDK's parser
reads back from the bytes *our* encoder makes (``sdk_reads_ours``), so the tests
check both directions without the SDK installed. The frames are built the way the
SDK's client builds them (``lark_oapi/ws/client.py``): its ping, the answer it
sends to a data frame (``Response`` JSON with ``code`` and base64 ``data``).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from lark_oapi.ws.pb.pbbp2_pb2 import Frame

ROOT = Path(__file__).resolve().parents[3]


def _ours() -> Any:
    # Only the codec: the rest of lark_async needs packages this venv lacks.
    import lark_async.core.errors  # noqa: F401

    path = ROOT / "lark_async/callbacks/longconn/frame.py"
    spec = importlib.util.spec_from_file_location("ours_frame", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ours_frame"] = module
    spec.loader.exec_module(module)
    return module


def fields_of(frame: Frame) -> dict[str, Any]:
    """The SDK frame as JSON; optional fields only when set (proto2 presence)."""
    out: dict[str, Any] = {
        "SeqID": frame.SeqID,
        "LogID": frame.LogID,
        "service": frame.service,
        "method": frame.method,
        "headers": [[h.key, h.value] for h in frame.headers],
    }
    for name in ("payload_encoding", "payload_type", "LogIDNew"):
        if frame.HasField(name):
            out[name] = getattr(frame, name)
    if frame.HasField("payload"):
        out["payload_b64"] = base64.b64encode(frame.payload).decode()
    return out


def sdk_frame(fields: dict[str, Any]) -> Frame:
    frame = Frame()
    frame.SeqID, frame.LogID = fields["SeqID"], fields["LogID"]
    frame.service, frame.method = fields["service"], fields["method"]
    for key, value in fields["headers"]:
        header = frame.headers.add()
        header.key, header.value = key, value
    for name in ("payload_encoding", "payload_type", "LogIDNew"):
        if name in fields:
            setattr(frame, name, fields[name])
    if "payload_b64" in fields:
        frame.payload = base64.b64decode(fields["payload_b64"])
    return frame


def ours_bytes(ours: Any, fields: dict[str, Any]) -> bytes:
    return ours.encode(
        ours.Frame(
            seq_id=fields["SeqID"],
            log_id=fields["LogID"],
            service=fields["service"],
            method=fields["method"],
            headers=tuple((k, v) for k, v in fields["headers"]),
            payload_encoding=fields.get("payload_encoding"),
            payload_type=fields.get("payload_type"),
            payload=base64.b64decode(fields["payload_b64"]) if "payload_b64" in fields else None,
            log_id_new=fields.get("LogIDNew"),
        )
    )


def data_fields(
    kind: str, payload: bytes, *, msg_id: str, seq: int = 0, parts: int = 1, seq_id: int = 7
) -> dict[str, Any]:
    return {
        "SeqID": seq_id,
        "LogID": 7311234567890123456,
        "service": 33554678,
        "method": 1,
        "headers": [
            ["type", kind],
            ["message_id", msg_id],
            ["sum", str(parts)],
            ["seq", str(seq)],
            ["trace_id", "a1b2c3d4e5f6"],
        ],
        "payload_encoding": "",
        "payload_type": "",
        "payload_b64": base64.b64encode(payload).decode(),
        "LogIDNew": "202412031200001234567890ABCDEF",
    }


def cases() -> list[tuple[str, dict[str, Any]]]:
    from lark_oapi.ws.client import _new_ping_frame

    event = json.dumps(
        {
            "schema": "2.0",
            "header": {
                "event_id": "5e3702a84e847582be8db7fb73283c02",
                "event_type": "im.message.receive_v1",
                "create_time": "1608725989000",
                "token": "",
                "app_id": "cli_a1b2c3d4e5f6g7h8",
                "tenant_key": "2ca1d211f64f6438",
            },
            "event": {"message": {"message_id": "om_1", "content": '{"text":"你好"}'}},
        },
        ensure_ascii=False,
    ).encode()
    card = json.dumps(
        {
            "schema": "2.0",
            "header": {
                "event_id": "f7984f25108f8137722bb63cee927e66",
                "event_type": "card.action.trigger",
                "create_time": "1700000000000",
                "app_id": "cli_a1b2c3d4e5f6g7h8",
                "tenant_key": "2ca1d211f64f6438",
                "token": "",
            },
            "event": {
                "operator": {"open_id": "ou_1"},
                "token": "c-1234",
                "action": {"tag": "button", "value": {"action": "approve"}},
                "context": {"open_message_id": "om_2", "open_chat_id": "oc_3"},
            },
        }
    ).encode()
    big = card + b" " * 300
    third = len(big) // 3
    parts = [big[:third], big[third : 2 * third], big[2 * third :]]

    out: list[tuple[str, dict[str, Any]]] = []
    out.append(("sdk_ping", fields_of(_new_ping_frame(33554678))))
    pong = fields_of(_new_ping_frame(33554678))
    pong["headers"] = [["type", "pong"]]
    pong["payload_b64"] = base64.b64encode(
        json.dumps(
            {
                "ReconnectCount": -1,
                "ReconnectInterval": 120,
                "ReconnectNonce": 30,
                "PingInterval": 120,
            }
        ).encode()
    ).decode()
    out.append(("pong_with_config", pong))
    out.append(("event_data", data_fields("event", event, msg_id="msg_ev_1")))
    out.append(("card_data", data_fields("event", card, msg_id="msg_card_1", seq_id=8)))
    out.append(("legacy_card_type", data_fields("card", card, msg_id="msg_card_2", seq_id=9)))
    for i, chunk in enumerate(parts):
        out.append(
            (f"multipart_{i}_of_3", data_fields("event", chunk, msg_id="msg_multi", seq=i, parts=3))
        )
    # The SDK's answer: the received frame, biz_rt header added, payload = Response JSON.
    answer = sdk_frame(data_fields("event", card, msg_id="msg_card_1", seq_id=8))
    header = answer.headers.add()
    header.key, header.value = "biz_rt", "12"
    result = {"toast": {"type": "success", "content": "已批准"}}
    data = base64.b64encode(json.dumps(result, ensure_ascii=False).encode())
    answer.payload = json.dumps({"code": 200, "data": data.decode()}).encode()
    out.append(("card_answer", fields_of(answer)))
    ack = sdk_frame(data_fields("event", event, msg_id="msg_ev_1"))
    header = ack.headers.add()
    header.key, header.value = "biz_rt", "3"
    ack.payload = json.dumps({"code": 200}).encode()
    out.append(("event_answer", fields_of(ack)))
    # Edges of the encoding.
    out.append(
        (
            "edges",
            {
                "SeqID": 2**64 - 1,
                "LogID": 0,
                "service": -5,
                "method": 2**31 - 1,
                "headers": [["k", ""], ["k", "二"], ["", "v"]],
                "payload_b64": "",
                "LogIDNew": "",
            },
        )
    )
    out.append(("minimal", {"SeqID": 0, "LogID": 0, "service": 0, "method": 0, "headers": []}))
    return out


def main() -> None:
    ours = _ours()
    vectors = []
    for name, fields in cases():
        sdk_bytes = sdk_frame(fields).SerializeToString()
        back = Frame()
        back.ParseFromString(sdk_bytes)
        assert fields_of(back) == fields, name
        theirs_of_ours = Frame()
        theirs_of_ours.ParseFromString(ours_bytes(ours, fields))
        vectors.append(
            {
                "name": name,
                "frame": fields,
                "sdk_hex": sdk_bytes.hex(),
                "sdk_reads_ours": fields_of(theirs_of_ours),
            }
        )
    doc = {
        "source": f"lark-oapi {version('lark-oapi')} (pbbp2_pb2.Frame), by make_ws_frames.py",
        "vectors": vectors,
    }
    path = Path(__file__).with_name("ws_frames.json")
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {path}")


if __name__ == "__main__":
    main()
