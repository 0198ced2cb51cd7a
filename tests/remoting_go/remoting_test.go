package remoting_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// queueByProp sends a message to the queue whose id is in its property "q".
type queueByProp struct{}

func (queueByProp) Select(m *primitive.Message, mqs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	n, _ := strconv.Atoi(m.GetProperty("q"))
	for _, q := range mqs {
		if q.QueueId == n {
			return q
		}
	}
	return mqs[n%len(mqs)]
}

func toQueue(topic string, q int) *primitive.Message {
	m := primitive.NewMessage(topic, nil)
	m.WithProperty("q", strconv.Itoa(q))
	return m
}

// 1. SendSync with tag, keys and user properties; a push consumer gets the
// same bodies, tag, keys, properties, message id, queue and offset.
func TestSendSyncPropertiesPushConsumer(t *testing.T) {
	s := startServer(t)
	s.createTopic("orders", 4)
	s.createGroup("billing")
	p := s.newProducer(t)

	type sent struct {
		body, tag, keys string
		props           map[string]string
		res             *primitive.SendResult
	}
	var all []sent
	var bodies []string
	for i := 0; i < 9; i++ {
		body := fmt.Sprintf("order-%d-%d", i, time.Now().UnixNano())
		if i == 8 {
			// Over the client's 4 KiB threshold: sent zlib-compressed.
			body += "-" + strings.Repeat("0123456789abcdef", 1024)
		}
		m := primitive.NewMessage("orders", []byte(body))
		props := map[string]string{"color": fmt.Sprintf("red-%d", i), "n": strconv.Itoa(i), "unicode": "ünï-çødé"}
		for k, v := range props {
			m.WithProperty(k, v)
		}
		tag := fmt.Sprintf("tag%d", i%3)
		m.WithTag(tag)
		m.WithKeys([]string{fmt.Sprintf("key-%d", i), fmt.Sprintf("order-%d", i)})
		res := sendOK(t, p, m)
		if res.MsgID == "" || res.OffsetMsgID == "" {
			t.Fatalf("send %d: empty MsgID %q or OffsetMsgID %q", i, res.MsgID, res.OffsetMsgID)
		}
		if res.MessageQueue == nil || res.MessageQueue.QueueId < 0 || res.MessageQueue.QueueId >= 4 {
			t.Fatalf("send %d: bad queue in result %v", i, res.MessageQueue)
		}
		all = append(all, sent{body, tag, fmt.Sprintf("key-%d order-%d", i, i), props, res})
		bodies = append(bodies, body)
	}

	c := newCollector()
	s.newPushConsumer(t, pushOpts{group: "billing", topic: "orders"}, c)
	c.waitBodies(t, bodies, 30*time.Second)
	got := c.settle(2 * time.Second)

	counts := countBodies(got)
	byBody := map[string]received{}
	for _, r := range got {
		byBody[r.Body] = r
	}
	if len(counts) != len(all) {
		t.Errorf("received %d distinct bodies, sent %d: %v", len(counts), len(all), sortedKeys(counts))
	}
	for _, m := range all {
		if counts[m.body] != 1 {
			t.Errorf("%s delivered %d times, want 1", short(m.body), counts[m.body])
		}
		r := byBody[m.body]
		if r.Tag != m.tag {
			t.Errorf("%s: tag %q, want %q", short(m.body), r.Tag, m.tag)
		}
		if r.Keys != m.keys {
			t.Errorf("%s: keys %q, want %q", short(m.body), r.Keys, m.keys)
		}
		for k, v := range m.props {
			if r.Props[k] != v {
				t.Errorf("%s: property %s = %q, want %q (all: %v)", short(m.body), k, r.Props[k], v, r.Props)
			}
		}
		if r.MsgID != m.res.MsgID {
			t.Errorf("%s: MsgId %q, SendResult.MsgID %q", short(m.body), r.MsgID, m.res.MsgID)
		}
		if r.OffsetMsgID != m.res.OffsetMsgID {
			t.Errorf("%s: OffsetMsgId %q, SendResult.OffsetMsgID %q", short(m.body), r.OffsetMsgID, m.res.OffsetMsgID)
		}
		if r.QueueID != m.res.MessageQueue.QueueId || r.QueueOffset != m.res.QueueOffset {
			t.Errorf("%s: delivered from queue %d offset %d, sent to queue %d offset %d",
				short(m.body), r.QueueID, r.QueueOffset, m.res.MessageQueue.QueueId, m.res.QueueOffset)
		}
		if r.StoreTime <= 0 {
			t.Errorf("%s: store timestamp %d", short(m.body), r.StoreTime)
		}
	}
	// The DMS REST query sees the same messages (spec §8.2 #1).
	t.Run("RESTQueryMessages", func(t *testing.T) {
		rest := map[string]restMessage{}
		for _, m := range s.withT(t).queryMessages("orders") {
			rest[m.Body] = m
		}
		for _, m := range all {
			rm, ok := rest[m.body]
			if !ok {
				t.Errorf("REST QueryMessages does not list %s", short(m.body))
				continue
			}
			p := rm.props()
			want := map[string]string{"TAGS": m.tag, "KEYS": m.keys, "UNIQ_KEY": m.res.MsgID}
			for k, v := range m.props {
				want[k] = v
			}
			for k, v := range want {
				if len(p[k]) != 1 || p[k][0] != v {
					t.Errorf("REST %s: property %s = %q, want once %q", short(m.body), k, p[k], v)
				}
			}
			if rm.QueueID != m.res.MessageQueue.QueueId || rm.QueueOffset != m.res.QueueOffset {
				t.Errorf("REST %s: queue %d offset %d, send result queue %d offset %d", short(m.body),
					rm.QueueID, rm.QueueOffset, m.res.MessageQueue.QueueId, m.res.QueueOffset)
			}
			if r := byBody[m.body]; rm.StoreTimestamp != r.StoreTime {
				t.Errorf("REST %s: store_timestamp %d, consumer saw %d", short(m.body), rm.StoreTimestamp, r.StoreTime)
			}
		}
		if len(rest) != len(all) {
			t.Errorf("REST QueryMessages lists %d messages, sent %d", len(rest), len(all))
		}
	})
	// The consumer's commits (UPDATE_CONSUMER_OFFSET every 5 s) reach the store.
	d := s.waitLagZero("billing", "orders", 20*time.Second)
	if d.MaxOffset != int64(len(all)) {
		t.Errorf("REST max_offset %d, sent %d", d.MaxOffset, len(all))
	}
}

