"""What the Python benchmarks share (bench/crash, bench/leak): the release binary, a
server process, the operator CLI, a clean environment and a scratch PostgreSQL schema."""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "gtx-keys")
# A server that does not come back within this long is a failure, not a slow machine.
START_TIMEOUT = 120


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port, env, workdir):
        self.port = port
        self.env = env
        self.workdir = workdir
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log_path = os.path.join(self.workdir, f"server-{self.starts}.log")
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [BIN, "--listen", f"127.0.0.1:{self.port}", "serve"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                die(f"the server exited at start; see {log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.05)
        die(f"the server did not become healthy within {START_TIMEOUT}s; see {log_path}")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


def cli(env, *args, stdin=None):
    out = subprocess.run(
        [BIN, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        die(f"gtx-keys {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def base_env(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GTX_", "DATABASE_URL"))}
    env.update(
        {
            "GTX_SERVER_SECRET": secrets.token_hex(32),
            "GTX_SETUP_TOKEN": secrets.token_hex(16),
            "RUST_LOG": "warn",
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def pg_schema(pg, prefix):
    """A scratch schema in the database at `pg`, dropped afterwards; yields the URL that
    puts it first on the search path."""
    schema = f"{prefix}_{os.getpid()}"
    subprocess.run(["psql", "-X", "-q", pg, "-c", f"CREATE SCHEMA {schema}"], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        sep = "&" if "?" in pg else "?"
        yield f"{pg}{sep}options=-c%20search_path%3D{schema}"
    finally:
        subprocess.run(["psql", "-X", "-q", pg, "-c", "SET client_min_messages = warning",
                        "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                       check=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
