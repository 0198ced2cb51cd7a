package org.rewindmq.dms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.huaweicloud.sdk.rocketmq.v2.model.ResetConsumeOffsetRespQueues;
import com.huaweicloud.sdk.rocketmq.v2.model.ResetConsumeOffsetResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rewindmq.dms.Sdk.Position;
import org.rewindmq.dms.Sdk.Queue;

/**
 * Reading back what the vendor sample prints: the SDK model's toString(). Needs no server,
 * so run.sh --fetch-only runs it to resolve Surefire's JUnit provider.
 */
class SampleOutputTest {
  @Test
  void printedResponseReadsBackAsItsQueues() {
    ResetConsumeOffsetResponse r = new ResetConsumeOffsetResponse().withQueues(List.of(
        new ResetConsumeOffsetRespQueues().withBrokerName("broker-0").withQueueId(0)
            .withTimestampOffset(7L),
        new ResetConsumeOffsetRespQueues().withBrokerName("broker-1").withQueueId(12)
            .withTimestampOffset(0L)));
    assertEquals(List.of(new Position(new Queue("broker-0", 0), 7),
            new Position(new Queue("broker-1", 12), 0)),
        Sdk.parsePrintedResponse(r.toString() + "\n"));
  }

  @Test
  void printedErrorIsNoResponse() {
    assertThrows(AssertionError.class, () -> Sdk.parsePrintedResponse(
        "401\n0123456789abcdef0123456789abcdef\nAPIGW.0301\nIncorrect IAM authentication\n"));
  }
}