// 2. SendAsync and SendOneWay: every message arrives.
func TestSendAsyncAndOneWay(t *testing.T) {
	s := startServer(t)
	s.createTopic("events", 4)
	s.createGroup("ev-consumers")
	p := s.newProducer(t)

	const n = 20
	var bodies []string
	type asyncRes struct {
		body string
		res  *primitive.SendResult
		err  error
	}
	results := make(chan asyncRes, n)
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("async-%d", i)
		bodies = append(bodies, body)
		b := body
		err := p.SendAsync(context.Background(), func(ctx context.Context, r *primitive.SendResult, err error) {
			results <- asyncRes{b, r, err}
		}, primitive.NewMessage("events", []byte(body)))
		if err != nil {
			t.Fatalf("SendAsync %d: %v", i, err)
		}
	}
	deadline := time.After(20 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case r := <-results:
			if r.err != nil {
				t.Fatalf("async send of %s: %v", r.body, r.err)
			}
			if r.res.Status != primitive.SendOK {
				t.Fatalf("async send of %s: status %v", r.body, r.res.Status)
			}
		case <-deadline:
			t.Fatalf("only %d of %d async callbacks within 20 s", i, n)
		}
	}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("oneway-%d", i)
		bodies = append(bodies, body)
		if err := p.SendOneWay(context.Background(), primitive.NewMessage("events", []byte(body))); err != nil {
			t.Fatalf("SendOneWay %d: %v", i, err)
		}
	}

	c := newCollector()
	s.newPushConsumer(t, pushOpts{group: "ev-consumers", topic: "events"}, c)
	c.waitBodies(t, bodies, 30*time.Second)
	got := c.settle(1 * time.Second)
	counts := countBodies(got)
	if len(counts) != 2*n {
		t.Errorf("distinct bodies %d, want %d: %v", len(counts), 2*n, sortedKeys(counts))
	}
	st := s.topicStatus("events")
	if st.MaxOffset != 2*n {
		t.Errorf("REST topic max_offset %d, want %d", st.MaxOffset, 2*n)
	}
}

