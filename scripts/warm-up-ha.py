"""Start Home Assistant Core once in a throwaway config dir, then stop it.

Core pip-installs its default integrations' requirements on the first start;
doing that here keeps every later start (tests, demo) fast and offline-safe.
`/api/onboarding` answers long before that is done, so this onboards an owner
and waits for the state RUNNING (components/api/__init__.py: /api/config).
Run with the virtualenv's python: python warm-up-ha.py
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import json
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_http_config(config: str, port: int) -> None:
    """Loopback and a free port, the way this release reads them.

    2026.x keeps the HTTP settings in .storage/http (components/http/config.py);
    a YAML `http:` block there is deprecated and becomes a trial Core reverts
    after 5 minutes. The store's version-1 shape is migrated by Core itself.
    Older releases read YAML only.
    """
    from homeassistant.const import MAJOR_VERSION

    settings = {"server_host": ["127.0.0.1"], "server_port": port}
    if MAJOR_VERSION >= 2026:
        os.makedirs(os.path.join(config, ".storage"))
        with open(os.path.join(config, ".storage", "http"), "w") as f:
            json.dump({"version": 1, "minor_version": 1, "key": "http", "data": settings}, f)
        yaml = ""
    else:
        yaml = f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
    with open(os.path.join(config, "configuration.yaml"), "w") as f:
        f.write(yaml)


def post(url: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def wait_running(base: str, deadline: float) -> bool:
    """Onboard an owner (components/onboarding/views.py), then poll /api/config."""
    client_id = f"{base}/"
    user = post(
        f"{base}/api/onboarding/users",
        json.dumps(
            {
                "client_id": client_id,
                "name": "Warm-up",
                "username": "warm-up",
                "password": "warm-up-password",
                "language": "en",
            }
        ).encode(),
        "application/json",
    )
    tokens = post(
        f"{base}/auth/token",
        urllib.parse.urlencode(
            {"grant_type": "authorization_code", "code": user["auth_code"], "client_id": client_id}
        ).encode(),
        "application/x-www-form-urlencoded",
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{base}/api/config", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as r:
            if json.load(r).get("state") == "RUNNING":
                return True
        time.sleep(1)
    return False


def main() -> int:
    config = tempfile.mkdtemp(prefix="htm-warm-up-")
    port = free_port()
    write_http_config(config, port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "homeassistant", "--config", config],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 900
    ready = False
    server_errors = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None and server_errors < 10:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/onboarding", timeout=2) as r:
                    ready = r.status == 200
            except urllib.error.HTTPError as e:
                # Answers, but broken (e.g. an incompatible dependency): no point waiting.
                server_errors += e.code >= 500
            except OSError:
                pass
            if ready:
                break
            time.sleep(1)
        ready = ready and wait_running(f"http://127.0.0.1:{port}", deadline)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        output = proc.stdout.read() if proc.stdout else ""
        shutil.rmtree(config, ignore_errors=True)
    if not ready:
        sys.stderr.write(output[-4000:])
        sys.stderr.write("\nwarm-up: Home Assistant did not come up\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
