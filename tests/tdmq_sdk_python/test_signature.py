"""TC3-HMAC-SHA256 in strict mode with the official Python SDK
(tdmq-cmq-v3.md §4, §13.3): the SDK's own signature with the endpoint
127.0.0.1:<port> (and localhost:<port>) passes, a wrong key and an unknown
SecretId are refused with HTTP 200, the SDK's exception code and a UUID
RequestId; the same key pair signs the 2.0 face through the 2.0 SDK. Open
mode checks no signature."""

import re
import unittest

from harness import (SECRET_ID, STRICT_ARGS, V2_AUTH_FAILED, RecordedRequests, ServerTestCase,
                     call, cmq_account, detail, tdmq_client)
from cmq.queue import Message


class StrictSignatureTest(ServerTestCase):
    SERVER_ARGS = STRICT_ARGS

    def test_the_sdk_signature_passes(self):
        """endpoint 127.0.0.1:<port>: the SDK signs host with port"""
        with RecordedRequests() as sent:
            created = call(self.client, "CreateCmqQueue", QueueName="signed")
        self.assert_request_id(created)
        # What the pinned SDK signed: the Host header is the endpoint with its
        # port, and the credential scope names the client's service.
        self.assertEqual(len(sent.requests), 1)
        self.assertEqual(sent.header(0, "Host"), f"127.0.0.1:{self.server.port}")
        auth = sent.header(0, "Authorization")
        self.assertRegex(
            auth, r"^TC3-HMAC-SHA256 Credential=%s/\d{4}-\d\d-\d\d/tdmq/tc3_request, "
                  r"SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$" % SECRET_ID)
        self.assertEqual(sent.header(0, "Content-Type"), "application/json")

    def test_localhost_endpoint_and_get_pass(self):
        call(self.client, "CreateCmqQueue", QueueName="viahost")
        via_localhost = tdmq_client(self.server, host="localhost")
        self.assertEqual(call(via_localhost, "DescribeCmqQueues").TotalCount, 1)
        via_get = tdmq_client(self.server, method="GET")
        self.assertEqual(detail(via_get, "viahost").QueueName, "viahost")

    def test_wrong_key_is_refused(self):
        wrong = tdmq_client(self.server, secret_key="not-the-key")
        self.assert_tc_error("AuthFailure.SignatureFailure", call, wrong, "DescribeCmqQueues")
        self.assert_tc_error("AuthFailure.SignatureFailure", call, wrong, "CreateCmqQueue",
                             QueueName="never")
        self.assertEqual(call(self.client, "DescribeCmqQueues").TotalCount, 0,
                         "the refused create changed nothing")

    def test_unknown_secret_id_is_refused(self):
        unknown = tdmq_client(self.server, secret_id="AKIDunknown")
        self.assert_tc_error("AuthFailure.SecretIdNotFound", call, unknown, "DescribeCmqQueues")

    def test_one_key_pair_signs_both_faces(self):
        call(self.client, "CreateCmqQueue", QueueName="both-faces")
        queue = cmq_account(self.server).get_queue("both-faces")
        self.assertTrue(queue.send_message(Message("hi")).msgId)
        sha256 = cmq_account(self.server)
        sha256.set_sign("sha256")
        self.assertTrue(sha256.get_queue("both-faces").send_message(Message("ho")).msgId)
        wrong = cmq_account(self.server, secret_key="wrong").get_queue("both-faces")
        self.assert_v2_error(V2_AUTH_FAILED, wrong.send_message, Message("no"))
        self.assertEqual(detail(self.client, "both-faces").ActiveMsgNum, 2)


class OpenSignatureTest(ServerTestCase):
    def test_any_key_passes(self):
        anything = tdmq_client(self.server, secret_id="AKIDanything", secret_key="anything")
        created = call(anything, "CreateCmqQueue", QueueName="open")
        self.assert_request_id(created)
        self.assertEqual(call(self.client, "DescribeCmqQueues").TotalCount, 1)
        queue = cmq_account(self.server, secret_key="anything").get_queue("open")
        self.assertTrue(re.match(r"\S+", queue.send_message(Message("x")).msgId))


if __name__ == "__main__":
    unittest.main()