// 3. Batch SendSync of 10 messages: one queue, consecutive offsets, all consumed.
func TestBatchSend(t *testing.T) {
	s := startServer(t)
	s.createTopic("batch", 4)
	s.createGroup("batch-consumers")
	p := s.newProducer(t)

	// A first single message so the batch does not start at offset 0 everywhere.
	first := sendOK(t, p, primitive.NewMessage("batch", []byte("single-before")))

	var msgs []*primitive.Message
	var bodies []string
	for i := 0; i < 10; i++ {
		body := fmt.Sprintf("batch-%02d", i)
		bodies = append(bodies, body)
		m := primitive.NewMessage("batch", []byte(body))
		m.WithTag("batched")
		m.WithKeys([]string{fmt.Sprintf("bk-%d", i)})
		msgs = append(msgs, m)
	}
	res := sendOK(t, p, msgs...)
	t.Logf("batch result: queue %v offset %d msgId %q offsetMsgId %q; single before: queue %d offset %d",
		res.MessageQueue, res.QueueOffset, res.MsgID, res.OffsetMsgID, first.MessageQueue.QueueId, first.QueueOffset)
	if ids := strings.Split(res.OffsetMsgID, ","); len(ids) != 10 {
		t.Errorf("batch OffsetMsgID has %d ids, want 10: %q", len(ids), res.OffsetMsgID)
	}

	c := newCollector()
	s.newPushConsumer(t, pushOpts{group: "batch-consumers", topic: "batch"}, c)
	c.waitBodies(t, append([]string{"single-before"}, bodies...), 30*time.Second)
	got := c.settle(1 * time.Second)
	counts := countBodies(got)
	byBody := map[string]received{}
	for _, r := range got {
		byBody[r.Body] = r
	}
	for i, b := range bodies {
		r := byBody[b]
		if counts[b] != 1 {
			t.Errorf("%s delivered %d times", b, counts[b])
		}
		if r.QueueID != res.MessageQueue.QueueId {
			t.Errorf("%s: queue %d, batch sent to queue %d", b, r.QueueID, res.MessageQueue.QueueId)
		}
		if want := res.QueueOffset + int64(i); r.QueueOffset != want {
			t.Errorf("%s: offset %d, want %d (first offset %d + %d)", b, r.QueueOffset, want, res.QueueOffset, i)
		}
		if r.Tag != "batched" || r.Keys != fmt.Sprintf("bk-%d", i) {
			t.Errorf("%s: tag %q keys %q", b, r.Tag, r.Keys)
		}
	}
	if counts["single-before"] != 1 {
		t.Errorf("single-before delivered %d times", counts["single-before"])
	}
	if st := s.topicStatus("batch"); st.MaxOffset != 11 {
		t.Errorf("REST topic max_offset %d, want 11", st.MaxOffset)
	}
}

