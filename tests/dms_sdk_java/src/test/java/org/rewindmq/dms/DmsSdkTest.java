package org.rewindmq.dms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.huaweicloud.sdk.rocketmq.v2.RocketMQClient;
import com.huaweicloud.sdk.rocketmq.v2.model.Brokers;
import com.huaweicloud.sdk.rocketmq.v2.model.CreateConsumerGroupOrBatchDeleteConsumerGroupReq;
import com.huaweicloud.sdk.rocketmq.v2.model.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest;
import com.huaweicloud.sdk.rocketmq.v2.model.CreateTopicOrBatchDeleteTopicReq;
import com.huaweicloud.sdk.rocketmq.v2.model.CreateTopicOrBatchDeleteTopicRequest;
import com.huaweicloud.sdk.rocketmq.v2.model.ResetConsumeOffsetReq;
import com.huaweicloud.sdk.rocketmq.v2.model.ResetConsumeOffsetRequest;
import com.huaweicloud.sdk.rocketmq.v2.model.ShowConsumerListOrDetailsRequest;
import com.huaweicloud.sdk.rocketmq.v2.model.ShowConsumerListOrDetailsResponse;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.rewindmq.dms.Sdk.Position;
import org.rewindmq.dms.Sdk.Queue;
import org.rewindmq.dms.examples.ResetConsumeOffsetSolution;

