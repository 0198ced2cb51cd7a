package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rewindmq.examples.Quickstart;

/** The README's Java example runs as written against a fresh server. */
class QuickstartExampleTest extends BrokerTest {
  @Test
  void quickstartProducesAndConsumes() throws Exception {
    broker.createTopic("orders", 4);
    assertTrue(Quickstart.run(broker.namesrv(), "orders"), "the example consumed its three messages");
  }
}