// 4. Tag filter "tagA || tagB".
func TestTagFilter(t *testing.T) {
	s := startServer(t)
	s.createTopic("tagged", 4)
	s.createGroup("tag-consumers")
	p := s.newProducer(t)

	var want []string
	tags := []string{"tagA", "tagB", "tagC", "", "tagAB", "taga"}
	for i := 0; i < 36; i++ {
		tag := tags[i%len(tags)]
		body := fmt.Sprintf("m-%02d-%s", i, tag)
		m := primitive.NewMessage("tagged", []byte(body))
		if tag != "" {
			m.WithTag(tag)
		}
		sendOK(t, p, m)
		if tag == "tagA" || tag == "tagB" {
			want = append(want, body)
		}
	}
	// The last messages are unmatched ones, so the committed offsets must move
	// past records the broker filtered out.
	for i := 0; i < 8; i++ {
		m := primitive.NewMessage("tagged", []byte(fmt.Sprintf("tail-%d-tagC", i)))
		m.WithTag("tagC")
		sendOK(t, p, m)
	}

	c := newCollector()
	s.newPushConsumer(t, pushOpts{group: "tag-consumers", topic: "tagged",
		selector: consumer.MessageSelector{Type: consumer.TAG, Expression: "tagA || tagB"}}, c)
	c.waitBodies(t, want, 30*time.Second)
	got := c.settle(2 * time.Second)
	counts := countBodies(got)
	for b, n := range counts {
		if !strings.HasSuffix(b, "-tagA") && !strings.HasSuffix(b, "-tagB") {
			t.Errorf("delivered %s (%d times), which the filter excludes", b, n)
		} else if n != 1 {
			t.Errorf("%s delivered %d times", b, n)
		}
	}
	for _, r := range got {
		if r.Tag != "tagA" && r.Tag != "tagB" {
			t.Errorf("delivered tag %q (%s)", r.Tag, r.Body)
		}
	}
	// The tail of unmatched records is committed once the client gets
	// NO_NEW_MSG for its long poll (20 s) and persists (5 s).
	s.waitLagZero("tag-consumers", "tagged", 45*time.Second)
}

// 5. Orderly push consumer with a queue selector: per-queue order preserved.
func TestOrderlyConsumer(t *testing.T) {
	s := startServer(t)
	s.createTopic("fifo", 4)
	s.createGroup("fifo-consumers")
	p := s.newProducer(t, producer.WithQueueSelector(queueByProp{}))

	const keys, perKey = 4, 25
	var bodies []string
	sentOffset := map[string]int64{}
	for i := 0; i < perKey; i++ {
		for k := 0; k < keys; k++ {
			body := fmt.Sprintf("k%d-%03d", k, i)
			m := toQueue("fifo", k)
			m.Body = []byte(body)
			m.WithShardingKey(fmt.Sprintf("k%d", k))
			res := sendOK(t, p, m)
			if res.MessageQueue.QueueId != k {
				t.Fatalf("%s went to queue %d, selector chose %d", body, res.MessageQueue.QueueId, k)
			}
			sentOffset[body] = res.QueueOffset
			bodies = append(bodies, body)
		}
	}

	var mu sync.Mutex
	inFlight := map[int]int{}
	var overlap []string
	c := newCollector()
	c.hook = func(m *primitive.MessageExt) {
		// Orderly: never two listener calls for one queue at the same time.
		mu.Lock()
		inFlight[m.Queue.QueueId]++
		if inFlight[m.Queue.QueueId] > 1 {
			overlap = append(overlap, string(m.Body))
		}
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inFlight[m.Queue.QueueId]--
		mu.Unlock()
	}
	s.newPushConsumer(t, pushOpts{group: "fifo-consumers", topic: "fifo", orderly: true}, c)
	c.waitBodies(t, bodies, 40*time.Second)
	got := c.settle(2 * time.Second)

	last := map[int]int{}
	for k := 0; k < keys; k++ {
		last[k] = -1
	}
	for _, r := range got {
		var k, i int
		if _, err := fmt.Sscanf(r.Body, "k%d-%d", &k, &i); err != nil {
			t.Fatalf("unexpected body %q", r.Body)
		}
		if r.QueueID != k {
			t.Errorf("%s delivered from queue %d, sent to %d", r.Body, r.QueueID, k)
		}
		if r.QueueOffset != sentOffset[r.Body] {
			t.Errorf("%s: offset %d, send result %d", r.Body, r.QueueOffset, sentOffset[r.Body])
		}
		if i != last[k]+1 {
			t.Errorf("queue %d: got %s after #%d (order broken or duplicate)", k, r.Body, last[k])
		}
		last[k] = i
	}
	if len(got) != keys*perKey {
		t.Errorf("%d deliveries, want %d", len(got), keys*perKey)
	}
	if len(overlap) > 0 {
		t.Errorf("listener ran concurrently on one queue for %v", head(overlap, 5))
	}
	s.waitLagZero("fifo-consumers", "fifo", 25*time.Second)
}

