"""Long-connection mode: Feishu's WebSocket event delivery (no public URL needed).

``frame`` is the codec of its protobuf frame; ``endpoint`` asks Feishu where to
connect; ``client`` (:class:`LongConnection`) keeps the connection and feeds
events and card callbacks to the same handlers, queue and spool as the HTTP
ingress. Start it with ``Callbacks.long_connection(lark)``; see docs/callbacks.md.
"""
