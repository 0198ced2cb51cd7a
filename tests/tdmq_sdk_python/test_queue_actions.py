"""Every API 3.0 queue action through the official Python SDK
(tencentcloud-sdk-python-tdmq), success and error paths (tdmq-cmq-v3.md §9,
§13.4), in open mode; the success path runs again in strict mode with signed
requests. Messages are received and deleted over CMQ 2.0 with the official
2.0 Python SDK (qcloud-cmq-sdk-py3)."""

import time
import unittest

from harness import (STRICT_ARGS, UUID, RecordedRequests, ServerTestCase, call, cmq_account,
                     detail, drain_v2, models, now_s, tdmq_client)

# The JSON type of every CmqQueue field (§8.1) that is not an integer.
NON_INTEGER_FIELDS = {
    "QueueId": str, "QueueName": str, "TenantId": str, "NamespaceName": str,
    "Transaction": bool, "Trace": bool, "DeadLetterSource": list, "Tags": list,
    "DeadLetterPolicy": type(None), "TransactionPolicy": type(None),
}


def success_path(test, client, account):
    created = call(client, "CreateCmqQueue", QueueName="orders", MsgRetentionSeconds=3600,
                   RewindSeconds=600, Tags=[{"TagKey": "team", "TagValue": "billing"}])
    test.assertRegex(created.QueueId, r"^queue-")
    test.assert_request_id(created)

    q = detail(client, "orders")
    test.assertEqual(q.QueueId, created.QueueId)
    test.assertEqual(q.MsgRetentionSeconds, 3600)
    test.assertEqual(q.MaxMsgSize, 1048576)
    test.assertEqual(q.RewindSeconds, 600)
    test.assertEqual([(t.TagKey, t.TagValue) for t in q.Tags], [("team", "billing")])
    test.assertLess(abs(q.CreateTime - time.time() * 1000), 60000, "CreateTime is in ms")
    test.assertIsNone(q.DeadLetterPolicy)
    test.assertEqual(q.DeadLetterSource, [])

    ids = []
    for body in ["one", "zwei", "三"]:
        sent = call(client, "SendCmqMsg", QueueName="orders", MsgContent=body)
        test.assertIs(sent.Result, True)
        test.assert_request_id(sent)
        ids.append(sent.MsgId)
    delayed = call(client, "SendCmqMsg", QueueName="orders", MsgContent="later", DelaySeconds=600)
    test.assertTrue(delayed.MsgId)
    q = detail(client, "orders")
    test.assertEqual(q.ActiveMsgNum, 3)
    test.assertEqual(q.DelayMsgNum, 1)

    queue = account.get_queue("orders")
    received = drain_v2(queue)
    test.assertEqual([m.msgId for m in received], ids)
    test.assertEqual([m.msgBody for m in received], ["one", "zwei", "三"])
    test.assertEqual(detail(client, "orders").RewindMsgNum, 3)

    # Back to before the sends: the deleted messages come back in order.
    rewound = call(client, "RewindCmqQueue", QueueName="orders", StartConsumeTime=now_s() - 60)
    test.assert_request_id(rewound)
    again = drain_v2(queue)
    test.assertEqual([m.msgId for m in again], ids)
    test.assertEqual([m.dequeueCount for m in again], [2, 2, 2])

    before = detail(client, "orders")
    time.sleep(0.005)
    call(client, "ModifyCmqQueueAttribute", QueueName="orders", VisibilityTimeout=45,
         RewindSeconds=0)
    q = detail(client, "orders")
    test.assertEqual(q.VisibilityTimeout, 45)
    test.assertEqual(q.RewindMsgNum, 0, "RewindSeconds 0 drops the deleted messages")
    test.assertGreater(q.LastModifyTime, before.LastModifyTime)

    listing = call(client, "DescribeCmqQueues", Limit=10)
    test.assertEqual(listing.TotalCount, 1)
    test.assertEqual([x.QueueName for x in listing.QueueList], ["orders"])

    call(client, "ClearCmqQueue", QueueName="orders")
    test.assertEqual(detail(client, "orders").DelayMsgNum, 0)

    call(client, "DeleteCmqQueue", QueueName="orders")
    test.assert_tc_error("ResourceNotFound", detail, client, "orders")


