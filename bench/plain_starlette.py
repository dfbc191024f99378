"""The floor of the query benchmark: a plain Starlette JSON endpoint on the same server stack
(uvicorn, uvloop, httptools), no GraphQL, no auth, no database.

    .venv/bin/python -m bench.plain_starlette PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def me(request: Request) -> JSONResponse:
    await request.body()  # read like the GraphQL endpoint reads its POST body
    return JSONResponse({"data": {"me": {"tenant": "floor"}}})


app = Starlette(routes=[Route("/graphql", me, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", loop="uvloop",
                http="httptools")
