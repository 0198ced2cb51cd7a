package org.rewindmq.remoting;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;

/**
 * Builds clients configured the same way for every test (short timeouts, a
 * unique instance name, 127.0.0.1 only) and shuts them all down at the end.
 * Only API that 4.9.x and 5.x share is used.
 */
final class Clients implements AutoCloseable {
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final String PID = Long.toString(ProcessHandle.current().pid());

  private final Broker broker;
  private final Deque<Runnable> shutdowns = new ArrayDeque<>();

  Clients(Broker broker) {
    this.broker = broker;
  }

  static String unique(String prefix) {
    return prefix + "-" + PID + "-" + SEQ.incrementAndGet();
  }

  /** A started producer. */
  DefaultMQProducer producer() throws Exception {
    DefaultMQProducer p = new DefaultMQProducer(unique("pg"));
    p.setNamesrvAddr(broker.namesrv());
    p.setInstanceName(unique("producer"));
    p.setVipChannelEnabled(false);
    p.setSendMsgTimeout(5000);
    p.setRetryTimesWhenSendFailed(1);
    p.setRetryTimesWhenSendAsyncFailed(1);
    p.setMqClientApiTimeout(5000);
    p.start();
    shutdowns.push(p::shutdown);
    return p;
  }

  /** A push consumer, configured but not started (register a listener, then start()). */
  DefaultMQPushConsumer push(String group, String topic, String expression) throws Exception {
    DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
    c.setNamesrvAddr(broker.namesrv());
    c.setInstanceName(unique("push"));
    c.setVipChannelEnabled(false);
    // CLUSTERING is the default; MessageModel moved package between 4.x and 5.x.
    if (!"CLUSTERING".equals(c.getMessageModel().name())) {
      throw new IllegalStateException("expected CLUSTERING, got " + c.getMessageModel());
    }
    c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    c.setPullInterval(0);
    c.setPersistConsumerOffsetInterval(1000);
    c.setConsumeThreadMax(4);
    c.setConsumeThreadMin(4);
    c.setMqClientApiTimeout(5000);
    c.subscribe(topic, expression);
    shutdowns.push(c::shutdown);
    return c;
  }

  /** A lite pull consumer, configured but not started. */
  DefaultLitePullConsumer litePull(String group) {
    DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
    c.setNamesrvAddr(broker.namesrv());
    c.setInstanceName(unique("litepull"));
    c.setVipChannelEnabled(false);
    c.setAutoCommit(false);
    c.setPollTimeoutMillis(1000);
    c.setPullThreadNums(2);
    c.setMqClientApiTimeout(5000);
    shutdowns.push(c::shutdown);
    return c;
  }

  /** Shuts every client down, newest first; a failing shutdown does not stop the others. */
  @Override
  public void close() {
    while (!shutdowns.isEmpty()) {
      try {
        shutdowns.pop().run();
      } catch (RuntimeException e) {
        System.err.println("client shutdown failed: " + e);
      }
    }
  }
}