class OpenModeTest(ServerTestCase):
    """Open mode: no credentials configured, any key is accepted."""

    def test_success_path(self):
        """create, describe, send, receive over 2.0, rewind, modify, list, clear, delete"""
        success_path(self, self.client, cmq_account(self.server))

    def test_every_model_field_is_served(self):
        """DescribeCmqQueueDetail emits every CmqQueue field of the pinned SDK, typed"""
        call(self.client, "CreateCmqQueue", QueueName="fields")
        raw = self.client.call_json("DescribeCmqQueueDetail", {"QueueName": "fields"})
        served = raw["Response"]["QueueDescribe"]
        fields = [k[1:] for k in vars(models.CmqQueue()) if k.startswith("_")]
        self.assertIn("MaxMsgBacklogSize", fields)
        for name in fields:
            self.assertIn(name, served)
            want = NON_INTEGER_FIELDS.get(name, int)
            self.assertIsInstance(served[name], want, name)
            if want is int:
                self.assertNotIsInstance(served[name], bool, name)
        self.assertLess(abs(served["CreateTime"] - time.time() * 1000), 60000, "ms")
        self.assertLess(abs(served["LastModifyTime"] - time.time() * 1000), 60000, "ms")
        self.assertRegex(raw["Response"]["RequestId"], UUID)

    def test_create_refuses_bad_input(self):
        call(self.client, "CreateCmqQueue", QueueName="taken")
        cases = [
            ({}, "MissingParameter"),
            ({"QueueName": "1abc"}, "InvalidParameterValue"),
            ({"QueueName": "a" * 65}, "InvalidParameterValue"),
            ({"QueueName": "q1", "VisibilityTimeout": 0}, "InvalidParameterValue"),
            ({"QueueName": "q1", "RewindSeconds": 7200}, "InvalidParameterValue"),
            ({"QueueName": "TAKEN"}, "ResourceInUse.Queue"),
            ({"QueueName": "q1", "Transaction": 1}, "UnsupportedOperation"),
            ({"QueueName": "q1", "VisibilityTimeout": "30"}, "InvalidParameter"),
        ]
        for params, code in cases:
            with self.subTest(params=params):
                self.assert_tc_error(code, call, self.client, "CreateCmqQueue", **params)
        # The typed model drops fields it does not know; call_json sends them.
        self.assert_tc_error("UnknownParameter", self.client.call_json, "CreateCmqQueue",
                             {"QueueName": "q1", "Foo": 1})
        self.assertEqual(call(self.client, "DescribeCmqQueues").TotalCount, 1)

    def test_other_actions_refuse_bad_input(self):
        c = self.client
        call(c, "CreateCmqQueue", QueueName="norewind", MaxMsgSize=1024)
        e = self.assert_tc_error
        e("InvalidParameterValue", call, c, "DescribeCmqQueues", Limit=51)
        e("InvalidParameterValue", call, c, "DescribeCmqQueues", IsTagFilter=True,
          Filters=[{"Name": "team", "Values": ["x"]}])
        e("MissingParameter", call, c, "DescribeCmqQueueDetail")
        e("ResourceNotFound", call, c, "DescribeCmqQueueDetail", QueueName="nope")
        e("ResourceNotFound", call, c, "ModifyCmqQueueAttribute", QueueName="nope")
        e("InvalidParameterValue", call, c, "ModifyCmqQueueAttribute", QueueName="norewind",
          PollingWaitSeconds=31)
        e("InvalidParameterValue", call, c, "ModifyCmqQueueAttribute", QueueName="norewind",
          RewindSeconds=7200)
        e("FailedOperation", call, c, "RewindCmqQueue", QueueName="norewind",
          StartConsumeTime=now_s())
        e("MissingParameter", call, c, "RewindCmqQueue", QueueName="norewind")
        e("ResourceNotFound", call, c, "RewindCmqQueue", QueueName="nope",
          StartConsumeTime=now_s())
        e("InvalidParameterValue", call, c, "SendCmqMsg", QueueName="norewind", MsgContent="")
        e("InvalidParameterValue", call, c, "SendCmqMsg", QueueName="norewind",
          MsgContent="x" * 1025)
        e("InvalidParameterValue", call, c, "SendCmqMsg", QueueName="norewind", MsgContent="x",
          DelaySeconds=3601)
        e("ResourceNotFound", call, c, "SendCmqMsg", QueueName="nope", MsgContent="x")
        e("ResourceNotFound", call, c, "ClearCmqQueue", QueueName="nope")
        e("ResourceNotFound", call, c, "DeleteCmqQueue", QueueName="nope")
        e("ResourceNotFound", call, c, "UnbindCmqDeadLetter", SourceQueueName="nope")
        e("UnsupportedOperation", call, c, "ReceiveMessage", Topic="a/b/c", SubscriptionName="s")
        e("InvalidAction", c.call_json, "Foo", {})
        q = detail(c, "norewind")
        self.assertEqual((q.ActiveMsgNum, q.DelayMsgNum), (0, 0), "nothing was sent")

    def test_delay_seconds(self):
        """DelaySeconds absent is 0; 5 makes a delayed message"""
        call(self.client, "CreateCmqQueue", QueueName="delays")
        call(self.client, "SendCmqMsg", QueueName="delays", MsgContent="now")
        call(self.client, "SendCmqMsg", QueueName="delays", MsgContent="soon", DelaySeconds=5)
        q = detail(self.client, "delays")
        self.assertEqual((q.ActiveMsgNum, q.DelayMsgNum), (1, 1))

    def test_rewind_window_in_seconds_and_milliseconds(self):
        c = self.client
        call(c, "CreateCmqQueue", QueueName="window", RewindSeconds=600)
        now = now_s()
        call(c, "RewindCmqQueue", QueueName="window", StartConsumeTime=now - 10)
        call(c, "RewindCmqQueue", QueueName="window", StartConsumeTime=(now - 10) * 1000)
        self.assert_tc_error("InvalidParameterValue", call, c, "RewindCmqQueue",
                             QueueName="window", StartConsumeTime=now - 700)
        self.assert_tc_error("InvalidParameterValue", call, c, "RewindCmqQueue",
                             QueueName="window", StartConsumeTime=(now + 120) * 1000)

    def test_clear_then_rewind_revives(self):
        """ClearCmqQueue empties the queue; a rewind brings the cleared messages back"""
        c = self.client
        call(c, "CreateCmqQueue", QueueName="clearme", RewindSeconds=600)
        for body in ["1", "2", "3"]:
            call(c, "SendCmqMsg", QueueName="clearme", MsgContent=body)
        cleared = call(c, "ClearCmqQueue", QueueName="clearme")
        self.assert_request_id(cleared)
        q = detail(c, "clearme")
        self.assertEqual((q.ActiveMsgNum, q.InactiveMsgNum, q.DelayMsgNum, q.RewindMsgNum),
                         (0, 0, 0, 3))
        call(c, "RewindCmqQueue", QueueName="clearme", StartConsumeTime=now_s() - 5)
        back = drain_v2(cmq_account(self.server).get_queue("clearme"))
        self.assertEqual([m.msgBody for m in back], ["1", "2", "3"])

    def test_dead_letter_policies_are_stored_reported_and_unbound(self):
        c = self.client
        call(c, "CreateCmqQueue", QueueName="dlq")
        call(c, "CreateCmqQueue", QueueName="work", DeadLetterQueueName="dlq", Policy=0,
             MaxReceiveCount=3)
        work = detail(c, "work")
        p = work.DeadLetterPolicy
        self.assertEqual((p.DeadLetterQueue, p.Policy, p.MaxTimeToLive, p.MaxReceiveCount),
                         ("dlq", 0, 0, 3))
        dlq = detail(c, "dlq")
        self.assertEqual([(s.QueueId, s.QueueName) for s in dlq.DeadLetterSource],
                         [(work.QueueId, "work")])
        unbound = call(c, "UnbindCmqDeadLetter", SourceQueueName="work")
        self.assert_request_id(unbound)
        self.assertIsNone(detail(c, "work").DeadLetterPolicy)
        self.assertEqual(detail(c, "dlq").DeadLetterSource, [])

    def test_describe_queues_pages_and_filters(self):
        c = self.client
        for name in ["alpha-1", "alpha-2", "beta-1"]:
            call(c, "CreateCmqQueue", QueueName=name,
                 Tags=[{"TagKey": "group", "TagValue": name.split("-")[0]}])
        page = call(c, "DescribeCmqQueues", Offset=1, Limit=1)
        self.assertEqual(page.TotalCount, 3)
        self.assertEqual(len(page.QueueList), 1)
        self.assertEqual(call(c, "DescribeCmqQueues", QueueName="alpha").TotalCount, 2)
        named = call(c, "DescribeCmqQueues", QueueNameList=["beta-1", "alpha-2"])
        self.assertEqual(sorted(x.QueueName for x in named.QueueList), ["alpha-2", "beta-1"])
        tagged = call(c, "DescribeCmqQueues", IsTagFilter=True,
                      Filters=[{"Name": "tag:group", "Values": ["beta"]}])
        self.assertEqual([x.QueueName for x in tagged.QueueList], ["beta-1"])

    def test_get_requests_with_flattened_parameters(self):
        get = tdmq_client(self.server, method="GET")
        call(get, "CreateCmqQueue", QueueName="viaget", Tags=[{"TagKey": "k", "TagValue": "v"}])
        call(get, "CreateCmqQueue", QueueName="other")
        listing = call(get, "DescribeCmqQueues", QueueNameList=["viaget"], Limit=5)
        self.assertEqual([x.QueueName for x in listing.QueueList], ["viaget"])
        self.assertEqual([(t.TagKey, t.TagValue) for t in detail(get, "viaget").Tags],
                         [("k", "v")])
        self.assert_tc_error("ResourceInUse.Queue", call, get, "CreateCmqQueue",
                             QueueName="viaget")
        call(get, "DeleteCmqQueue", QueueName="viaget")

    def test_get_request_with_a_boolean(self):
        """A GET request's boolean as this SDK writes it (IsTagFilter=True).

        The SDK flattens GET parameters with urlencode, so a Python True
        arrives as the string "True", which the facade reads as true."""
        get = tdmq_client(self.server, method="GET")
        call(get, "CreateCmqQueue", QueueName="viaget", Tags=[{"TagKey": "k", "TagValue": "v"}])
        with RecordedRequests() as sent:
            try:
                listing = call(get, "DescribeCmqQueues", IsTagFilter=True,
                               Filters=[{"Name": "tag:k", "Values": ["v"]}])
            finally:
                self.assertIn("IsTagFilter=True", sent.requests[0])
        self.assertEqual([x.QueueName for x in listing.QueueList], ["viaget"])
        call(get, "DeleteCmqQueue", QueueName="viaget")


class StrictModeTest(ServerTestCase):
    """Strict mode: the same success path with TC3-HMAC-SHA256 signed
    requests and HmacSHA1-signed 2.0 requests, one key pair for both."""

    SERVER_ARGS = STRICT_ARGS

    def test_success_path_signed(self):
        success_path(self, self.client, cmq_account(self.server))


if __name__ == "__main__":
    unittest.main()
