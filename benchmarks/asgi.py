"""The benchmark's server app: the product's read API, unchanged, plus one static route.

``uvicorn benchmarks.asgi:create_app --factory`` with ``AISI_HOME`` set and
``AISI_BENCH_STATIC_FILE`` naming a file of bytes. The route is added to the product's own
app instance (not a wrapper mount), so API requests take exactly the path they take under
``aisi serve``, and the static route shares the same server, event loop and middleware.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

STATIC_PATH = "/static/models_openai.json"


def create_app():  # noqa: ANN201
    from api.app import create_app as create_product_app

    app = create_product_app()
    body = Path(os.environ["AISI_BENCH_STATIC_FILE"]).read_bytes()

    async def static(_: Request) -> Response:
        return Response(content=body, media_type="application/json")

    app.add_route(STATIC_PATH, static, methods=["GET"], include_in_schema=False)
    return app
