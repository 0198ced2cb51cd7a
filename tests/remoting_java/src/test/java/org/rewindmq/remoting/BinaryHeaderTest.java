package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.junit.jupiter.api.Test;

/**
 * Scenario 1 again, with ROCKETMQ binary headers instead of JSON. Runs in its own
 * Surefire execution (JVM) with -Drocketmq.serialize.type=ROCKETMQ, which
 * RemotingCommand reads once when it is loaded (see pom.xml, execution binary-headers).
 */
class BinaryHeaderTest extends BrokerTest {

  @Test
  void s01_syncSendWithBinaryHeaders() throws Exception {
    assertEquals("ROCKETMQ", System.getProperty("rocketmq.serialize.type"),
        "this class must run in the binary-headers execution");
    // Every request the client builds now uses the binary header encoding.
    RemotingCommand probe = RemotingCommand.createRequestCommand(34, null);
    assertEquals(SerializeType.ROCKETMQ, probe.getSerializeTypeCurrentRPC());
    ProduceConsumeTest.syncSendScenario(this, "s01bin");
  }
}
