package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rewindmq.remoting.ProduceConsumeTest.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/** Scenario 8: two push consumers of one group split the queues. */
class RebalanceTest extends BrokerTest {

  /** Queue ids of topic currently held by the consumer (its rebalance result). */
  static Set<Integer> held(DefaultMQPushConsumer c, String topic) {
    Set<Integer> ids = new TreeSet<>();
    for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
      if (mq.getTopic().equals(topic)) {
        ids.add(mq.getQueueId());
      }
    }
    return ids;
  }

  private long clientCount(String group) {
    try {
      return Json.num(broker.consumers(group).get("total"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits up to 10 s for the DMS consumer list to show want clients; notes a problem otherwise. */
  private void restClients(String group, long want, List<String> problems) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (clientCount(group) != want && System.nanoTime() < deadline) {
      Received.sleep(100);
    }
    Map<String, Object> list = broker.consumers(group);
    if (Json.num(list.get("total")) != want || !Boolean.valueOf(want > 0).equals(list.get("online"))) {
      problems.add("expected " + want + " live clients, got " + list);
    }
  }

  @Test
  void s08_twoConsumersSplitQueues() throws Exception {
    String[] tg = topicAndGroup("s08", 4);
    String topic = tg[0];
    String group = tg[1];
    Received rec = new Received();
    DefaultMQPushConsumer c1 = clients.push(group, topic, "*");
    c1.registerMessageListener(rec.listener("c1"));
    DefaultMQPushConsumer c2 = clients.push(group, topic, "*");
    c2.registerMessageListener(rec.listener("c2"));
    c1.start();
    c2.start();

    // Steady state: 2 + 2 disjoint queues (GET_CONSUMER_LIST_BY_GROUP sees both clients).
    Received.until("the two consumers hold 2 queues each", Duration.ofSeconds(30), () -> {
      Set<Integer> a = held(c1, topic);
      Set<Integer> b = held(c2, topic);
      Set<Integer> both = new HashSet<>(a);
      both.retainAll(b);
      return a.size() == 2 && b.size() == 2 && both.isEmpty();
    }, () -> "c1 " + held(c1, topic) + " c2 " + held(c2, topic));
    // The DMS consumer list is checked here but asserted at the end, after the protocol checks.
    List<String> restProblems = new ArrayList<>();
    restClients(group, 2, restProblems);

    DefaultMQProducer producer = clients.producer();
    Set<String> bodies = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      String body = "s08-" + i;
      bodies.add(body);
      assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, utf8(body))).getSendStatus());
    }
    rec.awaitAtLeast(40, Duration.ofSeconds(20));
    Received.sleep(1500);
    assertEquals(40, rec.size(), "no duplicates: " + rec);
    assertEquals(bodies, rec.countByBody().keySet(), "union = all");
    Set<Integer> c1Queues = held(c1, topic);
    Set<Integer> c2Queues = held(c2, topic);
    int byC1 = 0;
    int byC2 = 0;
    for (Received.Delivery d : rec.all()) {
      if (d.consumer.equals("c1")) {
        byC1++;
        assertTrue(c1Queues.contains(d.msg.getQueueId()), "c1 got a queue it does not hold: " + d);
      } else {
        byC2++;
        assertTrue(c2Queues.contains(d.msg.getQueueId()), "c2 got a queue it does not hold: " + d);
      }
    }
    assertTrue(byC1 > 0 && byC2 > 0, "each consumer got some: c1 " + byC1 + ", c2 " + byC2);
    awaitLagZero(group, topic, Duration.ofSeconds(20));

    // One leaves (UNREGISTER_CLIENT): the other takes every queue.
    c2.shutdown();
    restClients(group, 1, restProblems);
    Received.until("c1 holds all 4 queues", Duration.ofSeconds(20), () -> held(c1, topic).size() == 4,
        () -> "c1 " + held(c1, topic));
    for (int i = 40; i < 48; i++) {
      String body = "s08-" + i;
      assertEquals(SendStatus.SEND_OK, producer.send(new Message(topic, utf8(body))).getSendStatus());
    }
    rec.awaitAtLeast(48, Duration.ofSeconds(20));
    Received.sleep(1000);
    assertEquals(48, rec.size(), "no redelivery after the rebalance: " + rec);
    assertEquals(8, rec.matching(d -> d.consumer.equals("c1") && Integer.parseInt(d.body().substring(4)) >= 40)
        .size(), "c1 got the 8 later messages: " + rec);
    assertTrue(restProblems.isEmpty(), "DMS consumer list (GET .../groups/G/clients): " + restProblems);
  }
}
