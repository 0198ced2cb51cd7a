"""Topics and queue subscriptions (tdmq-cmq-v3.md §10) with the official
Python SDKs: topics and subscriptions made over API 3.0
(tencentcloud-sdk-python-tdmq), PublishCmqMsg fanned out by tags and by
routing keys, the copies received over CMQ 2.0 (qcloud-cmq-sdk-py3), and
a rewind of one subscribed queue bringing back only its own copies."""

import unittest

from harness import STRICT_ARGS, ServerTestCase, call, cmq_account, drain_v2, now_s


class TopicsTest(ServerTestCase):

    def setUp(self):
        self.account = cmq_account(self.server)

    def tearDown(self):
        listing = self.client.call_json("DescribeCmqTopics", {"Limit": 50})["Response"]
        for t in listing.get("TopicList") or []:
            self.client.call_json("DeleteCmqTopic", {"TopicName": t["TopicName"]})
        super().tearDown()

    def bodies(self, queue):
        return [m.msgBody for m in drain_v2(self.account.get_queue(queue))]

    def test_publish_fans_out_by_tags_and_a_rewind_touches_one_queue(self):
        for q in ("billing", "audit"):
            call(self.client, "CreateCmqQueue", QueueName=q, RewindSeconds=600)
        topic_id = call(self.client, "CreateCmqTopic", TopicName="orders").TopicId
        self.assertTrue(topic_id.startswith("topic-"))
        call(self.client, "CreateCmqSubscribe", TopicName="orders", SubscriptionName="s-billing",
             Protocol="queue", Endpoint="billing", FilterTag=["paid"])
        call(self.client, "CreateCmqSubscribe", TopicName="orders", SubscriptionName="s-audit",
             Protocol="queue", Endpoint="audit")
        ids = [call(self.client, "PublishCmqMsg", TopicName="orders", MsgContent=body,
                    MsgTag=tags).MsgId
               for body, tags in (("p1", ["paid"]), ("n1", ["new"]), ("p2", ["paid", "eu"]))]
        self.assertEqual(len(set(ids)), 3)
        self.assertEqual(self.bodies("billing"), ["p1", "p2"])
        self.assertEqual(self.bodies("audit"), ["p1", "n1", "p2"])

        call(self.client, "RewindCmqQueue", QueueName="billing", StartConsumeTime=now_s() - 60)
        self.assertEqual(self.bodies("billing"), ["p1", "p2"])
        self.assertEqual(self.bodies("audit"), [])

        subs = call(self.client, "DescribeCmqSubscriptionDetail", TopicName="orders")
        self.assertEqual(subs.TotalCount, 2)
        self.assertEqual([s.Endpoint for s in subs.SubscriptionSet], ["billing", "audit"])
        self.assertEqual(subs.SubscriptionSet[0].FilterTags, ["paid"])

    def test_routing_keys_match_words(self):
        for q in ("eu", "all"):
            call(self.client, "CreateCmqQueue", QueueName=q)
        call(self.client, "CreateCmqTopic", TopicName="events", FilterType=2)
        call(self.client, "CreateCmqSubscribe", TopicName="events", SubscriptionName="s-eu",
             Protocol="queue", Endpoint="eu", BindingKey=["order.*.eu"])
        call(self.client, "CreateCmqSubscribe", TopicName="events", SubscriptionName="s-all",
             Protocol="queue", Endpoint="all", BindingKey=["#"])
        for body, key in (("a", "order.paid.eu"), ("b", "order.paid.us"), ("c", "order.eu")):
            call(self.client, "PublishCmqMsg", TopicName="events", MsgContent=body, MsgTag=[key])
        self.assertEqual(self.bodies("eu"), ["a"])
        self.assertEqual(self.bodies("all"), ["a", "b", "c"])

    def test_errors(self):
        call(self.client, "CreateCmqQueue", QueueName="q1")
        call(self.client, "CreateCmqTopic", TopicName="t1")
        self.assert_tc_error("ResourceInUse.Topic", call, self.client, "CreateCmqTopic",
                             TopicName="T1")
        self.assert_tc_error("ResourceNotFound.Topic", call, self.client, "PublishCmqMsg",
                             TopicName="nope", MsgContent="x")
        self.assert_tc_error("InvalidParameterValue", call, self.client, "CreateCmqTopic",
                             TopicName="t2", FilterType=3)
        self.assert_tc_error("UnsupportedOperation", call, self.client, "CreateCmqSubscribe",
                             TopicName="t1", SubscriptionName="s", Protocol="http",
                             Endpoint="http://example.invalid/")
        self.assert_tc_error("ResourceNotFound", call, self.client, "CreateCmqSubscribe",
                             TopicName="t1", SubscriptionName="s", Protocol="queue",
                             Endpoint="nope")
        self.assert_tc_error("ResourceNotFound.Subscription", call, self.client,
                             "DeleteCmqSubscribe", TopicName="t1", SubscriptionName="nope")


class StrictTopicsTest(TopicsTest):
    """The same with TC3-signed requests and signed 2.0 receives."""

    SERVER_ARGS = STRICT_ARGS


if __name__ == "__main__":
    unittest.main()
