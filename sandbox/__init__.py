"""A local, deterministic, stateful sandbox for three payment providers' APIs.

Importing this package starts nothing; `sandbox.app.create_app()` builds the ASGI app and
`sandbox.cli.main()` serves it.
"""

__version__ = "0.1.0"
