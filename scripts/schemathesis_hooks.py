"""schemathesis hooks for ./scripts/test: a fresh API key whenever the one in use stops working.

The key management endpoints let the fuzzer revoke, rotate, disable, narrow or fence in
(an IP allow-list) any key of the organisation, its own included (it learns ids from the
lists). The server then answers 401 or 403, and this provider mints a new key with the
operator CLI (the same SQLite data directory as the running server) and the request is
retried with it once, so the rest of the run still reaches every endpoint. A 403 that is
the answer to the request itself comes back again and is checked as usual.
"""

import os
import subprocess
import uuid

import schemathesis

PERMISSIONS = [
    "files:write",
    "context:write",
    "runtime_translation",
    "translation_queue",
    "project_settings",
    "project_creation",
    "api_keys:write",
]


@schemathesis.auth(retry_on=[401, 403])
class FreshKey:
    def get(self, case, ctx):
        args = [
            os.environ["GTX_ST_BIN"],
            "--data-dir",
            os.environ["GTX_ST_DIR"],
            "key",
            "create",
            "--org",
            os.environ["GTX_ST_ORG"],
            "--name",
            f"checks {uuid.uuid4().hex[:12]}",
        ]
        for permission in PERMISSIONS:
            args += ["--permission", permission]
        done = subprocess.run(args, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
        return done.stdout.strip()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
