"""A webhook receiver for ./scripts/test: checks every delivery with the reference
implementation of Standard Webhooks (the `standardwebhooks` package) and records it.

Usage: python webhook_receiver.py DIR. Listens on 127.0.0.1 (a free port, written to
DIR/port), reads the signing secret from DIR/secret when a request comes (the secret
exists only once the endpoint is added, which needs the port first), and appends one JSON
line per request to DIR/received: {"id", "type", "verified", "body"}. Answers 204 to a verified
delivery, 400 otherwise.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

DIR = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(os.path.join(DIR, "secret")) as f:
            secret = f.read().strip()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook(secret).verify(body, headers)
            verified = True
        except Exception:  # noqa: BLE001 - any failure is "not verified"
            verified = False
        try:
            event_type = json.loads(body)["type"]
        except (ValueError, KeyError, TypeError):
            event_type = None
        with open(os.path.join(DIR, "received"), "a") as f:
            f.write(json.dumps({"id": headers.get("webhook-id"), "type": event_type,
                                "verified": verified,
                                "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(204 if verified else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