// 6. REST reset while a push consumer runs: batch 2 (stored at or after T)
// is delivered again, batch 1 is not.
func TestRESTResetMidConsumption(t *testing.T) {
	s := startServer(t)
	s.createTopic("orders", 2)
	s.createGroup("billing")
	p := s.newProducer(t)
	c := newCollector()
	s.newPushConsumer(t, pushOpts{group: "billing", topic: "orders"}, c)

	send := func(prefix string, n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			b := fmt.Sprintf("%s-%02d", prefix, i)
			sendOK(t, p, primitive.NewMessage("orders", []byte(b)))
			out = append(out, b)
		}
		return out
	}
	batch1 := send("b1", 10)
	c.waitBodies(t, batch1, 30*time.Second)
	time.Sleep(30 * time.Millisecond)
	T := time.Now().UnixMilli()
	time.Sleep(30 * time.Millisecond)
	batch2 := send("b2", 10)
	c.waitBodies(t, batch2, 30*time.Second)
	s.waitLagZero("billing", "orders", 20*time.Second)
	before := c.snapshot()
	first := map[string]received{}
	for _, r := range before {
		if _, ok := first[r.Body]; !ok {
			first[r.Body] = r
		}
	}
	// Expected: exactly the messages whose store time is >= T.
	expected := map[string]bool{}
	wantOffset := map[int]int64{}
	maxOffset := map[int]int64{}
	for b, r := range first {
		if r.QueueOffset+1 > maxOffset[r.QueueID] {
			maxOffset[r.QueueID] = r.QueueOffset + 1
		}
		if r.StoreTime >= T {
			expected[b] = true
		}
	}
	for q, mx := range maxOffset {
		wantOffset[q] = mx
	}
	for _, r := range first {
		if r.StoreTime >= T && r.QueueOffset < wantOffset[r.QueueID] {
			wantOffset[r.QueueID] = r.QueueOffset
		}
	}
	for _, b := range batch1 {
		if expected[b] {
			t.Errorf("batch 1 message %s has store time %d >= T %d (sent before T)", b, first[b].StoreTime, T)
		}
	}
	for _, b := range batch2 {
		if !expected[b] {
			t.Errorf("batch 2 message %s has store time %d < T %d (sent after T)", b, first[b].StoreTime, T)
		}
	}

	for q, off := range s.resetOffset("billing", "orders", T) {
		if w, ok := wantOffset[q]; ok && off != w {
			t.Errorf("reset to %d answered offset %d for queue %d, want %d", T, off, q, w)
		}
	}
	d := s.groupDetails("billing", "orders")
	for q, off := range d.committed() {
		if w, ok := wantOffset[q]; ok && off != w {
			t.Errorf("after reset to %d, REST consumer_offset of queue %d is %d, want %d", T, q, off, w)
		}
	}
	mark := len(before)
	_, ok := c.waitUntil(60*time.Second, func(r []received) bool {
		again := countBodies(r[mark:])
		for b := range expected {
			if again[b] == 0 {
				return false
			}
		}
		return true
	})
	after := c.settle(3 * time.Second)[mark:]
	again := countBodies(after)
	if !ok {
		var miss []string
		for b := range expected {
			if again[b] == 0 {
				miss = append(miss, b)
			}
		}
		sort.Strings(miss)
		t.Fatalf("within 60 s of the reset, %d of %d messages stored at or after T were not delivered again: %v (redelivered: %v)",
			len(miss), len(expected), miss, sortedKeys(again))
	}
	for b, n := range again {
		if !expected[b] {
			t.Errorf("after the reset, %s (store time %d < T %d) was delivered %d times", b, first[b].StoreTime, T, n)
		}
	}
	for _, r := range after {
		if r.StoreTime < T {
			t.Errorf("after the reset: %s with store time %d < T %d", r.Body, r.StoreTime, T)
		}
	}
	s.waitLagZero("billing", "orders", 25*time.Second)
}

