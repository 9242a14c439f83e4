"""A path earlier docs showed for ``FakeRequest``; it lives in ``testing/server/request.py``."""

from lark_async.testing.server.request import FakeRequest, FormData

__all__ = ["FakeRequest", "FormData"]
