"""Cross-protocol scenarios (tdmq-cmq-v3.md §13.5) with the official Python
SDKs: queues created, sent to, cleared and rewound over API 3.0
(tencentcloud-sdk-python-tdmq), sent to, received, deleted and rewound over
CMQ 2.0 (qcloud-cmq-sdk-py3), with exact message sets; and a plain 2.0
round trip through the 2.0 SDK alone, in open and in strict mode."""

import unittest

from harness import (STRICT_ARGS, V2_BAD_HANDLE, V2_NO_MESSAGE, V2_QUEUE_LIMIT, ServerTestCase,
                     call, cmq_account, detail, drain_v2, now_s)
from cmq.queue import Message, QueueMeta


class CrossProtocolTest(ServerTestCase):
    SERVER_ARGS = ["--cmq-max-queues", "2"]

    def setUp(self):
        self.account = cmq_account(self.server)

    def test_x1_underscore_queue_consumed_and_rewound_across_faces(self):
        call(self.client, "CreateCmqQueue", QueueName="orders_x1", MsgRetentionSeconds=3600,
             RewindSeconds=600)
        queue = self.account.get_queue("orders_x1")
        ids = [queue.send_message(Message(body)).msgId for body in ["a", "b", "c"]]
        first = drain_v2(queue)
        self.assertEqual([m.msgId for m in first], ids)
        self.assertEqual([m.msgBody for m in first], ["a", "b", "c"])
        self.assertEqual([m.dequeueCount for m in first], [1, 1, 1])
        q = detail(self.client, "orders_x1")
        self.assertEqual((q.RewindMsgNum, q.ActiveMsgNum), (3, 0))
        call(self.client, "RewindCmqQueue", QueueName="orders_x1", StartConsumeTime=now_s() - 5)
        q = detail(self.client, "orders_x1")
        self.assertEqual((q.RewindMsgNum, q.ActiveMsgNum), (0, 3))
        again = drain_v2(queue)
        self.assertEqual([m.msgId for m in again], ids)
        self.assertEqual([m.dequeueCount for m in again], [2, 2, 2])
        q = detail(self.client, "orders_x1")
        self.assertEqual((q.RewindMsgNum, q.ActiveMsgNum), (3, 0))

    def test_x2_a_3_0_send_is_the_2_0_receive_byte_for_byte(self):
        call(self.client, "CreateCmqQueue", QueueName="x2")
        body = "grüße, 世界 🎉 & a+b=c%20"
        sent = call(self.client, "SendCmqMsg", QueueName="x2", MsgContent=body)
        got = drain_v2(self.account.get_queue("x2"))
        self.assertEqual([(m.msgId, m.msgBody) for m in got], [(sent.MsgId, body)])

    def test_x3_x4_x8_defaults_per_face_one_id_one_limit(self):
        # X3: each face applies its own defaults at create; one queue id. The
        # 2.0 SDK's create sends every QueueMeta attribute, with its defaults.
        self.account.get_queue("x3two").create(QueueMeta())
        total, listed, _ = self.account.list_queue(searchWord="x3two")
        self.assertEqual(total, 1)
        seen = detail(self.client, "x3two")
        self.assertEqual((seen.MsgRetentionSeconds, seen.MaxMsgSize), (345600, 65536))
        self.assertEqual(seen.QueueId, listed[0]["queueId"])
        call(self.client, "CreateCmqQueue", QueueName="x3three")
        attrs = self.account.get_queue("x3three").get_attributes()
        self.assertEqual((attrs.msgRetentionSeconds, attrs.maxMsgSize), (3600, 1048576))
        self.assertEqual(detail(self.client, "x3three").CreateTime // 1000, attrs.createTime)

        # X8: the queue-count limit (2) counts both faces.
        self.assert_tc_error("LimitExceeded", call, self.client, "CreateCmqQueue",
                             QueueName="x8")
        self.assert_v2_error(V2_QUEUE_LIMIT, self.account.get_queue("x8").create, QueueMeta())

        # X4: a 2.0 SetQueueAttributes(rewindSeconds 0) turns 3.0 rewinds off.
        meta = self.account.get_queue("x3three").get_attributes()
        self.assertEqual(meta.rewindSeconds, 0)
        meta.rewindSeconds = 0
        self.account.get_queue("x3three").set_attributes(meta)
        self.assert_tc_error("FailedOperation", call, self.client, "RewindCmqQueue",
                             QueueName="x3three", StartConsumeTime=now_s())

    def test_x5_clear_ends_in_flight_handles_and_rewind_brings_them_back(self):
        call(self.client, "CreateCmqQueue", QueueName="x5", RewindSeconds=600)
        ids = [call(self.client, "SendCmqMsg", QueueName="x5", MsgContent=body).MsgId
               for body in ["1", "2"]]
        queue = self.account.get_queue("x5")
        inflight = queue.receive_message(0)
        self.assertEqual(inflight.msgId, ids[0])
        call(self.client, "ClearCmqQueue", QueueName="x5")
        self.assert_v2_error(V2_BAD_HANDLE, queue.delete_message, inflight.receiptHandle)
        self.assert_v2_error(V2_NO_MESSAGE, queue.receive_message, 0)
        call(self.client, "RewindCmqQueue", QueueName="x5", StartConsumeTime=now_s() - 5)
        back = drain_v2(queue)
        self.assertEqual([(m.msgId, m.msgBody) for m in back], [(ids[0], "1"), (ids[1], "2")])


class PlainV2RoundTrip:
    """Send, receive, delete and rewind through the 2.0 SDK alone; 3.0
    only looks."""

    def test_send_receive_delete_rewind(self):
        queue = self.account.get_queue("plain-v2")
        meta = QueueMeta()
        meta.rewindSeconds = 600
        queue.create(meta)
        ids = [queue.send_message(Message(body)).msgId for body in ["x", "y", "ж"]]
        batch = queue.batch_send_message([Message("p"), Message("q")])
        ids += [m.msgId for m in batch]
        first = drain_v2(queue)
        self.assertEqual([m.msgId for m in first], ids)
        self.assertEqual([m.msgBody for m in first], ["x", "y", "ж", "p", "q"])
        attrs = queue.get_attributes()
        self.assertEqual((attrs.activeMsgNum, attrs.rewindmsgNum, attrs.rewindSeconds), (0, 5, 600))

        queue.rewindQueue(now_s() - 60)
        self.assertEqual(detail(self.client, "plain-v2").ActiveMsgNum, 5)
        again = drain_v2(queue)
        self.assertEqual([m.msgId for m in again], ids)
        self.assertEqual([m.dequeueCount for m in again], [2] * 5)
        self.assert_v2_error(V2_NO_MESSAGE, queue.receive_message, 0)
        queue.delete()
        self.assert_tc_error("ResourceNotFound", detail, self.client, "plain-v2")


class PlainV2OpenTest(PlainV2RoundTrip, ServerTestCase):
    def setUp(self):
        self.account = cmq_account(self.server)


class PlainV2StrictSha1Test(PlainV2RoundTrip, ServerTestCase):
    SERVER_ARGS = STRICT_ARGS

    def setUp(self):
        self.account = cmq_account(self.server)  # HmacSHA1, the SDK's default


class PlainV2StrictSha256Test(PlainV2RoundTrip, ServerTestCase):
    SERVER_ARGS = STRICT_ARGS

    def setUp(self):
        self.account = cmq_account(self.server)
        self.account.set_sign("sha256")


if __name__ == "__main__":
    unittest.main()
