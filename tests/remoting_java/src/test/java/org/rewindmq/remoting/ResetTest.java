package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rewindmq.remoting.ProduceConsumeTest.utf8;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.junit.jupiter.api.Test;

/**
 * Scenario 9: a DMS REST reset-message-offset to time T while a push consumer
 * runs makes it receive again exactly the messages stored at or after T
 * (spec rocketmq-remoting.md §5: pending reset, PULL_OFFSET_MOVED, commit fence).
 */
class ResetTest extends BrokerTest {

  @Test
  void s09_restResetMidConsumption() throws Exception {
    String[] tg = topicAndGroup("s09", 2);
    String topic = tg[0];
    String group = tg[1];
    DefaultMQProducer producer = clients.producer();
    Received rec = new Received();
    DefaultMQPushConsumer c = clients.push(group, topic, "*");
    c.registerMessageListener(rec.listener("c1"));
    c.start();

    int n = 6;
    Set<String> batch1 = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String body = "s09-b1-" + i;
      batch1.add(body);
      assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, "b1", utf8(body))).getSendStatus());
    }
    rec.awaitAtLeast(n, Duration.ofSeconds(20));
    awaitLagZero(group, topic, Duration.ofSeconds(20));

    Received.sleep(300);
    long t = System.currentTimeMillis();
    Received.sleep(50);

    Set<String> batch2 = new HashSet<>();
    Map<Integer, Long> firstOfBatch2 = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String body = "s09-b2-" + i;
      batch2.add(body);
      SendResult r = producer.send(new Message(topic, "b2", utf8(body)));
      assertEquals(SendStatus.SEND_OK, r.getSendStatus());
      firstOfBatch2.merge(r.getMessageQueue().getQueueId(), r.getQueueOffset(), Math::min);
    }
    rec.awaitAtLeast(2 * n, Duration.ofSeconds(20));
    awaitLagZero(group, topic, Duration.ofSeconds(20));
    Received.sleep(500);
    assertEquals(2 * n, rec.size(), "before the reset, each message once: " + rec);
    for (Received.Delivery d : rec.all()) {
      if (batch1.contains(d.body())) {
        assertTrue(d.msg.getStoreTimestamp() < t, "batch 1 stored before T: " + d);
      } else {
        assertTrue(d.msg.getStoreTimestamp() >= t, "batch 2 stored at or after T: " + d);
      }
    }
    int mark = rec.size();

    List<Object> queues = broker.resetOffset(group, topic, t);
    assertEquals(2, queues.size(), "reset answer: " + queues);
    for (Object o : queues) {
      Map<String, Object> q = Json.obj(o);
      int id = (int) Json.num(q.get("queue_id"));
      Long want = firstOfBatch2.get(id);
      if (want != null) {
        assertEquals(want.longValue(), Json.num(q.get("timestamp_offset")), "reset offset of queue " + id);
      }
    }

    Received.until("batch 2 delivered again after the reset", Duration.ofSeconds(45), () -> {
      Set<String> again = new HashSet<>();
      List<Received.Delivery> all = rec.all();
      for (Received.Delivery d : all.subList(mark, all.size())) {
        again.add(d.body());
      }
      return again.containsAll(batch2);
    }, rec::toString);
    Received.sleep(3000);
    List<Received.Delivery> all = rec.all();
    List<Received.Delivery> after = all.subList(mark, all.size());
    Map<String, Integer> counts = new HashMap<>();
    for (Received.Delivery d : after) {
      assertTrue(batch2.contains(d.body()), "redelivered after the reset but stored before T: " + d + "\n" + rec);
      counts.merge(d.body(), 1, Integer::sum);
    }
    assertEquals(batch2, counts.keySet());
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      assertEquals(1, e.getValue().intValue(), e.getKey() + " delivered again exactly once: " + rec);
    }
    awaitLagZero(group, topic, Duration.ofSeconds(20));
  }
}
