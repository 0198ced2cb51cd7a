package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.store.ReadOffsetType;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/** Scenarios 1 (sync send), 2 (async, oneway), 3 (batch), 4 (tag filter), 11 (unknown topic). */
class ProduceConsumeTest extends BrokerTest {
  private static final Duration DELIVERY = Duration.ofSeconds(20);

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Scenario 1, also run with binary (ROCKETMQ) headers by BinaryHeaderTest:
   * sync sends with tags, keys and user properties; the send results, the
   * DMS message query and a push consumer agree with what was sent.
   */
  static void syncSendScenario(BrokerTest t, String scenario) throws Exception {
    String[] tg = t.topicAndGroup(scenario, 4);
    String topic = tg[0];
    String group = tg[1];
    DefaultMQProducer producer = t.clients.producer();

    int n = 8;
    Map<String, Message> sentById = new LinkedHashMap<>();
    Map<String, SendResult> resultById = new HashMap<>();
    Map<Integer, List<Long>> offsetsByQueue = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      Message m = new Message(topic, "tag" + (i % 3), "key-" + i + " order-" + (i / 2),
          utf8(scenario + "-body-" + i + "-\u00e9\u4e2d"));
      m.putUserProperty("color", i % 2 == 0 ? "red" : "blue");
      m.putUserProperty("seq", Integer.toString(i));
      SendResult r = producer.send(m);
      assertEquals(SendStatus.SEND_OK, r.getSendStatus(), "send " + i + ": " + r);
      assertEquals(topic, r.getMessageQueue().getTopic());
      int q = r.getMessageQueue().getQueueId();
      assertTrue(q >= 0 && q < 4, "queue id " + q);
      assertNotNull(r.getMsgId(), "msgId");
      // UNIQ_KEY: 32 hex digits, 56 when the client's own address is IPv6 (4.x MessageClientIDSetter).
      assertTrue(r.getMsgId().matches("[0-9A-F]{32}|[0-9A-F]{56}"), "msgId shape: " + r.getMsgId());
      assertNotNull(r.getOffsetMsgId(), "offsetMsgId");
      assertFalse(sentById.containsKey(r.getMsgId()), "duplicate msgId " + r.getMsgId());
      sentById.put(r.getMsgId(), m);
      resultById.put(r.getMsgId(), r);
      offsetsByQueue.computeIfAbsent(q, k -> new ArrayList<>()).add(r.getQueueOffset());
    }
    // A new topic: each queue's offsets are 0, 1, 2, ... in send order.
    for (Map.Entry<Integer, List<Long>> e : offsetsByQueue.entrySet()) {
      List<Long> offs = e.getValue();
      for (int i = 0; i < offs.size(); i++) {
        assertEquals(i, offs.get(i).longValue(), "queue " + e.getKey() + " offsets " + offs);
      }
    }

    Received rec = new Received();
    DefaultMQPushConsumer c = t.clients.push(group, topic, "*");
    c.registerMessageListener(rec.listener("c1"));
    long startedAt = System.currentTimeMillis();
    c.start();
    rec.awaitAtLeast(n, DELIVERY);
    Received.sleep(1500); // anything extra would show up now
    assertEquals(n, rec.size(), "exactly the sent messages, once each: " + rec);

