"""The emulator's engine: the server, its routing and the checks every request passes.

``fake_lark`` (``FakeLark``: the aiohttp server, dispatch and the test-facing API),
``routing`` (path templates, ``RouteTable``, the router), ``request``
(``FakeRequest``, what a handler receives), ``envelope`` (Feishu's response bodies,
``FakeError``), ``gateway`` (token checks before a handler), ``apps`` (registered
apps and issued tokens), ``auth`` (the ``auth/v3`` token endpoints), ``ratelimit``,
``faults``, ``journal``, ``clock`` (``ManualClock``), ``scratch`` (emulator-only
endpoints for transport tests) and ``builtin`` (the route modules every FakeLark
installs). The public names are re-exported by ``lark_async.testing``; this
``__init__`` imports nothing, so a route module importing ``routing`` loads only
what it uses.
"""
