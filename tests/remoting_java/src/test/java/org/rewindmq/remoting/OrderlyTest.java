package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rewindmq.remoting.ProduceConsumeTest.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.junit.jupiter.api.Test;

/** Scenario 6: orderly consumer; sends chosen by a MessageQueueSelector keep their per-queue order. */
class OrderlyTest extends BrokerTest {

  @Test
  void s06_orderlyPerQueueOrder() throws Exception {
    String[] tg = topicAndGroup("s06", 4);
    String topic = tg[0];
    DefaultMQProducer producer = clients.producer();
    Received rec = new Received();
    Map<Integer, AtomicInteger> inQueue = new HashMap<>();
    for (int q = 0; q < 4; q++) {
      inQueue.put(q, new AtomicInteger());
    }
    List<String> overlaps = new ArrayList<>();
    DefaultMQPushConsumer c = clients.push(tg[1], topic, "*");
    c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
      for (MessageExt m : msgs) {
        AtomicInteger busy = inQueue.get(m.getQueueId());
        if (busy.incrementAndGet() != 1) {
          synchronized (overlaps) {
            overlaps.add("queue " + m.getQueueId() + " consumed concurrently at offset " + m.getQueueOffset());
          }
        }
        Received.sleep(2); // give a broken lock a chance to show
        rec.add(m, "c1");
        busy.decrementAndGet();
      }
      return ConsumeOrderlyStatus.SUCCESS;
    });
    c.start();

    int orders = 8;
    int steps = 10;
    MessageQueueSelector byOrder = (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size());
    Map<Integer, Integer> queueOfOrder = new HashMap<>();
    for (int s = 0; s < steps; s++) {
      for (int o = 0; o < orders; o++) {
        Message m = new Message(topic, "order", "order-" + o, utf8("o" + o + "-s" + s));
        m.putUserProperty("order", Integer.toString(o));
        m.putUserProperty("step", Integer.toString(s));
        SendResult r = producer.send(m, byOrder, o);
        assertEquals(SendStatus.SEND_OK, r.getSendStatus());
        Integer prev = queueOfOrder.putIfAbsent(o, r.getMessageQueue().getQueueId());
        if (prev != null) {
          assertEquals(prev.intValue(), r.getMessageQueue().getQueueId(), "order " + o + " stays on its queue");
        }
      }
    }
    assertEquals(4, new java.util.HashSet<>(queueOfOrder.values()).size(), "8 orders over 4 queues");

    int total = orders * steps;
    rec.awaitAtLeast(total, Duration.ofSeconds(30));
    Received.sleep(1500);
    assertEquals(total, rec.size(), "each message once: " + rec);
    synchronized (overlaps) {
      assertTrue(overlaps.isEmpty(), "orderly listener ran two messages of one queue at once: " + overlaps);
    }

    Map<Integer, List<Integer>> stepsByOrder = new HashMap<>();
    Map<Integer, Long> lastOffsetByQueue = new HashMap<>();
    for (Received.Delivery d : rec.all()) {
      MessageExt m = d.msg;
      int o = Integer.parseInt(m.getUserProperty("order"));
      assertEquals(queueOfOrder.get(o).intValue(), m.getQueueId(), "queue of " + d);
      stepsByOrder.computeIfAbsent(o, k -> new ArrayList<>()).add(Integer.parseInt(m.getUserProperty("step")));
      Long last = lastOffsetByQueue.put(m.getQueueId(), m.getQueueOffset());
      assertTrue(last == null || m.getQueueOffset() == last + 1,
          "queue " + m.getQueueId() + " delivered offset " + m.getQueueOffset() + " after " + last + ": " + rec);
    }
    for (int o = 0; o < orders; o++) {
      List<Integer> want = new ArrayList<>();
      for (int s = 0; s < steps; s++) {
        want.add(s);
      }
      assertEquals(want, stepsByOrder.get(o), "steps of order " + o + " in delivery order");
    }
    awaitLagZero(tg[1], topic, Duration.ofSeconds(20));
  }
}
