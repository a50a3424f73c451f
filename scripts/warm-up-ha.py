"""Start Home Assistant Core once in a throwaway config dir, then stop it.

Core pip-installs its default integrations' requirements on the first start;
doing that here keeps every later start (tests, demo) fast and offline-safe.
Run with the virtualenv's python: python warm-up-ha.py
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    config = tempfile.mkdtemp(prefix="htm-warm-up-")
    port = free_port()
    with open(os.path.join(config, "configuration.yaml"), "w") as f:
        f.write(f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n")
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
