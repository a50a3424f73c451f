"""A consumer process for the integration tests (test/integration/clients.test.ts).

The Node test drives the real library in a real Python process against the
run's Home Assistant, moto and add-on: one JSON command per stdin line, one
JSON answer per stdout line. Answers carry token hashes, never tokens.
"""

import hashlib
import json
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3

from ha_token_client import TokenClient, TokenClientError


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Driver:
    def __init__(self, options: dict) -> None:
        self.frozen = None
        self.unauthorized = 0
        ssm = boto3.client(
            "ssm",
            region_name="us-east-1",
            endpoint_url=options["endpoint"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

        def urlopen(request, timeout):  # the library's edge: count what Home Assistant answers
            try:
                return urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as error:
                if error.code == 401:
                    self.unauthorized += 1
                raise

        self.client = TokenClient(
            options["parameter"],
            ha_url=options["haUrl"],
            ssm_client=ssm,
            ttl=options.get("ttlMs", 300_000) / 1000,
            extension=False,
            clock=lambda: self.frozen if self.frozen is not None else time.time(),
            urlopen=urlopen,
        )
        self.loop = None

    def request(self, path: str) -> dict:
        try:
            return {"status": self.client.request("GET", path).status}
        except (TokenClientError, OSError) as error:  # OSError: Home Assistant unreachable
            return {"error": f"{type(error).__name__}: {error}"}

    def concurrent(self, n: int) -> dict:
        barrier = threading.Barrier(n)
        hashes, errors = set(), []

        def call() -> None:
            barrier.wait()
            try:
                hashes.add(digest(self.client.get_token()))
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(str(error))

        threads = [threading.Thread(target=call) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"distinct": sorted(hashes), "errors": len(errors)}

    def start_loop(self, path: str, interval_ms: float) -> dict:
        state = {"running": True, "calls": 0, "failures": 0, "errors": []}

        def run() -> None:
            while state["running"]:
                result = self.request(path)
                state["calls"] += 1
                if result.get("status") != 200:
                    state["failures"] += 1
                    state["errors"].append(result)
                time.sleep(interval_ms / 1000)

        thread = threading.Thread(target=run, daemon=True)
        self.loop = (state, thread)
        thread.start()
        return {}

    def stop_loop(self) -> dict:
        state, thread = self.loop
        state["running"] = False
        thread.join()
        return {"calls": state["calls"], "failures": state["failures"], "errors": state["errors"][:5]}

    def handle(self, command: dict) -> dict:
        op = command["op"]
        if op == "request":
            return self.request(command["path"])
        if op == "concurrent":
            return self.concurrent(command["n"])
        if op == "tokenHash":
            return {"hash": digest(self.client.get_token())}
        if op == "startLoop":
            return self.start_loop(command["path"], command["intervalMs"])
        if op == "stopLoop":
            return self.stop_loop()
        if op == "setClock":
            self.frozen = None if command.get("epochMs") is None else command["epochMs"] / 1000
            return {}
        if op == "stats":
            return {"reads": self.client.reads, "unauthorized": self.unauthorized}
        raise ValueError(f"unknown op {op}")


def main() -> None:
    driver = None
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if command["op"] == "init":
                driver = Driver(command)
                answer = {}
            else:
                answer = driver.handle(command)
        except Exception as error:  # noqa: BLE001 - the test sees it
            answer = {"fail": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