    for (Received.Delivery d : rec.all()) {
      MessageExt got = d.msg;
      String id = got.getMsgId();
      Message sent = sentById.get(id);
      assertNotNull(sent, "delivered msgId " + id + " was not sent: " + d);
      SendResult r = resultById.get(id);
      assertEquals(topic, got.getTopic());
      assertEquals(new String(sent.getBody(), StandardCharsets.UTF_8), d.body(), "body of " + id);
      assertEquals(sent.getTags(), got.getTags(), "tags of " + id);
      assertEquals(sent.getKeys(), got.getKeys(), "keys of " + id);
      assertEquals(sent.getUserProperty("color"), got.getUserProperty("color"), "color of " + id);
      assertEquals(sent.getUserProperty("seq"), got.getUserProperty("seq"), "seq of " + id);
      assertEquals(id, got.getProperty("UNIQ_KEY"), "UNIQ_KEY of " + id);
      assertEquals(r.getMessageQueue().getQueueId(), got.getQueueId(), "queue of " + id);
      assertEquals(r.getQueueOffset(), got.getQueueOffset(), "offset of " + id);
      assertEquals(0, got.getReconsumeTimes(), "reconsumeTimes of " + id);
      assertTrue(got.getStoreTimestamp() > 0 && got.getStoreTimestamp() <= startedAt,
          "store timestamp " + got.getStoreTimestamp() + " of " + id);
      assertTrue(got.getBornTimestamp() > 0 && got.getBornTimestamp() <= got.getStoreTimestamp() + 1000,
          "born timestamp " + got.getBornTimestamp() + " of " + id);
      assertTrue(got instanceof MessageClientExt, "client message class " + got.getClass());
      assertEquals(r.getOffsetMsgId(), ((MessageClientExt) got).getOffsetMsgId(), "offsetMsgId of " + id);
    }
    t.awaitLagZero(group, topic, Duration.ofSeconds(20));

