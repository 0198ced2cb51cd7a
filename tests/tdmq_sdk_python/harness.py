"""Shared by the test modules: a rewindmq server, the official Tencent Cloud
Python SDKs pointed at it, and the checks the tests repeat.

- Server starts the real binary (REWINDMQ_BINARY) on 127.0.0.1 with port 0
  and a fresh data directory, waits for its startup line and for
  GET /healthz = 200, and stops it with SIGTERM; every wait is bounded.
- tdmq_client() is the API 3.0 client (tencentcloud-sdk-python-tdmq,
  TdmqClient 2020-02-17) as an application writes it, with the endpoint
  "127.0.0.1:<port>" and plain HTTP.
- cmq_account() is the CMQ API 2.0 client (qcloud-cmq-sdk-py3,
  cmq.account.Account) on "http://127.0.0.1:<port>", the data plane that
  API 3.0 does not have (receive and delete stay on /v2/index.php).

RMQ_SANITIZED=1 lengthens the start and stop timeouts (sanitizer builds).
"""

import atexit
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

# The 3.0 SDK (requests) sends every request through http_proxy / https_proxy
# from the environment, even to 127.0.0.1; the server is local.
for _name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

# The 2.0 SDK's logger writes CMQ_python_sdk.log into the current directory
# unless its logger already has a handler when the first Account is made.
logging.getLogger("CMQ_python_sdk").addHandler(logging.NullHandler())

from cmq.account import Account  # noqa: E402
from cmq.cmq_exception import CMQServerException  # noqa: E402
from tencentcloud.common import credential  # noqa: E402
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # noqa: E402
    TencentCloudSDKException)
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402
from tencentcloud.tdmq.v20200217 import models  # noqa: E402
from tencentcloud.tdmq.v20200217.tdmq_client import TdmqClient  # noqa: E402

SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
STRICT_ARGS = ["--cmq-credentials", f"{SECRET_ID}:{SECRET_KEY}"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

SLOW = bool(os.environ.get("RMQ_SANITIZED"))
START_TIMEOUT_S = 90 if SLOW else 30
STOP_TIMEOUT_S = 60 if SLOW else 30
REQUEST_TIMEOUT_S = 30
STARTUP_LINE = re.compile(r"^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$", re.M)

# CMQ 2.0 codes (cmq-v2.md §5.2) the tests expect.
V2_NO_MESSAGE = 7000
V2_AUTH_FAILED = 4100
V2_BAD_HANDLE = 4430
V2_QUEUE_LIMIT = 4450


def now_s():
    return int(time.time())


# Servers not stopped by their test class (an interrupted run) are killed
# when the interpreter exits, and their scratch directories removed.
_running = set()


@atexit.register
def _kill_leftovers():
    for server in list(_running):
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(server.scratch, ignore_errors=True)


class Server:
    """A rewindmq process on 127.0.0.1:0 with its own data directory."""

    def __init__(self, args=()):
        binary = os.environ.get("REWINDMQ_BINARY", "")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(
                f"REWINDMQ_BINARY must name the rewindmq binary (got {binary!r}); "
                "ctest sets it for tdmq_sdk_python_e2e")
        self.scratch = tempfile.mkdtemp(prefix="rewindmq-tdmq-sdk-python-")
        self.data_dir = os.path.join(self.scratch, "data")
        self.stdout_path = os.path.join(self.scratch, "stdout.log")
        self.stderr_path = os.path.join(self.scratch, "stderr.log")
        argv = [binary, "--listen", "127.0.0.1:0", "--remoting-listen", "127.0.0.1:0",
                "--data-dir", self.data_dir, "--worker-threads", "4", *args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _running.add(self)
        try:
            self.port = self._wait_until_ready()
        except BaseException:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)
            shutil.rmtree(self.scratch, ignore_errors=True)
            _running.discard(self)
            raise
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def logs(self):
        def read(path):
            with open(path, "rb") as f:
                return f.read()[-64 * 1024:].decode("utf-8", "replace")
        return f"stdout:\n{read(self.stdout_path)}\nstderr:\n{read(self.stderr_path)}"

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        port = None
        while port is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"rewindmq exited with {self.process.returncode}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no startup line within {START_TIMEOUT_S} s\n{self.logs()}")
            with open(self.stdout_path, "rb") as f:
                m = STARTUP_LINE.search(f.read().decode("utf-8", "replace"))
            if m:
                if m.group(2) != self.data_dir:
                    raise RuntimeError(f"startup line names {m.group(2)!r}, not {self.data_dir!r}")
                port = int(m.group(1))
            else:
                time.sleep(0.02)
        # No proxy for the health probe either.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rewindmq exited with {self.process.returncode}\n{self.logs()}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return port
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz not ready within {START_TIMEOUT_S} s\n{self.logs()}")
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, then a bounded wait for a clean exit (SIGKILL after it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
                raise RuntimeError(
                    f"rewindmq still running {STOP_TIMEOUT_S} s after SIGTERM\n{self.logs()}")
        code = self.process.returncode
        logs = self.logs()
        shutil.rmtree(self.scratch, ignore_errors=True)
        _running.discard(self)
        if code != 0:
            raise RuntimeError(f"rewindmq exited with {code}\n{logs}")


def tdmq_client(server, secret_id=SECRET_ID, secret_key=SECRET_KEY, host="127.0.0.1",
                method="POST"):
    """The API 3.0 TDMQ client with its endpoint on the server (host:port, HTTP)."""
    http_profile = HttpProfile(protocol="http", endpoint=f"{host}:{server.port}",
                               reqMethod=method, reqTimeout=REQUEST_TIMEOUT_S)
    return TdmqClient(credential.Credential(secret_id, secret_key), "ap-guangzhou",
                                  ClientProfile(httpProfile=http_profile))


def call(client, action, **params):
    """Calls `action` through its typed method and request model, as an
    application does; returns the response model."""
    request = getattr(models, action + "Request")()
    request.from_json_string(json.dumps(params))
    return getattr(client, action)(request)


def detail(client, name):
    return call(client, "DescribeCmqQueueDetail", QueueName=name).QueueDescribe


_accounts = []


def cmq_account(server, secret_id=SECRET_ID, secret_key=SECRET_KEY):
    """The CMQ 2.0 SDK's Account, as in its sample (HmacSHA1 by default).
    Its keep-alive connection is closed by close_accounts()."""
    account = Account(server.endpoint, secret_id, secret_key)
    _accounts.append(account)
    return account


def close_accounts():
    while _accounts:
        _accounts.pop().get_client().close_connection()


def drain_v2(queue, limit=1000):
    """Receives (no wait) and deletes every active message of a 2.0 SDK
    Queue; returns the Message objects in receive order."""
    out = []
    while len(out) < limit:
        try:
            msg = queue.receive_message(0)
        except CMQServerException as e:
            if e.code == V2_NO_MESSAGE:
                return out
            raise
        out.append(msg)
        queue.delete_message(msg.receiptHandle)
    raise AssertionError(f"more than {limit} messages in {queue.queue_name}")


class RecordedRequests(logging.Handler):
    """Collects the requests the 3.0 SDK logs at DEBUG ("SendRequest: ..."
    with every header), to show what it signed."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.requests = []

    def emit(self, record):
        text = record.getMessage()
        if text.startswith("SendRequest: "):
            self.requests.append(text)

    def __enter__(self):
        self._logger = logging.getLogger("tencentcloud_sdk_common")
        self._level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)
        return False

    def header(self, index, name):
        m = re.search(r"^%s: (.*)$" % re.escape(name), self.requests[index], re.M)
        return m.group(1) if m else None


class ServerTestCase(unittest.TestCase):
    """One server per test class, started with SERVER_ARGS."""

    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.SERVER_ARGS)
        try:
            cls.client = tdmq_client(cls.server)
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tearDown(self):
        close_accounts()
        # A failed test must not leave its queues to the next one.
        listing = self.client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]
        for q in listing.get("QueueList") or []:
            self.client.call_json("DeleteCmqQueue", {"QueueName": q["QueueName"]})

    def assert_request_id(self, response):
        self.assertRegex(response.RequestId, UUID, "RequestId is a UUID v4")

    def assert_tc_error(self, code, fn, *args, **kwargs):
        """fn(*args, **kwargs) must raise the SDK's exception with `code`
        (get_code()) and a UUID request id; returns the exception."""
        try:
            answer = fn(*args, **kwargs)
        except TencentCloudSDKException as e:
            self.assertEqual(e.get_code(), code, f"{e.get_code()}: {e.get_message()}")
            self.assertRegex(e.get_request_id() or "", UUID, "RequestId is a UUID v4")
            return e
        self.fail(f"expected {code}, got success {answer}")

    def assert_v2_error(self, code, fn, *args, **kwargs):
        """fn must raise the 2.0 SDK's CMQServerException with `code`."""
        try:
            answer = fn(*args, **kwargs)
        except CMQServerException as e:
            self.assertEqual(e.code, code, str(e))
            self.assertTrue(e.request_id, "the 2.0 answer carries a requestId")
            return e
        self.fail(f"expected 2.0 code {code}, got success {answer}")