/**
 * The checks of one server mode, each on its own topic and group of one server that the
 * subclass configures: the vendor's reset-message-offset sample, run as its own program, and
 * a round trip of two batches, a reset to a time between them and the per-queue offsets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DmsSdkTest {
  static final String AK = "REWINDMQTESTAK000001";
  static final String SK = "rewindmq-test-secret-key-0000000000000001";
  /** Half the pause between the two batches; the reset time sits in its middle. */
  private static final long HALF_PAUSE_MS = 500;

  Server server;
  RocketMQClient client;

  /** The --dms-credentials value of this mode, "" for open mode. */
  abstract String serverCredentials();

  @BeforeAll
  void startServer() throws Exception {
    server = Server.start(serverCredentials());
    client = Sdk.client(server.endpoint(), AK, SK);
  }

  @AfterAll
  void stopServer() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  // -- helpers ---------------------------------------------------------------

  void createTopic(String name, int queues) {
    assertEquals(name, client.createTopicOrBatchDeleteTopic(new CreateTopicOrBatchDeleteTopicRequest()
        .withInstanceId(Sdk.INSTANCE_ID)
        .withBody(new CreateTopicOrBatchDeleteTopicReq().withName(name)
            .withQueueNum(BigDecimal.valueOf(queues)))).getId());
  }

  void createGroup(String name) {
    assertEquals(name, client.createConsumerGroupOrBatchDeleteConsumerGroup(
        new CreateConsumerGroupOrBatchDeleteConsumerGroupRequest()
            .withInstanceId(Sdk.INSTANCE_ID)
            .withBody(new CreateConsumerGroupOrBatchDeleteConsumerGroupReq().withName(name)))
        .getName());
  }

  List<Position> send(String topic, int count, String label) throws Exception {
    List<Position> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Sdk.send(server.endpoint(), AK, SK, topic, label + " message " + i, label + "-" + i));
    }
    return out;
  }

  static List<Position> reset(RocketMQClient c, String group, String topic, long timestamp) {
    return Sdk.positions(c.resetConsumeOffset(new ResetConsumeOffsetRequest()
        .withEngine(ResetConsumeOffsetRequest.EngineEnum.RELIABILITY)
        .withInstanceId(Sdk.INSTANCE_ID)
        .withGroupId(group)
        .withBody(new ResetConsumeOffsetReq().withTopic(topic)
            .withTimestamp(Long.toString(timestamp)))));
  }

  static TreeSet<Queue> queuesOf(List<Position> sends) {
    TreeSet<Queue> out = new TreeSet<>();
    sends.forEach(s -> out.add(s.queue()));
    return out;
  }

  /** Each queue of `sends` with its smallest offset. */
  static TreeMap<Queue, Long> firstOffsets(List<Position> sends) {
    TreeMap<Queue, Long> out = new TreeMap<>();
    sends.forEach(s -> out.merge(s.queue(), s.offset(), Math::min));
    return out;
  }

  /** Each queue of `sends` with its next offset. */
  static TreeMap<Queue, Long> maxOffsets(List<Position> sends) {
    TreeMap<Queue, Long> out = new TreeMap<>();
    sends.forEach(s -> out.merge(s.queue(), s.offset() + 1, Math::max));
    return out;
  }

  static List<Position> asPositions(Map<Queue, Long> offsets) {
    List<Position> out = new ArrayList<>();
    new TreeMap<>(offsets).forEach((q, o) -> out.add(new Position(q, o)));
    return out;
  }

  /**
   * The group's consumption details on `topic`: every queue at `expected`, with the broker
   * offsets and lags that `sends` imply, and the totals.
   */
  void assertGroupAt(String group, String topic, List<Position> sends, Map<Queue, Long> expected) {
    ShowConsumerListOrDetailsResponse r = client.showConsumerListOrDetails(
        new ShowConsumerListOrDetailsRequest().withInstanceId(Sdk.INSTANCE_ID).withGroup(group)
            .withTopic(topic));
    Map<Queue, List<Long>> got = new TreeMap<>();
    for (Brokers b : r.getBrokers()) {
      for (com.huaweicloud.sdk.rocketmq.v2.model.Queue q : b.getQueues()) {
        got.put(new Queue(b.getBrokerName(), q.getId()),
            List.of(q.getBrokerOffset(), q.getConsumerOffset(), q.getLag()));
      }
    }
    Map<Queue, Long> max = maxOffsets(sends);
    Map<Queue, List<Long>> want = new TreeMap<>();
    long[] totals = new long[3];
    expected.forEach((q, o) -> {
      want.put(q, List.of(max.get(q), o, max.get(q) - o));
      totals[0] += max.get(q);
      totals[1] += o;
      totals[2] += max.get(q) - o;
    });
    assertEquals(want, got, group + " on " + topic + ": [broker_offset, consumer_offset, lag]");
    assertEquals(List.of(totals[0], totals[1], totals[2]),
        List.of(r.getMaxOffset(), r.getConsumerOffset(), r.getLag()),
        group + " on " + topic + ": totals [max_offset, consumer_offset, lag]");
  }

  // -- the checks --------------------------------------------------------------

  /**
   * The vendor sample, run as its own program, resets group_01 on topic_01 to 2022, before
   * every message: every queue goes back to its first one.
   */
  @Test
  void vendorSampleResetsGroupToFirstMessageOfEveryQueue() throws Exception {
    createTopic("topic_01", 3);
    createGroup("group_01");
    List<Position> sends = send("topic_01", 6, "sample");
    assertEquals(3, queuesOf(sends).size(), "round robin reaches every queue: " + sends);
    // Start from the end of every queue, so that the sample visibly moves the group back.
    assertEquals(asPositions(maxOffsets(sends)), reset(client, "group_01", "topic_01", -1));

    Path out = Files.createTempFile("rewindmq-dms-sample-", ".out");
    Path err = Files.createTempFile("rewindmq-dms-sample-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          ResetConsumeOffsetSolution.class.getName())
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().put("CLOUD_SDK_AK", AK);
      pb.environment().put("CLOUD_SDK_SK", SK);
      pb.environment().put("REWINDMQ_ENDPOINT", server.endpoint());
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError("the sample did not finish within 60 s");
      }
      String printed = Files.readString(out, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "sample failed:\n" + printed
          + Files.readString(err, StandardCharsets.UTF_8));
      assertEquals(asPositions(firstOffsets(sends)), Sdk.parsePrintedResponse(printed),
          "the sample's reset answer");
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
    assertGroupAt("group_01", "topic_01", sends, firstOffsets(sends));
  }

  /**
   * Two batches with a pause between them; a reset to the middle of the pause puts every queue
   * on its first message of the second batch.
   */
  @Test
  void resetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch() throws Exception {
    createTopic("orders", 4);
    createGroup("billing");
    List<Position> batch1 = send("orders", 6, "batch-1");
    Thread.sleep(HALF_PAUSE_MS);
    long between = System.currentTimeMillis();
    Thread.sleep(HALF_PAUSE_MS);
    List<Position> batch2 = send("orders", 5, "batch-2");

    List<Position> all = new ArrayList<>(batch1);
    all.addAll(batch2);
    TreeSet<Queue> queues = queuesOf(all);
    assertEquals(4, queues.size(), "round robin reaches every queue: " + all);
    TreeMap<Queue, Long> expected = firstOffsets(batch2);
    assertEquals(queues, expected.navigableKeySet(), "every queue gets a message of batch 2: "
        + batch2);
    // A group that never consumed stands at 0; the reset must move it past batch 1, which
    // reached every queue.
    Map<Queue, Long> zero = new TreeMap<>();
    queues.forEach(q -> zero.put(q, 0L));
    assertGroupAt("billing", "orders", all, zero);
    assertTrue(expected.values().stream().allMatch(o -> o > 0), "batch 1 reaches every queue: "
        + batch1);

    assertEquals(asPositions(expected), reset(client, "billing", "orders", between),
        "reset to " + between + " (between the batches)");
    assertGroupAt("billing", "orders", all, expected);
  }
}
