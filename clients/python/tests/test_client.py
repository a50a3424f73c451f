"""Unit tests: a fake SSM client and clock. The real Home Assistant, moto and add-on are
driven from test/integration/clients.test.ts (through tests/consumer_driver.py)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import make_jwt

from ha_token_client import (
    AccessDeniedError,
    ParameterNotFoundError,
    TokenClient,
    TokenRejectedError,
)


class ClientError(Exception):
    """Shaped like botocore's ClientError: ``response['Error']['Code']``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class FakeSsm:
    def __init__(self, value: str) -> None:
        self.value = value
        self.reads = 0
        self.error = None
        self._lock = threading.Lock()

    def get_parameter(self, Name: str, WithDecryption: bool):  # noqa: N803 (boto3's names)
        with self._lock:
            self.reads += 1
            version = self.reads
        time.sleep(0.01)
        if self.error:
            raise self.error
        return {"Parameter": {"Value": self.value, "Version": version}}


class Clock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


def setup(value=None, **extra):
    clock = Clock()
    ssm = FakeSsm(value or make_jwt(time.time() + 86400))
    options = {"extension": False, **extra}
    client = TokenClient("/ha/token", ssm_client=ssm, clock=clock, **options)
    return clock, ssm, client


def test_a_thousand_concurrent_callers_on_a_cold_cache_share_one_ssm_read():
    _, ssm, client = setup()
    barrier = threading.Barrier(1000)
    tokens = []

    def call():
        barrier.wait()
        tokens.append(client.get_token())

    threads = [threading.Thread(target=call) for _ in range(1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 1000 and len(set(tokens)) == 1
    assert ssm.reads == 1


def test_the_cache_is_trusted_for_the_ttl_then_ssm_is_read_again():
    clock, ssm, client = setup(ttl=60)
    client.get_token()
    clock.t += 59
    client.get_token()
    assert ssm.reads == 1
    clock.t += 2
    client.get_token()
    assert ssm.reads == 2


def test_never_past_the_tokens_own_exp_minus_the_buffer_even_with_a_long_ttl():
    now = time.time()
    old, new = make_jwt(now + 600, "old"), make_jwt(now + 86400, "new")
    clock, ssm, client = setup(old, ttl=86400)
    assert client.get_token() == old
    ssm.value = new
    clock.t = now + 301  # 299 s before exp, inside the 300 s buffer
    assert client.get_token() == new
    assert ssm.reads == 2


def test_sdk_errors_name_the_parameter_and_the_fix():
    _, ssm, client = setup()
    ssm.error = ClientError("ParameterNotFound", "")
    with pytest.raises(ParameterNotFoundError, match=r"/ha/token.*add-on creates it"):
        client.get_token()
    ssm.error = ClientError(
        "AccessDeniedException",
        "User: arn:aws:iam::1:user/x is not authorized to perform: ssm:GetParameter on "
        "resource: arn:aws:ssm:eu-west-1:1:parameter/ha/token",
    )
    with pytest.raises(
        AccessDeniedError, match=r"ssm:GetParameter on arn:aws:ssm:eu-west-1:1:parameter/ha/token"
    ):
        client.get_token()


def test_the_token_never_shows_in_repr_or_str():
    _, _, client = setup()
    token = client.get_token()
    for text in (repr(client), str(client), json.dumps(client.describe())):
        assert token[:-4] not in text
    assert "/ha/token" in repr(client)


class FakeTimers:
    """The background refresh's scheduler, run by hand: no thread, no waiting."""

    def __init__(self) -> None:
        self.pending = []

    def __call__(self, delay, call):
        timer = _FakeTimer(delay, call, self)
        self.pending.append(timer)
        return timer

    def fire(self):
        """Runs the next timer; returns its delay."""
        timer = self.pending.pop(0)
        timer.call()
        return timer.delay


class _FakeTimer:
    def __init__(self, delay, call, timers):
        self.delay, self.call, self._timers = delay, call, timers

    def cancel(self):
        if self in self._timers.pending:
            self._timers.pending.remove(self)


def test_background_refresh_reads_before_the_cache_runs_out_and_stops_on_close():
    timers = FakeTimers()
    token = make_jwt(time.time() + 3600)
    clock, ssm, client = setup(token, ttl=10, refresh_ahead=True, scheduler=timers)
    with client:
        client.get_token()
        assert [t.delay for t in timers.pending] == [8.0]  # 80% of the TTL
        clock.t += 8
        timers.fire()
        assert ssm.reads == 2
        assert [t.delay for t in timers.pending] == [8.0]
    assert timers.pending == []  # close() cancelled it
    assert ssm.reads == 2


def test_a_failed_background_refresh_is_retried_on_the_timer_not_dropped():
    timers = FakeTimers()
    errors = []
    clock, ssm, client = setup(
        make_jwt(time.time() + 3600),
        ttl=10,
        refresh_ahead=True,
        scheduler=timers,
        on_error=errors.append,
    )
    client.get_token()
    ssm.error = ClientError("InternalServerError", "down")
    clock.t += 8
    timers.fire()  # the refresh at 80% of the TTL fails
    assert (ssm.reads, len(errors), [t.delay for t in timers.pending]) == (2, 1, [1.0])
    clock.t += 1
    timers.fire()  # retried after 1 s, fails again
    assert (ssm.reads, len(errors), [t.delay for t in timers.pending]) == (3, 2, [2.0])
    ssm.error = None
    clock.t += 2
    timers.fire()  # then after 2 s, and SSM answers: back on the 80%-of-TTL schedule
    assert (ssm.reads, len(errors), [t.delay for t in timers.pending]) == (4, 2, [8.0])
    client.close()


class FakeHa:
    """A loopback server that accepts the tokens in ``accepts`` and answers 401 otherwise."""

    def __init__(self) -> None:
        self.accepts = set()
        self.sent = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                token = self.headers.get("Authorization", "")[7:]
                outer.sent.append(token)
                self.send_response(200 if token in outer.accepts else 401)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def ha():
    server = FakeHa()
    yield server
    server.server.shutdown()


def test_a_401_drops_the_token_reads_ssm_once_and_retries_once(ha):
    exp = time.time() + 86400
    a, b = make_jwt(exp, "a"), make_jwt(exp, "b")
    ha.accepts.add(a)
    _, ssm, client = setup(a, ha_url=ha.url)
    assert client.request("GET", "/api/").status == 200
    ha.accepts = {b}  # revoked out of band, the replacement already published
    ssm.value = b

    statuses = [client.request("GET", "/api/").status, client.fetch("/api/").status]

    assert statuses == [200, 200]
    assert ha.sent == [a, a, b, b]
    assert ssm.reads == 2


def test_ssm_still_holding_the_rejected_token_costs_one_401_then_says_so(ha):
    a = make_jwt(time.time() + 86400, "a")
    _, ssm, client = setup(a, ha_url=ha.url)
    with pytest.raises(TokenRejectedError):
        client.request("GET", "/api/")
    with pytest.raises(TokenRejectedError, match=r"rejected the token in SSM parameter /ha/token"):
        client.request("GET", "/api/")
    assert ha.sent == [a]
    assert ssm.reads == 2


def test_the_lambda_extension_is_read_with_the_session_token_and_bypassed_after_a_401():
    exp = time.time() + 86400
    a, b = make_jwt(exp, "a"), make_jwt(exp, "b")
    seen = []

    class Extension(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("X-Aws-Parameters-Secrets-Token")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps({"Parameter": {"Value": a, "Version": 1}}).encode())

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Extension)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ssm = FakeSsm(b)
    port = server.server_address[1]
    env = {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(port), "AWS_SESSION_TOKEN": "session"}
    try:
        client = TokenClient("/ha/token", ssm_client=ssm, env=env)
        assert client.get_token() == a
        assert seen == [("/systemsmanager/parameters/get?name=%2Fha%2Ftoken&withDecryption=true", "session")]
        assert ssm.reads == 0
        assert client.reject(a) == b
        assert ssm.reads == 1
    finally:
        server.shutdown()


def test_falls_back_to_the_sdk_when_nothing_listens_on_the_extension_port():
    _, ssm, client = setup(extension=9)
    client.get_token()
    assert ssm.reads == 1


def test_after_a_revocation_the_extensions_cached_dead_token_is_passed_over_for_ssms_new_one():
    exp = time.time() + 86400
    a, b = make_jwt(exp, "a"), make_jwt(exp, "b")

    class Extension(BaseHTTPRequestHandler):
        # Keeps answering with the token it cached (it doesn't detect changes).
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps({"Parameter": {"Value": a, "Version": 1}}).encode())

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Extension)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    clock = Clock()
    ssm = FakeSsm(a)
    try:
        client = TokenClient(
            "/ha/token", ssm_client=ssm, clock=clock, extension=server.server_address[1]
        )
        assert client.get_token() == a
        with pytest.raises(TokenRejectedError):  # the add-on has not published yet
            client.reject(a)
        ssm.value = b
        clock.t += 1.5
        assert client.get_token() == b
        assert client.get_token() == b
        assert ssm.reads == 2
    finally:
        server.shutdown()


