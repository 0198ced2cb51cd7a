package org.rewindmq.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;

/**
 * One rewindmq server per test class (fresh data directory, free ports), new
 * clients per test. Every test uses its own topic and group names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.MethodName.class)
abstract class BrokerTest {
  protected Broker broker;
  protected Clients clients;

  @BeforeAll
  void startBroker() throws Exception {
    broker = Broker.start(getClass().getSimpleName());
  }

  @AfterAll
  void stopBroker() {
    if (broker != null) {
      broker.close();
      // SIGTERM must be a clean shutdown.
      assertEquals(Integer.valueOf(0), broker.exitCode(),
          "rewindmq exit code after SIGTERM; output in " + broker.logFile());
    }
  }

  @BeforeEach
  void newClients() {
    clients = new Clients(broker);
  }

  @AfterEach
  void closeClients() {
    if (clients != null) {
      clients.close();
    }
  }

  /** A fresh topic with n queues and a fresh group, both created over DMS REST. */
  protected String[] topicAndGroup(String scenario, int queues) throws Exception {
    String topic = Clients.unique(scenario + "_topic");
    String group = Clients.unique(scenario + "_group");
    broker.createTopic(topic, queues);
    broker.createGroup(group);
    return new String[] {topic, group};
  }

  /** Waits until the group's committed offsets reach the end of every queue (REST lag 0). */
  protected void awaitLagZero(String group, String topic, Duration timeout) {
    final Map<?, ?>[] last = new Map<?, ?>[1];
    long t0 = System.nanoTime();
    Received.until("REST lag 0 for " + group + " on " + topic, timeout, () -> {
      try {
        Map<String, Object> d = broker.groupDetails(group, topic);
        if (last[0] == null || !String.valueOf(last[0].get("lag")).equals(String.valueOf(d.get("lag")))) {
          System.out.printf("+%d ms lag %s: %s%n",
              java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), d.get("lag"), d);
        }
        last[0] = d;
        return Json.num(d.get("lag")) == 0 && Json.num(d.get("max_offset")) > 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }, () -> String.valueOf(last[0]));
    System.out.printf("lag 0 for %s on %s after %d ms%n", group, topic,
        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }
}
