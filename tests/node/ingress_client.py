"""GET a ``*.localhost`` URL from the host the way a browser or curl does.

Browsers and curl resolve every ``*.localhost`` name to loopback without /etc/hosts; Python's
resolver does not, so this connects to the node's ingress address itself and sends the URL's
host name in the Host header — the same request a browser makes for ``Store.url``.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from storeplane.localcluster import nodeconfig as nc


def get(url: str, timeout: float = 3) -> tuple[int, str]:
    """(status, body) of GET ``url``; (0, the error) when nothing answered."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.endswith(".localhost"):
        raise ValueError(f"{url}: only *.localhost names resolve to loopback on their own")
    port = parts.port or 80
    connection = http.client.HTTPConnection(nc.INGRESS_ADDRESS, port, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/", headers={"Host": parts.netloc})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()
