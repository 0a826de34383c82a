"""moto's server, made to apply one request at a time.

DynamoDB applies each request atomically. moto's backends are not thread-safe: under racing
clients its threaded server has been seen to fail `transact_write_items` with 'dictionary changed
size during iteration', SQS `send_message_batch` with 'list.remove(x): x not in list', and to
let another request in between a condition and its update. Serialising the requests restores
per-request atomicity; the clients' requests still interleave freely, which is what a
read-modify-write would lose to.
"""

import threading
from typing import Any

from moto.server import ThreadedMotoServer


def start_moto_server(host: str, port: int) -> ThreadedMotoServer:
    """moto's server on `host:port`, started, handling one request at a time."""
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    wsgi = server._server  # werkzeug's server, made by ThreadedMotoServer.start()
    if wsgi is None:
        raise RuntimeError("moto's server did not start")
    app, lock = wsgi.app, threading.Lock()

    def one_request_at_a_time(environ: Any, start_response: Any) -> Any:
        with lock:
            return app(environ, start_response)

    wsgi.app = one_request_at_a_time
    return server