    // The DMS query by msg_id sees the same message, queue and offset.
    for (Map.Entry<String, Message> e : sentById.entrySet()) {
      Map<String, Object> q = t.broker.messageById(topic, e.getKey());
      if (q == null) {
        throw new AssertionError("REST query by msg_id " + e.getKey() + " (the SendResult msgId = UNIQ_KEY) found"
            + " nothing; the time-range query shows " + t.broker.messages(topic));
      }
      SendResult r = resultById.get(e.getKey());
      assertEquals(r.getMessageQueue().getQueueId(), Json.num(q.get("queue_id")), "REST queue_id " + q);
      assertEquals(r.getQueueOffset(), Json.num(q.get("queue_offset")), "REST queue_offset " + q);
      assertEquals(new String(e.getValue().getBody(), StandardCharsets.UTF_8), q.get("body"), "REST body");
      Map<String, String> props = new HashMap<>();
      for (Object p : Json.arr(q.get("property_list"))) {
        String name = (String) Json.obj(p).get("name");
        assertNull(props.put(name, (String) Json.obj(p).get("value")),
            "REST property " + name + " listed twice: " + q.get("property_list"));
      }
      assertEquals(e.getValue().getTags(), props.get("TAGS"), "REST TAGS " + props);
      assertEquals(e.getValue().getKeys(), props.get("KEYS"), "REST KEYS " + props);
      assertEquals(e.getKey(), props.get("UNIQ_KEY"), "REST UNIQ_KEY " + props);
      assertEquals(e.getValue().getUserProperty("color"), props.get("color"), "REST color " + props);
      // msg_id is the broker's 32-hex id (dms-rocketmq.md 6.1); the client's own id is UNIQ_KEY,
      // and a msg_id query with it finds the message too (checked above).
      assertTrue(String.valueOf(q.get("msg_id")).matches("[0-9A-F]{32}"), "REST msg_id " + q);
      assertTrue(String.valueOf(q.get("born_host")).startsWith("127.0.0.1:"), "REST born_host " + q);
    }
  }

  /** Scenario 1: sync send with tags, keys and user properties. */
  @Test
  void s01_syncSendTagsKeysProperties() throws Exception {
    syncSendScenario(this, "s01");
  }

  /** Scenario 2: async send and oneway send; every message reaches the consumer. */
  @Test
  void s02_asyncAndOnewaySend() throws Exception {
    String[] tg = topicAndGroup("s02", 4);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "*");
    c.registerMessageListener(rec.listener("c1"));
    c.start();

    int n = 6;
    CountDownLatch done = new CountDownLatch(n);
    Map<String, SendResult> asyncResults = new ConcurrentHashMap<>();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    Set<String> bodies = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String body = "s02-async-" + i;
      bodies.add(body);
      producer.send(new Message(topic, "async", utf8(body)), new SendCallback() {
        @Override
        public void onSuccess(SendResult r) {
          asyncResults.put(body, r);
          done.countDown();
        }

        @Override
        public void onException(Throwable e) {
          errors.add(e);
          done.countDown();
        }
      });
    }
    assertTrue(done.await(15, TimeUnit.SECONDS), "async callbacks within 15 s");
    assertTrue(errors.isEmpty(), "async send errors: " + errors);
    for (SendResult r : asyncResults.values()) {
      assertEquals(SendStatus.SEND_OK, r.getSendStatus(), r.toString());
    }
    for (int i = 0; i < n; i++) {
      String body = "s02-oneway-" + i;
      bodies.add(body);
      producer.sendOneway(new Message(topic, "oneway", utf8(body)));
    }

    rec.awaitAtLeast(2 * n, DELIVERY);
    Received.sleep(1500);
    Map<String, Integer> counts = rec.countByBody();
    assertEquals(bodies, counts.keySet(), "delivered bodies: " + rec);
    assertEquals(2 * n, rec.size(), "each message once: " + rec);
    for (Received.Delivery d : rec.all()) {
      SendResult r = asyncResults.get(d.body());
      if (r != null) {
        assertEquals(r.getMsgId(), d.msg.getMsgId(), "msgId of " + d);
        assertEquals(r.getQueueOffset(), d.msg.getQueueOffset(), "offset of " + d);
        assertEquals("async", d.msg.getTags());
      } else {
        assertEquals("oneway", d.msg.getTags());
      }
    }
  }

  /** Scenario 3: a batch of 10 lands on one queue at consecutive offsets; all consumed. */
  @Test
  void s03_batchSend() throws Exception {
    String[] tg = topicAndGroup("s03", 4);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    // Something before the batch, so that its base offset is not trivially 0.
    Map<Integer, Integer> preByQueue = new HashMap<>();
    for (int i = 0; i < 5; i++) {
      SendResult pre = producer.send(new Message(topic, utf8("s03-pre-" + i)));
      assertEquals(SendStatus.SEND_OK, pre.getSendStatus());
      preByQueue.merge(pre.getMessageQueue().getQueueId(), 1, Integer::sum);
    }
    List<Message> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Message m = new Message(topic, "batch", "bkey-" + i, utf8("s03-batch-" + i));
      m.putUserProperty("idx", Integer.toString(i));
      batch.add(m);
    }
    SendResult r = producer.send(batch);
    assertEquals(SendStatus.SEND_OK, r.getSendStatus(), r.toString());
    String[] ids = r.getMsgId().split(",");
    assertEquals(10, ids.length, "one msgId per batch message: " + r.getMsgId());
    int queue = r.getMessageQueue().getQueueId();
    long base = r.getQueueOffset();
    assertEquals(preByQueue.getOrDefault(queue, 0).longValue(), base,
        "the batch starts right after the earlier messages of its queue " + preByQueue + ": " + r);

    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "batch");
    c.registerMessageListener(rec.listener("c1"));
    c.start();
    rec.awaitAtLeast(10, DELIVERY);
    Received.sleep(1000);
    assertEquals(10, rec.size(), rec.toString());
    List<Received.Delivery> byOffset = new ArrayList<>(rec.all());
    byOffset.sort((a, b) -> Long.compare(a.msg.getQueueOffset(), b.msg.getQueueOffset()));
    for (int i = 0; i < 10; i++) {
      MessageExt m = byOffset.get(i).msg;
      assertEquals(queue, m.getQueueId(), "queue of " + byOffset.get(i));
      assertEquals(base + i, m.getQueueOffset(), "consecutive offsets: " + rec);
      assertEquals("s03-batch-" + i, byOffset.get(i).body());
      assertEquals(Integer.toString(i), m.getUserProperty("idx"));
      assertEquals("bkey-" + i, m.getKeys());
      assertEquals(ids[i], m.getMsgId(), "msgId of batch message " + i);
    }
  }

  /** Scenario 4: subscription "tagA || tagB" delivers exactly those tags. */
  @Test
  void s04_tagFilter() throws Exception {
    String[] tg = topicAndGroup("s04", 2);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    String[] tags = {"tagA", "tagB", "tagC", null, "tagAB", "tagb"};
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < 24; i++) {
      String tag = tags[i % tags.length];
      String body = "s04-" + i + "-" + tag;
      Message m = tag == null ? new Message(topic, utf8(body)) : new Message(topic, tag, utf8(body));
      assertEquals(SendStatus.SEND_OK, producer.send(m).getSendStatus());
      if ("tagA".equals(tag) || "tagB".equals(tag)) {
        expected.add(body);
      }
    }
    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "tagA || tagB");
    c.registerMessageListener(rec.listener("c1"));
    c.start();
    rec.awaitAtLeast(expected.size(), DELIVERY);
    Received.sleep(2000);
    assertEquals(expected, rec.countByBody().keySet(), "only tagA/tagB: " + rec);
    assertEquals(expected.size(), rec.size(), "once each: " + rec);
    for (Received.Delivery d : rec.all()) {
      assertTrue(d.msg.getTags().equals("tagA") || d.msg.getTags().equals("tagB"), d.toString());
    }
    // Filtered-out messages are skipped by the consumer's offsets too. The pull that found the
    // matching ones already moved the pull position past the non-matching tail (nextBeginOffset =
    // last scanned + 1, spec §3.4); the client's stored offset follows once the next pull, a long
    // poll held up to its 15 s suspend time as an Apache broker holds it, answers PULL_NOT_FOUND
    // (the client's correctTagsOffset). Both queues end with non-matching messages.
    Map<MessageQueue, Long> offsets = new HashMap<>();
    Received.until("the consumer's offsets pass the filtered-out tail of each queue", Duration.ofSeconds(25), () -> {
      offsets.clear();
      for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
        if (mq.getTopic().equals(topic)) {
          offsets.put(mq, c.getDefaultMQPushConsumerImpl().getOffsetStore()
              .readOffset(mq, ReadOffsetType.READ_FROM_MEMORY));
        }
      }
      return offsets.size() == 2 && offsets.values().stream().allMatch(o -> o == 12L);
    }, () -> "in-memory offsets " + offsets + " (12 messages per queue)");
    // ... and so the committed offsets (persisted every 1 s, the first time 10 s after the client started).
    awaitLagZero(tg[1], topic, Duration.ofSeconds(20));
  }

  /** Scenario 11: sending to an unknown topic fails fast with MQClientException; the producer stays usable. */
  @Test
  void s11_unknownTopic() throws Exception {
    String[] tg = topicAndGroup("s11", 1);
    DefaultMQProducer producer = clients.producer();
    String missing = Clients.unique("s11_missing");
    long t0 = System.nanoTime();
    MQClientException e = assertThrows(MQClientException.class,
        () -> producer.send(new Message(missing, utf8("nobody home"))));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    System.out.println("s11: unknown topic send failed after " + ms + " ms: " + e.getMessage().split("\n")[0]);
    assertTrue(ms < 3000, "unknown topic must fail quickly (an answered TOPIC_NOT_EXIST), took " + ms
        + " ms: " + e);
    assertTrue(String.valueOf(e.getMessage()).contains("No route info"), "message: " + e.getMessage());
    // No disconnect, no poisoned client: the same producer sends to a real topic.
    SendResult r = producer.send(new Message(tg[0], utf8("s11-after")));
    assertEquals(SendStatus.SEND_OK, r.getSendStatus());
    assertEquals(0, r.getQueueOffset());
    assertNull(broker.messageById(tg[0], "00000000000000000000000000000000"));
  }
}