class Throttling(ClientError):
    def __init__(self) -> None:
        super().__init__("ThrottlingException", "Rate exceeded")


def test_while_ssm_is_down_the_cached_token_stands_in_the_error_is_reported_reads_back_off(caplog):
    errors = []
    clock, ssm, client = setup(ttl=60, on_error=errors.append)
    token = client.get_token()
    ssm.error = Throttling()
    clock.t += 61

    assert client.get_token() == token
    assert ssm.reads == 2
    assert len(errors) == 1
    assert "/ha/token" in str(errors[0]) and "ThrottlingException" in str(errors[0])
    assert "Using the cached token" in caplog.text
    assert token[:-4] not in caplog.text

    # Not on every call: the next read waits 1 s, then 2 s.
    assert {client.get_token() for _ in range(100)} == {token}
    assert ssm.reads == 2
    clock.t += 1.001
    client.get_token()
    assert ssm.reads == 3
    clock.t += 1.001
    client.get_token()
    assert ssm.reads == 3
    clock.t += 1.0
    client.get_token()
    assert ssm.reads == 4

    # SSM back: the next read after the backoff is trusted for the TTL again.
    ssm.error = None
    clock.t += 4.001
    client.get_token()
    clock.t += 30
    client.get_token()
    assert ssm.reads == 5


