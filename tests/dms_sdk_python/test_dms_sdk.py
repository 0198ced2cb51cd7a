"""The DMS for RocketMQ facade driven by the official Huawei Cloud Python SDK.

Starts the real rewindmq binary (REWINDMQ_BINARY) on 127.0.0.1 with port 0
and a temporary data directory, once in open mode (no --dms-credentials:
any AK/SK is accepted) and once in signed mode (one AK/SK pair: requests
must carry its SDK-HMAC-SHA256 signature). In each mode:

  - the vendor's reset-message-offset sample (examples/) runs as a separate
    program and moves group_01 on topic_01 back to its 2022 timestamp, that
    is to the first message of every queue;
  - a round trip: a topic of four queues and a group are created, two
    batches of messages are sent with a pause between them, the group is
    reset to a time inside the pause, and the reset answer and the
    per-queue consumer offsets are checked against the send answers: every
    queue must stand at the offset of its first message of the second batch;
  - signed mode only: a client with a wrong secret key is refused with
    401 APIGW.0301 and changes nothing; open mode accepts that same client.

Run with the packages of requirements.txt (install.sh puts them into a venv):
  REWINDMQ_BINARY=.../rewindmq VENV/bin/python -m unittest -v test_dms_sdk
RMQ_SANITIZED=1 lengthens the start and stop timeouts (sanitizer builds).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkrocketmq.v2 import (
    CreateConsumerGroupOrBatchDeleteConsumerGroupReq,
    CreateConsumerGroupOrBatchDeleteConsumerGroupRequest,
    CreateTopicOrBatchDeleteTopicReq,
    CreateTopicOrBatchDeleteTopicRequest,
    ResetConsumeOffsetReq,
    ResetConsumeOffsetRequest,
    RocketMQClient,
    SendMessageProperties,
    SendMessageRep,
    SendMessageRequest,
    ShowConsumerListOrDetailsRequest,
    ShowInstanceRequest,
)

# requests (under the SDK) would send even 127.0.0.1 through an http_proxy
# from the environment; the server is local. The sample inherits this.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "examples", "reset_consume_offset.py")

# rewindmq's default instance (broker/facades/dms/README.md); any project id.
INSTANCE_ID = "00000000-0000-4000-8000-000000000001"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
ENGINE = "reliability"
AK = "REWINDMQTESTAK000001"
SK = "rewindmq-test-secret-key-0000000000000001"
AUTH_FAILED = (401, "APIGW.0301")

SLOW = bool(os.environ.get("RMQ_SANITIZED"))
START_TIMEOUT_S = 90 if SLOW else 30
STOP_TIMEOUT_S = 60 if SLOW else 30
SAMPLE_TIMEOUT_S = 60
STARTUP_LINE = re.compile(r"^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$", re.M)

# The pause between the two batches; the reset time sits in its middle, so
# every store time is at least this far from it on either side.
HALF_PAUSE_S = 0.5


def now_ms():
    return int(time.time() * 1000)


class Server:
    """A rewindmq process on 127.0.0.1:0 with its own data directory."""

    def __init__(self, credentials=None):
        binary = os.environ.get("REWINDMQ_BINARY", "")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(
                f"REWINDMQ_BINARY must name the rewindmq binary (got {binary!r}); "
                "ctest sets it for dms_sdk_python_e2e")
        self.scratch = tempfile.mkdtemp(prefix="rewindmq-dms-sdk-python-")
        self.data_dir = os.path.join(self.scratch, "data")
        self.stdout_path = os.path.join(self.scratch, "stdout.log")
        self.stderr_path = os.path.join(self.scratch, "stderr.log")
        args = [binary, "--listen", "127.0.0.1:0", "--remoting-listen", "127.0.0.1:0",
                "--data-dir", self.data_dir, "--worker-threads", "4",
                "--dms-credentials=" + (credentials or "")]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            self.port = self._wait_until_ready()
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _logs(self):
        def read(path):
            with open(path, "rb") as f:
                return f.read()[-64 * 1024:].decode("utf-8", "replace")
        return f"stdout:\n{read(self.stdout_path)}\nstderr:\n{read(self.stderr_path)}"

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        port = None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rewindmq exited with {self.process.returncode}\n{self._logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"rewindmq not ready within {START_TIMEOUT_S} s\n{self._logs()}")
            if port is None:
                with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
                    m = STARTUP_LINE.search(f.read())
                if m:
                    if m.group(2) != self.data_dir:
                        raise RuntimeError(f"startup line names {m.group(2)}, not {self.data_dir}")
                    port = int(m.group(1))
            if port is not None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                        if r.status == 200:
                            return port
                except (urllib.error.URLError, OSError):
                    pass  # not listening yet
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, then waits for exit code 0; returns an error text or None."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return f"rewindmq still running {STOP_TIMEOUT_S} s after SIGTERM\n{self._logs()}"
        code = self.process.returncode
        logs = self._logs()
        shutil.rmtree(self.scratch, ignore_errors=True)
        return None if code == 0 else f"rewindmq exited with {code}\n{logs}"


def make_client(endpoint, ak, sk):
    """An SDK client pointed at `endpoint` with the documented endpoint override."""
    return RocketMQClient.new_builder() \
        .with_credentials(BasicCredentials(ak, sk, PROJECT_ID)) \
        .with_endpoints([endpoint]) \
        .build()


class DmsSdkTest:
    """The checks of one mode; subclasses name the server's credentials."""

    credentials = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.credentials)
        cls.client = make_client(cls.server.endpoint, AK, SK)

    @classmethod
    def tearDownClass(cls):
        error = cls.server.stop()
        if error:
            raise AssertionError(error)

    # -- helpers --------------------------------------------------------------

    def create_topic(self, name, queue_num):
        r = self.client.create_topic_or_batch_delete_topic(CreateTopicOrBatchDeleteTopicRequest(
            instance_id=INSTANCE_ID,
            body=CreateTopicOrBatchDeleteTopicReq(name=name, queue_num=queue_num)))
        self.assertEqual(r.id, name)

    def create_group(self, name):
        r = self.client.create_consumer_group_or_batch_delete_consumer_group(
            CreateConsumerGroupOrBatchDeleteConsumerGroupRequest(
                instance_id=INSTANCE_ID,
                body=CreateConsumerGroupOrBatchDeleteConsumerGroupReq(name=name)))
        self.assertEqual(r.name, name)

    def send(self, topic, count, label):
        """Sends `count` messages; returns [(broker, queue id, queue offset)]."""
        out = []
        for i in range(count):
            body = f"{label} message {i}"
            r = self.client.send_message(SendMessageRequest(
                engine=ENGINE, instance_id=INSTANCE_ID,
                body=SendMessageRep(topic=topic, body=body, property_list=[
                    SendMessageProperties(name="KEYS", value=f"{label}-{i}")])))
            self.assertEqual((r.topic, r.body), (topic, body))
            self.assertRegex(r.msg_id, r"^[0-9A-F]{32}$")
            out.append((r.broker_name, int(r.queue_id), int(r.queue_offset)))
        return out

    def reset(self, group, topic, timestamp, client=None):
        r = (client or self.client).reset_consume_offset(ResetConsumeOffsetRequest(
            engine=ENGINE, instance_id=INSTANCE_ID, group_id=group,
            body=ResetConsumeOffsetReq(topic=topic, timestamp=str(timestamp))))
        return [(q.broker_name, q.queue_id, q.timestamp_offset) for q in r.queues]

    def consumer_offsets(self, group, topic):
        """{(broker, queue id): (broker_offset, consumer_offset, lag)} and the totals."""
        r = self.client.show_consumer_list_or_details(ShowConsumerListOrDetailsRequest(
            instance_id=INSTANCE_ID, group=group, topic=topic))
        queues = {(b.broker_name, q.id): (q.broker_offset, q.consumer_offset, q.lag)
                  for b in r.brokers for q in b.queues}
        return queues, (r.max_offset, r.consumer_offset, r.lag)

    def assert_group_at(self, group, topic, sends, expected):
        """The group's offsets on every queue are `expected` {queue: offset}."""
        queues, totals = self.consumer_offsets(group, topic)
        max_offset = {}
        for broker, queue, offset in sends:
            max_offset[(broker, queue)] = max(max_offset.get((broker, queue), 0), offset + 1)
        want = {q: (max_offset[q], expected[q], max_offset[q] - expected[q]) for q in expected}
        self.assertEqual(queues, want, "(broker_offset, consumer_offset, lag) per queue")
        self.assertEqual(totals, tuple(sum(v[i] for v in want.values()) for i in range(3)),
                         "max_offset, consumer_offset and lag totals")

    # -- the checks -----------------------------------------------------------

    def test_vendor_sample_resets_group_to_first_message_of_every_queue(self):
        self.create_topic("topic_01", 3)
        self.create_group("group_01")
        sends = self.send("topic_01", 6, "sample")
        queues = sorted({(b, q) for b, q, _ in sends})
        self.assertEqual(len(queues), 3, f"round robin reaches every queue: {sends}")
        first = {q: min(o for b, i, o in sends if (b, i) == q) for q in queues}
        # Start from the end of every queue, so that the sample's reset to
        # 2022 (before every message) visibly moves the group back.
        latest = self.reset("group_01", "topic_01", -1)
        self.assertEqual(latest, [(b, q, max(o for bb, qq, o in sends if (bb, qq) == (b, q)) + 1)
                                  for b, q in queues])

        env = dict(os.environ, CLOUD_SDK_AK=AK, CLOUD_SDK_SK=SK,
                   REWINDMQ_ENDPOINT=self.server.endpoint)
        run = subprocess.run([sys.executable, SAMPLE], env=env, cwd=HERE, capture_output=True,
                             text=True, timeout=SAMPLE_TIMEOUT_S)
        self.assertEqual(run.returncode, 0, f"sample failed:\n{run.stdout}\n{run.stderr}")
        # The sample prints the response as JSON, or four lines of error.
        try:
            printed = json.loads(run.stdout)
        except ValueError:
            self.fail(f"sample did not print a ResetConsumeOffsetResponse:\n{run.stdout}")
        self.assertEqual(printed, {"queues": [
            {"broker_name": b, "queue_id": q, "timestamp_offset": first[(b, q)]}
            for b, q in queues]})
        self.assert_group_at("group_01", "topic_01", sends, first)

    def test_reset_between_two_batches_lands_on_first_message_of_second_batch(self):
        self.create_topic("orders", 4)
        self.create_group("billing")
        batch1 = self.send("orders", 6, "batch-1")
        time.sleep(HALF_PAUSE_S)
        between = now_ms()
        time.sleep(HALF_PAUSE_S)
        batch2 = self.send("orders", 5, "batch-2")

        queues = sorted({(b, q) for b, q, _ in batch1 + batch2})
        self.assertEqual(len(queues), 4, f"round robin reaches every queue: {batch1 + batch2}")
        expected = {q: min(o for b, i, o in batch2 if (b, i) == q)
                    for q in queues if any((b, i) == q for b, i, _ in batch2)}
        self.assertEqual(sorted(expected), queues, f"every queue gets a message of batch 2: {batch2}")
        # A group that never consumed stands at 0; the reset must move it
        # past batch 1, which reached every queue.
        self.assert_group_at("billing", "orders", batch1 + batch2, {q: 0 for q in queues})
        self.assertTrue(all(expected[q] > 0 for q in queues), expected)

        answer = self.reset("billing", "orders", between)
        self.assertEqual(answer, [(b, q, expected[(b, q)]) for b, q in queues],
                         f"reset to {between} (between the batches)")
        self.assert_group_at("billing", "orders", batch1 + batch2, expected)


