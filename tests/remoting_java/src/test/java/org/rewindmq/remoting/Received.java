package org.rewindmq.remoting;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.message.MessageExt;

/** Collects what a consumer was given, with the time of each delivery. */
final class Received {
  /** One message handed to a listener. */
  static final class Delivery {
    final MessageExt msg;
    final long atMillis;
    final String consumer;

    Delivery(MessageExt msg, long atMillis, String consumer) {
      this.msg = msg;
      this.atMillis = atMillis;
      this.consumer = consumer;
    }

    String body() {
      return new String(msg.getBody(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return consumer + ":" + msg.getTopic() + "/q" + msg.getQueueId() + "@" + msg.getQueueOffset()
          + " " + body() + " tags=" + msg.getTags() + " reconsume=" + msg.getReconsumeTimes();
    }
  }

  private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();

  void add(MessageExt m, String consumer) {
    deliveries.add(new Delivery(m, System.currentTimeMillis(), consumer));
  }

  /** A listener that records every message and acknowledges it. */
  MessageListenerConcurrently listener(String consumer) {
    return (msgs, ctx) -> {
      for (MessageExt m : msgs) {
        add(m, consumer);
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    };
  }

  List<Delivery> all() {
    return new ArrayList<>(deliveries);
  }

  int size() {
    return deliveries.size();
  }

  List<Delivery> matching(Predicate<Delivery> p) {
    List<Delivery> out = new ArrayList<>();
    for (Delivery d : deliveries) {
      if (p.test(d)) {
        out.add(d);
      }
    }
    return out;
  }

  /** Deliveries counted per body. */
  Map<String, Integer> countByBody() {
    Map<String, Integer> m = new HashMap<>();
    for (Delivery d : deliveries) {
      m.merge(d.body(), 1, Integer::sum);
    }
    return m;
  }

  /** Waits until at least n deliveries arrived; fails with what did arrive. */
  void awaitAtLeast(int n, Duration timeout) {
    until("at least " + n + " deliveries", timeout, () -> size() >= n, this::toString);
  }

  @Override
  public String toString() {
    List<Delivery> l = all();
    StringBuilder b = new StringBuilder(l.size() + " deliveries");
    for (int i = 0; i < l.size() && i < 60; i++) {
      b.append("\n  ").append(l.get(i));
    }
    if (l.size() > 60) {
      b.append("\n  ...");
    }
    return b.toString();
  }

  // ------------------------------------------------------------ waiting

  /** Polls cond every 50 ms until it holds; throws AssertionError at the deadline. */
  static void until(String what, Duration timeout, BooleanSupplier cond, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
            + "; state: " + state.get());
      }
      sleep(50);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