def test_past_exp_minus_the_buffer_the_cached_token_is_not_used():
    now = time.time()
    clock, ssm, client = setup(make_jwt(now + 3600), ttl=60)
    client.get_token()
    ssm.error = ClientError("TimeoutError", "timed out")
    clock.t = now + 3600 - 299
    with pytest.raises(Exception, match=r"Could not read SSM parameter /ha/token"):
        client.get_token()


def test_a_rejected_token_never_stands_in():
    _, ssm, client = setup()
    token = client.get_token()
    ssm.error = ClientError("InternalServerError", "down")
    with pytest.raises(Exception, match=r"Could not read SSM"):
        client.reject(token)
    with pytest.raises(Exception, match=r"Could not read SSM"):
        client.get_token()


def test_the_token_never_shows_in_the_clients_attributes_or_a_failed_reads_locals():
    import traceback

    clock, ssm, client = setup(ttl=60)
    token = client.get_token()
    assert token[:-4] not in repr(vars(client))
    # What an error reporter that records locals (Sentry does) would keep.
    ssm.value = make_jwt(time.time() - 10, "expired")
    clock.t += 61
    client.invalidate()
    try:
        client.get_token()
    except Exception as error:  # noqa: BLE001
        frames = traceback.TracebackException.from_exception(error, capture_locals=True).stack
        recorded = repr([frame.locals for frame in frames])
    assert "_Secret(" in recorded  # sanity: locals were captured
    assert "_read_once" in repr([frame.name for frame in frames])
    assert ssm.value[:-4] not in recorded