class OpenModeTest(DmsSdkTest, unittest.TestCase):
    """No --dms-credentials: signatures are not checked."""

    def test_any_key_is_accepted(self):
        other = make_client(self.server.endpoint, "SOMEOTHERAK000000000", "not-the-secret-key")
        r = other.show_instance(ShowInstanceRequest(instance_id=INSTANCE_ID))
        self.assertEqual(r.instance_id, INSTANCE_ID)


class SignedModeTest(DmsSdkTest, unittest.TestCase):
    """--dms-credentials AK:SK: every request must carry that pair's signature."""

    credentials = f"{AK}:{SK}"

    def test_wrong_secret_key_is_refused_with_apigw_0301_and_changes_nothing(self):
        self.create_topic("refused_topic", 2)
        self.create_group("refused_group")
        sends = self.send("refused_topic", 4, "refused")
        earliest = {(b, q): 0 for b, q, _ in sends}
        self.assertEqual(len(earliest), 2)
        self.reset("refused_group", "refused_topic", 0)

        wrong = make_client(self.server.endpoint, AK, SK + "x")
        with self.assertRaises(exceptions.ClientRequestException) as caught:
            self.reset("refused_group", "refused_topic", -1, client=wrong)
        e = caught.exception
        self.assertEqual((e.status_code, e.error_code), AUTH_FAILED, str(e))
        self.assertTrue(e.error_msg.startswith("Incorrect IAM authentication information"),
                        e.error_msg)
        self.assertRegex(e.request_id, r"^[0-9a-f]{32}$")
        self.assert_group_at("refused_group", "refused_topic", sends, earliest)


if __name__ == "__main__":
    unittest.main(verbosity=2)
