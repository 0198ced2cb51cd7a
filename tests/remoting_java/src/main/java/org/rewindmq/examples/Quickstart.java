package org.rewindmq.examples;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * An ordinary RocketMQ application pointed at rewindmq: it produces three
 * messages to topic "orders" and consumes them with a push consumer of group
 * "billing". Nothing here is specific to rewindmq: the same code runs against
 * Apache RocketMQ or Huawei DMS for RocketMQ with another name server address.
 *
 * <pre>
 * curl -s -X POST http://127.0.0.1:9555/v2/local/instances/00000000-0000-4000-8000-000000000001/topics \
 *      -H 'Content-Type: application/json' -d '{"name":"orders","queue_num":4}'
 * java -cp ... org.rewindmq.examples.Quickstart 127.0.0.1:9876
 * </pre>
 */
public final class Quickstart {
  public static void main(String[] args) throws Exception {
    String nameServer = args.length > 0 ? args[0] : "127.0.0.1:9876";
    String topic = args.length > 1 ? args[1] : "orders";
    System.exit(run(nameServer, topic) ? 0 : 1);
  }

  /** Returns true once the three messages it sent were consumed (60 s at most). */
  public static boolean run(String nameServer, String topic) throws Exception {
    DefaultMQProducer producer = new DefaultMQProducer("quickstart-producer");
    producer.setNamesrvAddr(nameServer);
    producer.start();
    Set<String> pending = new HashSet<>();
    try {
      for (int i = 0; i < 3; i++) {
        Message msg = new Message(topic, "created", "order-" + i,
            ("order " + i).getBytes(StandardCharsets.UTF_8));
        SendResult r = producer.send(msg);
        pending.add(r.getMsgId());
        System.out.printf("sent %s to queue %d at offset %d%n", r.getMsgId(),
            r.getMessageQueue().getQueueId(), r.getQueueOffset());
      }
    } finally {
      producer.shutdown();
    }

    CountDownLatch done = new CountDownLatch(1);
    DefaultMQPushConsumer consumer = new DefaultMQPushConsumer("billing");
    consumer.setNamesrvAddr(nameServer);
    consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    consumer.subscribe(topic, "created");
    consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
      synchronized (pending) {
        for (MessageExt m : msgs) {
          System.out.printf("received %s: %s%n", m.getMsgId(),
              new String(m.getBody(), StandardCharsets.UTF_8));
          pending.remove(m.getMsgId());
        }
        if (pending.isEmpty()) {
          done.countDown();
        }
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    consumer.start();
    try {
      boolean consumed = done.await(60, TimeUnit.SECONDS);
      System.out.println(consumed ? "all 3 messages consumed" : "timed out waiting for the messages");
      return consumed;
    } finally {
      consumer.shutdown();
    }
  }

  private Quickstart() {}
}
