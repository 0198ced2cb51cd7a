// Quickstart: an ordinary RocketMQ Go application pointed at rewindmq. It
// produces three messages to topic "orders" and consumes them with a push
// consumer of group "billing". Nothing here is specific to rewindmq: the
// same code runs against Apache RocketMQ or Huawei DMS for RocketMQ with
// another name server address.
//
//	curl -s -X POST http://127.0.0.1:9555/v2/local/instances/00000000-0000-4000-8000-000000000001/topics \
//	     -H 'Content-Type: application/json' -d '{"name":"orders","queue_num":4}'
//	go run ./examples/quickstart -nameserver 127.0.0.1:9876
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	nameServer := flag.String("nameserver", "127.0.0.1:9876", "name server address (rewindmq --remoting-listen)")
	topic := flag.String("topic", "orders", "topic (create it first through DMS REST)")
	flag.Parse()
	rlog.SetLogLevel("error")
	ns := primitive.NewPassthroughResolver([]string{*nameServer})

	p, err := rocketmq.NewProducer(producer.WithNsResolver(ns), producer.WithRetry(2))
	if err != nil || p.Start() != nil {
		fmt.Fprintln(os.Stderr, "producer:", err)
		os.Exit(1)
	}
	defer p.Shutdown()
	want := map[string]bool{}
	for i := 0; i < 3; i++ {
		msg := primitive.NewMessage(*topic, []byte(fmt.Sprintf("order %d", i)))
		msg.WithTag("created").WithKeys([]string{fmt.Sprintf("order-%d", i)})
		res, err := p.SendSync(context.Background(), msg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "send:", err)
			os.Exit(1)
		}
		want[res.MsgID] = true
		fmt.Printf("sent %s to queue %d at offset %d\n", res.MsgID, res.MessageQueue.QueueId, res.QueueOffset)
	}

	var mu sync.Mutex
	done := make(chan struct{})
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(ns), consumer.WithGroupName("billing"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	err = c.Subscribe(*topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "created"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				fmt.Printf("received %s: %s\n", m.MsgId, m.Body)
				if want[m.MsgId] {
					delete(want, m.MsgId)
					if len(want) == 0 {
						close(done)
					}
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil || c.Start() != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(1)
	}
	defer c.Shutdown()
	select {
	case <-done:
		fmt.Println("all 3 messages consumed")
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "timed out waiting for the messages")
		os.Exit(1)
	}
}
