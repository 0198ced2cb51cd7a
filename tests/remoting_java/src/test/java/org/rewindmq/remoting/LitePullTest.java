package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rewindmq.remoting.ProduceConsumeTest.utf8;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.junit.jupiter.api.Test;

/**
 * Scenario 7: DefaultLitePullConsumer with assigned queues; offsetForTimestamp
 * (SEARCH_OFFSET_BY_TIMESTAMP) follows "first message stored at or after T,
 * else max offset", agrees with the DMS REST reset, and seek + poll starts there.
 */
class LitePullTest extends BrokerTest {

  /** Polls until n messages of mq were returned (in order) or the deadline passes. */
  private static List<MessageExt> pollN(DefaultLitePullConsumer c, int n, Duration timeout) {
    List<MessageExt> got = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (got.size() < n && System.nanoTime() < deadline) {
      got.addAll(c.poll(500));
    }
    return got;
  }

  @Test
  void s07_litePullOffsetForTimestampAndSeek() throws Exception {
    String[] tg = topicAndGroup("s07", 2);
    String topic = tg[0];
    String otherGroup = Clients.unique("s07_rest_group");
    broker.createGroup(otherGroup);
    DefaultMQProducer producer = clients.producer();

    DefaultLitePullConsumer c = clients.litePull(tg[1]);
    c.start();
    List<MessageQueue> mqs = new ArrayList<>(c.fetchMessageQueues(topic));
    mqs.sort(Comparator.comparingInt(MessageQueue::getQueueId));
    assertEquals(2, mqs.size(), "queues of the topic: " + mqs);
    MessageQueue q0 = mqs.get(0);
    MessageQueue q1 = mqs.get(1);
    assertEquals(0, q0.getQueueId());
    c.assign(mqs);

    // Three batches of three on queue 0, 300 ms apart; queue 1 stays empty.
    MessageQueueSelector queue0 = (list, msg, arg) -> {
      for (MessageQueue mq : list) {
        if (mq.getQueueId() == 0) {
          return mq;
        }
      }
      throw new IllegalStateException("no queue 0 in " + list);
    };
    int n = 9;
    for (int i = 0; i < n; i++) {
      if (i > 0 && i % 3 == 0) {
        Received.sleep(300);
      }
      SendResult r = producer.send(new Message(topic, "lp", utf8("s07-" + i)), queue0, null);
      assertEquals(SendStatus.SEND_OK, r.getSendStatus());
      assertEquals(0, r.getMessageQueue().getQueueId());
      assertEquals(i, r.getQueueOffset());
    }

    // Everything, from the beginning: store timestamps by offset.
    c.seek(q0, 0);
    List<MessageExt> all = pollN(c, n, Duration.ofSeconds(15));
    assertEquals(n, all.size(), "polled from offset 0: " + all);
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      MessageExt m = all.get(i);
      assertEquals(0, m.getQueueId());
      assertEquals(i, m.getQueueOffset(), "poll order");
      assertEquals("s07-" + i, new String(m.getBody(), StandardCharsets.UTF_8));
      ts[i] = m.getStoreTimestamp();
      if (i > 0) {
        assertTrue(ts[i] >= ts[i - 1], "store timestamps non-decreasing: " + ts[i - 1] + " " + ts[i]);
      }
    }
    assertTrue(ts[3] > ts[2] + 200 && ts[6] > ts[5] + 200, "batches 300 ms apart in store time");

    Map<String, Long> cases = new TreeMap<>();
    cases.put("a long before the first", ts[0] - 3_600_000L);
    cases.put("b 0 (epoch)", 0L);
    cases.put("c exactly the first", ts[0]);
    cases.put("d second message", ts[1]);
    cases.put("e just before batch 2", ts[3] - 1);
    cases.put("f exactly batch 2", ts[3]);
    cases.put("g just after batch 2's last", ts[5] + 1);
    cases.put("h the last", ts[8]);
    cases.put("i just after the last", ts[8] + 1);
    cases.put("j far future", System.currentTimeMillis() + 3_600_000L);
    for (Map.Entry<String, Long> e : cases.entrySet()) {
      long t = e.getValue();
      long want = n;
      for (int i = 0; i < n; i++) {
        if (ts[i] >= t) {
          want = i;
          break;
        }
      }
      long got = c.offsetForTimestamp(q0, t);
      assertEquals(want, got, "offsetForTimestamp(q0, " + t + ") [" + e.getKey() + "], store times "
          + java.util.Arrays.toString(ts));
      // The DMS reset of an idle group lands on the same offset, and on 0 for the empty queue.
      List<Object> reset = broker.resetOffset(otherGroup, topic, t);
      assertEquals(2, reset.size(), "reset answer " + reset);
      assertEquals(want, Json.num(Json.obj(reset.get(0)).get("timestamp_offset")), "REST reset " + reset);
      assertEquals(0, Json.num(Json.obj(reset.get(1)).get("timestamp_offset")), "REST reset " + reset);
      assertEquals(0L, c.offsetForTimestamp(q1, t).longValue(), "empty queue 1");
    }
    assertEquals(0L, c.offsetForTimestamp(q0, ts[0] - 3_600_000L).longValue(), "T before the first → 0");
    assertEquals((long) n, c.offsetForTimestamp(q0, ts[8] + 1).longValue(), "T after the last → max offset");

    // seek to the found offset: the first message returned is the first stored at or after T.
    long t2 = ts[3] - 1;
    long off = c.offsetForTimestamp(q0, t2);
    c.seek(q0, off);
    List<MessageExt> from = pollN(c, 1, Duration.ofSeconds(10));
    assertTrue(!from.isEmpty(), "poll after seek to " + off);
    assertEquals(off, from.get(0).getQueueOffset(), "first message after seek");
    assertTrue(from.get(0).getStoreTimestamp() >= t2);
    assertTrue(ts[(int) off - 1] < t2, "its predecessor is older than T");

    // seek to the max offset (T after the last): nothing, until a new message arrives.
    long max = c.offsetForTimestamp(q0, System.currentTimeMillis() + 60_000L);
    assertEquals(n, max);
    c.seek(q0, max);
    List<MessageExt> none = pollN(c, 1, Duration.ofMillis(1500));
    assertTrue(none.isEmpty(), "nothing after the last message: " + none);
    SendResult r = producer.send(new Message(topic, "lp", utf8("s07-late")), queue0, null);
    assertEquals(n, r.getQueueOffset());
    List<MessageExt> late = pollN(c, 1, Duration.ofSeconds(10));
    assertEquals(1, late.size(), "the new message: " + late);
    assertEquals(n, late.get(0).getQueueOffset());
    assertEquals("s07-late", new String(late.get(0).getBody(), StandardCharsets.UTF_8));
  }
}