// 7. Pull-style consumption with the Go pull consumer: PullFrom explicit
// offsets, QUERY_CONSUMER_OFFSET after a REST reset, Poll/ACK and commit.
// The pinned client has no public SearchOffset; its only use of
// SEARCH_OFFSET_BY_TIMESTAMP (ConsumeFromTimestamp) is shadowed by the
// young-queue rule of QUERY_CONSUMER_OFFSET, so the time lookup is checked
// through the REST reset instead.
func TestPullConsumer(t *testing.T) {
	s := startServer(t)
	s.createTopic("pulled", 2)
	s.createGroup("browser")
	s.createGroup("puller")
	p := s.newProducer(t, producer.WithQueueSelector(queueByProp{}))

	type sent struct {
		body   string
		q      int
		offset int64
	}
	var batch1, batch2 []sent
	send := func(prefix string, n int) []sent {
		var out []sent
		for i := 0; i < n; i++ {
			q := i % 2
			m := toQueue("pulled", q)
			m.Body = []byte(fmt.Sprintf("%s-%02d", prefix, i))
			m.WithTag(prefix)
			res := sendOK(t, p, m)
			out = append(out, sent{string(m.Body), res.MessageQueue.QueueId, res.QueueOffset})
		}
		return out
	}
	batch1 = send("p1", 6)
	time.Sleep(30 * time.Millisecond)
	T := time.Now().UnixMilli()
	time.Sleep(30 * time.Millisecond)
	batch2 = send("p2", 6)

	brokerName := ""
	st := s.topicStatus("pulled")
	if len(st.Brokers) > 0 {
		brokerName = st.Brokers[0].BrokerName
	}

	newPull := func(group string) rocketmq.PullConsumer {
		pc, err := rocketmq.NewPullConsumer(
			consumer.WithNsResolver(s.resolver()),
			consumer.WithGroupName(group),
			consumer.WithInstance(uniqueName(t, "pull")),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		)
		if err != nil {
			t.Fatalf("NewPullConsumer: %v", err)
		}
		if err := pc.Subscribe("pulled", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if err := pc.Start(); err != nil {
			t.Fatalf("pull consumer Start: %v", err)
		}
		t.Cleanup(func() { shutdownWithin(t, "pull consumer", pc.Shutdown) })
		return pc
	}

	// PullFrom explicit offsets (group "browser").
	browser := newPull("browser")
	all := append(append([]sent{}, batch1...), batch2...)
	for q := 0; q < 2; q++ {
		var inQ []sent
		for _, m := range all {
			if m.q == q {
				inQ = append(inQ, m)
			}
		}
		sort.Slice(inQ, func(i, j int) bool { return inQ[i].offset < inQ[j].offset })
		mq := &primitive.MessageQueue{Topic: "pulled", BrokerName: brokerName, QueueId: q}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := browser.PullFrom(ctx, mq, 0, 32)
		cancel()
		if err != nil {
			t.Fatalf("PullFrom(queue %d, 0): %v", q, err)
		}
		if res.Status != primitive.PullFound {
			t.Fatalf("PullFrom(queue %d, 0): status %v, want FOUND", q, res.Status)
		}
		msgs := res.GetMessageExts()
		if len(msgs) != len(inQ) {
			t.Fatalf("PullFrom(queue %d, 0): %d messages, want %d", q, len(msgs), len(inQ))
		}
		for i, m := range msgs {
			if string(m.Body) != inQ[i].body || m.QueueOffset != inQ[i].offset {
				t.Errorf("queue %d #%d: %q at %d, want %q at %d", q, i, m.Body, m.QueueOffset, inQ[i].body, inQ[i].offset)
			}
		}
		wantMax := inQ[len(inQ)-1].offset + 1
		if res.NextBeginOffset != wantMax || res.MaxOffset != wantMax || res.MinOffset != 0 {
			t.Errorf("queue %d: next %d min %d max %d, want next=max=%d min=0", q, res.NextBeginOffset, res.MinOffset, res.MaxOffset, wantMax)
		}
		// One message from the middle.
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		res, err = browser.PullFrom(ctx, mq, 1, 1)
		cancel()
		if err != nil || res.Status != primitive.PullFound || len(res.GetMessageExts()) != 1 {
			t.Fatalf("PullFrom(queue %d, 1, 1): err %v status %v", q, err, res)
		}
		if m := res.GetMessageExts()[0]; m.QueueOffset != 1 || string(m.Body) != inQ[1].body || res.NextBeginOffset != 2 {
			t.Errorf("PullFrom(queue %d, 1, 1): %q at %d next %d, want %q at 1 next 2", q, m.Body, m.QueueOffset, res.NextBeginOffset, inQ[1].body)
		}
	}
	shutdownWithin(t, "pull consumer browser", browser.Shutdown)

	// REST reset of "puller" to T, then the pull consumer reads the committed
	// offsets (QUERY_CONSUMER_OFFSET): first message of batch 2 on each queue.
	resetTo := s.resetOffset("puller", "pulled", T)
	wantStart := map[int]int64{}
	for _, m := range batch2 {
		if w, ok := wantStart[m.q]; !ok || m.offset < w {
			wantStart[m.q] = m.offset
		}
	}
	for q, off := range resetTo {
		if off != wantStart[q] {
			t.Errorf("reset to T answered offset %d for queue %d, want %d", off, q, wantStart[q])
		}
	}
	for q, off := range s.groupDetails("puller", "pulled").committed() {
		if off != wantStart[q] {
			t.Errorf("REST consumer_offset after reset, queue %d: %d, want %d", q, off, wantStart[q])
		}
	}
	puller := newPull("puller")
	for q := 0; q < 2; q++ {
		off, err := puller.CurrentOffset(&primitive.MessageQueue{Topic: "pulled", BrokerName: brokerName, QueueId: q})
		if err != nil {
			t.Fatalf("CurrentOffset(%d): %v", q, err)
		}
		if off != wantStart[q] {
			t.Errorf("CurrentOffset(queue %d) after REST reset to T: %d, want %d", q, off, wantStart[q])
		}
	}

	// Poll/ACK from there: exactly batch 2, then commit.
	got := map[string]int{}
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < len(batch2) && time.Now().Before(deadline) {
		cr, err := puller.Poll(context.Background(), 2*time.Second)
		if consumer.IsNoNewMsgError(err) {
			continue
		}
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		for _, m := range cr.GetMsgList() {
			got[string(m.Body)]++
		}
		puller.ACK(context.Background(), cr, consumer.ConsumeSuccess)
	}
	t.Logf("REST reset to T answered %v; Poll returned %v", resetTo, got)
	for _, m := range batch2 {
		if got[m.body] == 0 {
			t.Errorf("Poll never returned %s", m.body)
		}
	}
	for _, m := range batch1 {
		if got[m.body] != 0 {
			t.Errorf("Poll returned %s, stored before the reset time", m.body)
		}
	}
	if err := puller.PersistOffset(context.Background(), "pulled"); err != nil {
		t.Errorf("PersistOffset: %v", err)
	}
	s.waitLagZero("puller", "pulled", 15*time.Second)
}

// 8. kill -9 and restart on the same data dir and ports while a push consumer
// runs: no acknowledged message is lost, commits survive, consumption goes on.
func TestCrashRestart(t *testing.T) {
	s := startServer(t)
	s.createTopic("crash", 4)
	s.createGroup("crash-consumers")
	p := s.newProducer(t)
	c := newCollector()
	pc1 := s.newPushConsumer(t, pushOpts{group: "crash-consumers", topic: "crash"}, c)

	var phaseA []string
	for i := 0; i < 20; i++ {
		b := fmt.Sprintf("A-%02d", i)
		sendOK(t, p, primitive.NewMessage("crash", []byte(b)))
		phaseA = append(phaseA, b)
	}
	c.waitBodies(t, phaseA, 30*time.Second)
	committedA := s.waitLagZero("crash-consumers", "crash", 20*time.Second).committed()
	t.Logf("committed before the crash: %v", committedA)

	// Sender running across the crash; keeps what was acknowledged SEND_OK.
	var mu sync.Mutex
	var acked []string
	var failed int
	stop := make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := fmt.Sprintf("B-%04d", i)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			res, err := p.SendSync(ctx, primitive.NewMessage("crash", []byte(b)))
			cancel()
			mu.Lock()
			if err == nil && res.Status == primitive.SendOK {
				acked = append(acked, b)
			} else {
				failed++
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	s.kill()
	mu.Lock()
	ackedAtKill := len(acked)
	mu.Unlock()
	t.Logf("killed rewindmq with SIGKILL after %d acknowledged sends", ackedAtKill)
	time.Sleep(500 * time.Millisecond)
	s.restart()

	// Committed offsets survived the crash (durability always).
	after := s.groupDetails("crash-consumers", "crash").committed()
	for q, off := range committedA {
		if after[q] < off {
			t.Errorf("queue %d: committed offset %d after restart, %d before the crash", q, after[q], off)
		}
	}
	// Every acknowledged message is stored.
	st := s.topicStatus("crash")
	if st.MaxOffset < int64(len(phaseA)+ackedAtKill) {
		t.Errorf("after restart max_offset %d < %d acknowledged before the kill", st.MaxOffset, len(phaseA)+ackedAtKill)
	}

	// Let the sender run a little against the restarted broker, then stop.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= ackedAtKill+30 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	select {
	case <-senderDone:
	case <-time.After(10 * time.Second):
		t.Fatalf("sender did not stop")
	}
	mu.Lock()
	ackedAll := append([]string{}, acked...)
	failedN := failed
	mu.Unlock()
	t.Logf("acknowledged %d sends (%d after the kill), %d failed", len(ackedAll), len(ackedAll)-ackedAtKill, failedN)
	if len(ackedAll) < ackedAtKill+30 {
		t.Errorf("the producer got only %d acknowledgements from the restarted broker in 20 s", len(ackedAll)-ackedAtKill)
	}

	mark := len(c.snapshot())
	got := c.waitBodies(t, ackedAll, 90*time.Second)
	_ = got
	counts := countBodies(c.settle(1 * time.Second))
	for _, b := range phaseA {
		if counts[b] != 1 {
			t.Errorf("%s (committed before the crash) delivered %d times", b, counts[b])
		}
	}
	_ = mark
	d := s.waitLagZero("crash-consumers", "crash", 30*time.Second)
	t.Logf("after restart: max_offset %d, committed %d", d.MaxOffset, d.ConsumerOffset)

	// A new consumer of the group starts from the committed offsets
	// (QUERY_CONSUMER_OFFSET on the restarted broker): only new messages.
	shutdownWithin(t, "first push consumer", pc1.Shutdown)
	c2 := newCollector()
	s.newPushConsumer(t, pushOpts{group: "crash-consumers", topic: "crash"}, c2)
	var phaseC []string
	for i := 0; i < 8; i++ {
		b := fmt.Sprintf("C-%02d", i)
		sendOK(t, p, primitive.NewMessage("crash", []byte(b)))
		phaseC = append(phaseC, b)
	}
	c2.waitBodies(t, phaseC, 30*time.Second)
	for b, n := range countBodies(c2.settle(2 * time.Second)) {
		if !strings.HasPrefix(b, "C-") {
			t.Errorf("the new consumer got %s (%d times), consumed and committed before", b, n)
		} else if n != 1 {
			t.Errorf("the new consumer got %s %d times", b, n)
		}
	}
}

// Sending to a topic that was never created fails cleanly (no hang), and the
// producer still works for an existing topic (spec §2.4, §8.2 #13).
func TestUnknownTopicSend(t *testing.T) {
	s := startServer(t)
	s.createTopic("known", 1)
	p := s.newProducer(t, producer.WithRetry(0))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	res, err := p.SendSync(ctx, primitive.NewMessage("never-created", []byte("x")))
	if err == nil {
		t.Fatalf("send to an unknown topic succeeded: %v", res)
	}
	if ctx.Err() != nil {
		t.Fatalf("send to an unknown topic took until the deadline: %v", err)
	}
	t.Logf("unknown topic: %v after %v", err, time.Since(start).Round(time.Millisecond))
	sendOK(t, p, primitive.NewMessage("known", []byte("still works")))
	if st := s.topicStatus("known"); st.MaxOffset != 1 {
		t.Errorf("known topic max_offset %d, want 1", st.MaxOffset)
	}
	if code, body, err := s.restDo("GET", s.base()+"/topics/never-created", nil); err != nil || code/100 == 2 {
		t.Errorf("the failed send created the topic: HTTP %d %s %v", code, body, err)
	}
}
