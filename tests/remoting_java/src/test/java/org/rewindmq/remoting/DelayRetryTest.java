package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rewindmq.remoting.ProduceConsumeTest.utf8;

import java.time.Duration;
import java.util.List;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/** Scenarios 5 (delay level 2) and 10 (RECONSUME_LATER once). */
class DelayRetryTest extends BrokerTest {

  /** Scenario 5: a level-2 (5 s) delayed message is not delivered before 5 s, and soon after. */
  @Test
  void s05_delayedMessage() throws Exception {
    String[] tg = topicAndGroup("s05", 2);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "*");
    c.registerMessageListener(rec.listener("c1"));
    c.start();
    // The consumer is live once it got a first, undelayed message.
    assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "warm", utf8("s05-warmup"))).getSendStatus());
    rec.awaitAtLeast(1, Duration.ofSeconds(20));

    Message delayed = new Message(topic, "late", "s05-delayed-key", utf8("s05-delayed"));
    delayed.setDelayTimeLevel(2);
    long t0 = System.currentTimeMillis();
    SendResult r = producer.send(delayed);
    assertEquals(SendStatus.SEND_OK, r.getSendStatus(), r.toString());
    String delayedId = r.getMsgId();
    // A later undelayed message on the same topic is not held back.
    SendResult after = producer.send(new Message(topic, "now", utf8("s05-after")));
    assertEquals(SendStatus.SEND_OK, after.getSendStatus());

    Received.until("the undelayed message", Duration.ofSeconds(3),
        () -> !rec.matching(d -> d.body().equals("s05-after")).isEmpty(), rec::toString);
    Received.until("the delayed message", Duration.ofSeconds(15),
        () -> !rec.matching(d -> d.body().equals("s05-delayed")).isEmpty(), rec::toString);
    Received.Delivery d = rec.matching(x -> x.body().equals("s05-delayed")).get(0);
    long waited = d.atMillis - t0;
    assertTrue(waited >= 4900, "delivered after " + waited + " ms, before the 5 s delay: " + d);
    assertTrue(waited <= 5000 + 3000, "delivered " + waited + " ms after sending, long after the 5 s delay");
    MessageExt m = d.msg;
    assertEquals(topic, m.getTopic());
    assertEquals("late", m.getTags());
    assertEquals("s05-delayed-key", m.getKeys());
    assertEquals(delayedId, m.getMsgId(), "the message id stays the same when it is appended");
    assertTrue(m.getStoreTimestamp() >= t0 + 4900,
        "store timestamp " + m.getStoreTimestamp() + " = the time it was due, not " + t0);
    Received.sleep(1000);
    assertEquals(1, rec.matching(x -> x.body().equals("s05-delayed")).size(), "once: " + rec);
    assertEquals(3, rec.size(), rec.toString());
  }

  /** Scenario 10: RECONSUME_LATER once; the message comes back after ~10 s with reconsumeTimes 1. */
  @Test
  void s10_reconsumeLaterOnce() throws Exception {
    String[] tg = topicAndGroup("s10", 2);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "*");
    c.setMaxReconsumeTimes(3);
    c.registerMessageListener((List<MessageExt> msgs, org.apache.rocketmq.client.consumer.listener
        .ConsumeConcurrentlyContext ctx) -> {
      boolean fail = false;
      for (MessageExt m : msgs) {
        rec.add(m, "c1");
        if (new String(m.getBody(), java.nio.charset.StandardCharsets.UTF_8).startsWith("s10-fail")
            && m.getReconsumeTimes() == 0) {
          fail = true;
        }
      }
      return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    c.start();

    Message m = new Message(topic, "retryme", "s10-key", utf8("s10-fail-once"));
    m.putUserProperty("origin", "s10");
    SendResult r = producer.send(m);
    assertEquals(SendStatus.SEND_OK, r.getSendStatus());
    SendResult ok = producer.send(new Message(topic, "fine", utf8("s10-ok")));
    assertEquals(SendStatus.SEND_OK, ok.getSendStatus());

    Received.until("first delivery", Duration.ofSeconds(20),
        () -> rec.matching(d -> d.body().equals("s10-fail-once")).size() >= 1, rec::toString);
    Received.until("redelivery", Duration.ofSeconds(30),
        () -> rec.matching(d -> d.body().equals("s10-fail-once")).size() >= 2, rec::toString);
    List<Received.Delivery> ds = rec.matching(d -> d.body().equals("s10-fail-once"));
    Received.Delivery first = ds.get(0);
    Received.Delivery second = ds.get(1);
    assertEquals(0, first.msg.getReconsumeTimes());
    assertEquals(1, second.msg.getReconsumeTimes(), "second delivery: " + second);
    long gap = second.atMillis - first.atMillis;
    assertTrue(gap >= 9000, "redelivered after " + gap + " ms, before the 10 s retry delay (level 3)");
    assertTrue(gap <= 10000 + 8000, "redelivered only after " + gap + " ms");
    MessageExt again = second.msg;
    assertEquals(r.getMsgId(), again.getMsgId(), "same message id");
    assertEquals(topic, again.getTopic(), "the client shows the original topic");
    assertEquals("retryme", again.getTags());
    assertEquals("s10-key", again.getKeys());
    assertEquals("s10", again.getUserProperty("origin"));
    Received.sleep(2000);
    assertEquals(2, rec.matching(d -> d.body().equals("s10-fail-once")).size(), "no third delivery: " + rec);
    assertEquals(1, rec.matching(d -> d.body().equals("s10-ok")).size(), "the other message once: " + rec);
  }
}
