// Harness for the end-to-end tests of rewindmq's RocketMQ remoting facade with
// the official Apache RocketMQ Go client (github.com/apache/rocketmq-client-go/v2).
//
// Every test starts its own rewindmq (REWINDMQ_BINARY) on 127.0.0.1 with
// ephemeral ports and a fresh data dir, creates topics and groups over the DMS
// REST API, and talks to the remoting port with the unmodified client.
package remoting_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

const instanceID = "00000000-0000-4000-8000-000000000001"

func TestMain(m *testing.M) {
	level := os.Getenv("ROCKETMQ_GO_LOG_LEVEL")
	if level == "" {
		level = "error"
	}
	rlog.SetLogLevel(level)
	os.Exit(m.Run())
}

var (
	httpRe      = regexp.MustCompile(`rewindmq listening on (127\.0\.0\.1:\d+)`)
	remotingRe  = regexp.MustCompile(`rewindmq remoting listening on (127\.0\.0\.1:\d+)`)
	clientSeq   int64
	httpClient  = &http.Client{Timeout: 10 * time.Second}
	startupWait = 20 * time.Second
)

// uniqueName returns a client instance name unique in this process (the Go
// client caches its internal client per IP@InstanceName).
func uniqueName(t *testing.T, role string) string {
	n := atomic.AddInt64(&clientSeq, 1)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s-%s-%d-%d", name, role, os.Getpid(), n)
}

// ---------------------------------------------------------------------------
// The server process.

type server struct {
	t        *testing.T
	binary   string
	dataDir  string
	logPath  string
	cmd      *exec.Cmd
	done     chan struct{}
	HTTP     string // 127.0.0.1:port
	Remoting string // 127.0.0.1:port
}

func binaryPath(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("REWINDMQ_BINARY")
	if bin == "" {
		t.Fatal("REWINDMQ_BINARY is not set: run through run.sh --binary PATH or ctest")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("REWINDMQ_BINARY %q: %v", bin, err)
	}
	return bin
}

// startServer starts rewindmq on a fresh data dir with ephemeral ports.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, binary: binaryPath(t), dataDir: t.TempDir()}
	s.start("127.0.0.1:0", "127.0.0.1:0")
	return s
}

var logSeq int64

func (s *server) start(httpListen, remotingListen string) {
	t := s.t
	t.Helper()
	s.logPath = filepath.Join(os.TempDir(), fmt.Sprintf("rewindmq-go-e2e-%d-%d.log", os.Getpid(), atomic.AddInt64(&logSeq, 1)))
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatalf("create server log: %v", err)
	}
	cmd := exec.Command(s.binary,
		"--data-dir", s.dataDir,
		"--listen", httpListen,
		"--remoting-listen", remotingListen,
		"--durability", "always")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.binary, err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	httpCh := make(chan string, 1)
	remCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if m := httpRe.FindStringSubmatch(line); m != nil {
				select {
				case httpCh <- m[1]:
				default:
				}
			}
			if m := remotingRe.FindStringSubmatch(line); m != nil {
				select {
				case remCh <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	logPath := s.logPath
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			dumpLog(t, logPath)
		}
		os.Remove(logPath)
	})

	deadline := time.Now().Add(startupWait)
	s.HTTP, s.Remoting = "", ""
	for s.HTTP == "" || s.Remoting == "" {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			t.Fatalf("rewindmq did not print both listening lines within %v (http=%q remoting=%q)", startupWait, s.HTTP, s.Remoting)
		}
		select {
		case a := <-httpCh:
			s.HTTP = a
		case a := <-remCh:
			s.Remoting = a
		case <-s.done:
			t.Fatalf("rewindmq exited during startup: %v", cmd.ProcessState)
		case <-time.After(remaining):
		}
	}
	for {
		resp, err := httpClient.Get("http://" + s.HTTP + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer 200 within %v (last error %v)", startupWait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("rewindmq pid %d: http %s, remoting %s, data %s", cmd.Process.Pid, s.HTTP, s.Remoting, s.dataDir)
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits up to 15 s, then SIGKILL.
func (s *server) stop() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Errorf("rewindmq did not exit within 15 s of SIGTERM; killing it")
		s.cmd.Process.Kill()
		<-s.done
	}
}

// kill sends SIGKILL (crash) and waits for the process to be gone.
func (s *server) kill() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("rewindmq did not die within 10 s of SIGKILL")
	}
}

// restart starts the binary again on the same data dir and the same ports.
func (s *server) restart() {
	s.t.Helper()
	s.start(s.HTTP, s.Remoting)
}

func dumpLog(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		// Successful HTTP requests (the tests poll REST) are noise here.
		if strings.Contains(l, "http_server.cc") && regexp.MustCompile(` [23]\d\d in=`).MatchString(l) {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	t.Logf("last lines of the rewindmq log %s:\n%s", path, strings.Join(lines, "\n"))
}

// ---------------------------------------------------------------------------
// DMS REST helpers.

// withT returns a view of s that reports REST failures to t (a subtest).
func (s *server) withT(t *testing.T) *server {
	c := *s
	c.t = t
	return &c
}

func (s *server) base() string {
	return "http://" + s.HTTP + "/v2/local/instances/" + instanceID
}

func (s *server) restDo(method, url string, body interface{}) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (s *server) mustREST(method, url string, body interface{}, out interface{}) {
	s.t.Helper()
	code, data, err := s.restDo(method, url, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, url, err)
	}
	if code/100 != 2 {
		s.t.Fatalf("%s %s: HTTP %d: %s", method, url, code, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, url, data, err)
		}
	}
}

func (s *server) createTopic(name string, queues int) {
	s.t.Helper()
	s.mustREST("POST", s.base()+"/topics", map[string]interface{}{"name": name, "queue_num": queues}, nil)
}

func (s *server) createGroup(name string) {
	s.t.Helper()
	s.mustREST("POST", s.base()+"/groups", map[string]interface{}{"name": name}, nil)
}

// resetOffset rewinds the group on the topic to tsMillis over REST and
// returns the new offset per queue id from the answer.
func (s *server) resetOffset(group, topic string, tsMillis int64) map[int]int64 {
	s.t.Helper()
	url := "http://" + s.HTTP + "/v2/reliability/local/instances/" + instanceID + "/groups/" + group + "/reset-message-offset"
	var out struct {
		Queues []struct {
			BrokerName      string `json:"broker_name"`
			QueueID         int    `json:"queue_id"`
			TimestampOffset int64  `json:"timestamp_offset"`
		} `json:"queues"`
	}
	s.mustREST("POST", url, map[string]interface{}{"topic": topic, "timestamp": tsMillis}, &out)
	m := map[int]int64{}
	for _, q := range out.Queues {
		m[q.QueueID] = q.TimestampOffset
	}
	return m
}

type queueStatus struct {
	ID              int   `json:"id"`
	MinOffset       int64 `json:"min_offset"`
	MaxOffset       int64 `json:"max_offset"`
	LastMessageTime int64 `json:"last_message_time"`
}

type topicStatus struct {
	MaxOffset int64 `json:"max_offset"`
	MinOffset int64 `json:"min_offset"`
	Brokers   []struct {
		BrokerName string        `json:"broker_name"`
		Queues     []queueStatus `json:"queues"`
	} `json:"brokers"`
}

func (s *server) topicStatus(topic string) topicStatus {
	s.t.Helper()
	var st topicStatus
	s.mustREST("GET", s.base()+"/topics/"+topic+"/status", nil, &st)
	return st
}

type groupQueue struct {
	ID             int    `json:"id"`
	Lag            int64  `json:"lag"`
	BrokerOffset   int64  `json:"broker_offset"`
	ConsumerOffset int64  `json:"consumer_offset"`
	ClientID       string `json:"client_id"`
}

type groupDetails struct {
	Lag            int64 `json:"lag"`
	MaxOffset      int64 `json:"max_offset"`
	ConsumerOffset int64 `json:"consumer_offset"`
	Brokers        []struct {
		BrokerName string       `json:"broker_name"`
		Queues     []groupQueue `json:"queues"`
	} `json:"brokers"`
}

func (s *server) groupDetails(group, topic string) groupDetails {
	s.t.Helper()
	var d groupDetails
	s.mustREST("GET", s.base()+"/groups/"+group+"/topics?topic="+topic, nil, &d)
	return d
}

// committed returns the committed offset per queue id (single broker).
func (d groupDetails) committed() map[int]int64 {
	m := map[int]int64{}
	for _, b := range d.Brokers {
		for _, q := range b.Queues {
			m[q.ID] = q.ConsumerOffset
		}
	}
	return m
}

// waitLagZero waits until the group's REST lag on the topic is 0 (the Go
// client commits every 5 s).
func (s *server) waitLagZero(group, topic string, timeout time.Duration) groupDetails {
	s.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var d groupDetails
	var trace []string // changes of the committed offsets, for the log
	last := ""
	for {
		d = s.groupDetails(group, topic)
		if c := fmt.Sprint(d.committed()); c != last {
			trace = append(trace, fmt.Sprintf("%v: committed %s", time.Since(start).Round(time.Millisecond), c))
			last = c
		}
		if d.Lag == 0 && d.MaxOffset > 0 {
			s.t.Logf("group %s on %s: lag 0 (max_offset %d) after %v [%s]", group, topic, d.MaxOffset,
				time.Since(start).Round(time.Millisecond), strings.Join(trace, "; "))
			return d
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("group %s on %s: lag still %d after %v (max %d, committed %d): %+v [%s]",
				group, topic, d.Lag, timeout, d.MaxOffset, d.ConsumerOffset, d.Brokers, strings.Join(trace, "; "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type restMessage struct {
	MsgID          string `json:"msg_id"`
	Topic          string `json:"topic"`
	StoreTimestamp int64  `json:"store_timestamp"`
	Body           string `json:"body"`
	PropertyList   []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"property_list"`
	QueueID     int   `json:"queue_id"`
	QueueOffset int64 `json:"queue_offset"`
}

// props returns every value of each property name (a name should occur once).
func (m restMessage) props() map[string][]string {
	out := map[string][]string{}
	for _, p := range m.PropertyList {
		out[p.Name] = append(out[p.Name], p.Value)
	}
	return out
}

// queryMessages lists the topic's messages over the DMS REST API (time mode).
func (s *server) queryMessages(topic string) []restMessage {
	s.t.Helper()
	var all []restMessage
	end := time.Now().Add(time.Minute).UnixMilli()
	for page := 0; page < 100; page++ {
		var out struct {
			Messages []restMessage `json:"messages"`
			Total    int           `json:"total"`
		}
		url := fmt.Sprintf("http://%s/v2/local/rocketmq/instances/%s/messages?topic=%s&start_time=0&end_time=%d&limit=50&offset=%d",
			s.HTTP, instanceID, topic, end, len(all))
		s.mustREST("GET", url, nil, &out)
		all = append(all, out.Messages...)
		if len(out.Messages) == 0 || len(all) >= out.Total {
			break
		}
	}
	return all
}

// ---------------------------------------------------------------------------
// Clients.

func (s *server) resolver() primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{s.Remoting})
}

func shutdownWithin(t *testing.T, what string, f func() error) {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("%s shutdown: %v", what, err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s shutdown did not return within 15 s", what)
	}
}

func (s *server) newProducer(t *testing.T, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := []producer.Option{
		producer.WithNsResolver(s.resolver()),
		producer.WithGroupName("PG_" + fmt.Sprint(atomic.AddInt64(&clientSeq, 1))),
		producer.WithInstanceName(uniqueName(t, "producer")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5 * time.Second),
	}
	all = append(all, opts...)
	p, err := rocketmq.NewProducer(all...)
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("producer Start: %v", err)
	}
	t.Cleanup(func() { shutdownWithin(t, "producer", p.Shutdown) })
	return p
}

// received is one delivered message, as seen by the listener.
type received struct {
	Body        string
	Tag         string
	Keys        string
	Props       map[string]string
	MsgID       string
	OffsetMsgID string
	QueueID     int
	QueueOffset int64
	StoreTime   int64
	Reconsume   int32
	At          time.Time
}

// collector records every delivery of a push consumer.
type collector struct {
	mu     sync.Mutex
	msgs   []received
	notify chan struct{}
	// hook, if set, runs for every message inside the listener.
	hook func(*primitive.MessageExt)
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1)} }

func (c *collector) listener(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	c.mu.Lock()
	for _, m := range msgs {
		props := map[string]string{}
		for k, v := range m.GetProperties() {
			props[k] = v
		}
		c.msgs = append(c.msgs, received{
			Body: string(m.Body), Tag: m.GetTags(), Keys: m.GetKeys(), Props: props,
			MsgID: m.MsgId, OffsetMsgID: m.OffsetMsgId, QueueID: m.Queue.QueueId,
			QueueOffset: m.QueueOffset, StoreTime: m.StoreTimestamp, Reconsume: m.ReconsumeTimes,
			At: time.Now(),
		})
		if c.hook != nil {
			c.hook(m)
		}
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return consumer.ConsumeSuccess, nil
}

func (c *collector) snapshot() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]received, len(c.msgs))
	copy(out, c.msgs)
	return out
}

// waitUntil waits until cond(snapshot) holds or the timeout passes; it
// returns the last snapshot and whether cond held.
func (c *collector) waitUntil(timeout time.Duration, cond func([]received) bool) ([]received, bool) {
	deadline := time.Now().Add(timeout)
	for {
		snap := c.snapshot()
		if cond(snap) {
			return snap, true
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return snap, false
		}
		if remaining > 200*time.Millisecond {
			remaining = 200 * time.Millisecond
		}
		select {
		case <-c.notify:
		case <-time.After(remaining):
		}
	}
}

// waitBodies waits until every body in want was delivered at least once.
func (c *collector) waitBodies(t *testing.T, want []string, timeout time.Duration) []received {
	t.Helper()
	snap, ok := c.waitUntil(timeout, func(r []received) bool { return len(missing(r, want)) == 0 })
	if !ok {
		miss := missing(snap, want)
		t.Fatalf("after %v, %d of %d messages not delivered (received %d deliveries); first missing: %v",
			timeout, len(miss), len(want), len(snap), head(miss, 10))
	}
	return snap
}

// quiet waits d and returns the deliveries made meanwhile (to check nothing
// unexpected arrives).
func (c *collector) settle(d time.Duration) []received {
	time.Sleep(d)
	return c.snapshot()
}

func missing(got []received, want []string) []string {
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Body] = true
	}
	var out []string
	for _, w := range want {
		if !seen[w] {
			out = append(out, w)
		}
	}
	return out
}

func countBodies(got []received) map[string]int {
	m := map[string]int{}
	for _, r := range got {
		m[r.Body]++
	}
	return m
}

func head(s []string, n int) []string {
	if len(s) > n {
		s = s[:n]
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = short(v)
	}
	return out
}

// short abbreviates long bodies in failure messages.
func short(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%s...(%d bytes)", s[:40], len(s))
	}
	return s
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, short(k))
	}
	sort.Strings(out)
	return out
}

type pushOpts struct {
	group    string
	topic    string
	selector consumer.MessageSelector
	orderly  bool
	extra    []consumer.Option
}

func (s *server) newPushConsumer(t *testing.T, o pushOpts, c *collector) rocketmq.PushConsumer {
	t.Helper()
	if o.selector.Expression == "" {
		o.selector = consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}
	}
	all := []consumer.Option{
		consumer.WithNsResolver(s.resolver()),
		consumer.WithGroupName(o.group),
		consumer.WithInstance(uniqueName(t, "consumer")),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}
	if o.orderly {
		all = append(all, consumer.WithConsumerOrder(true))
	}
	all = append(all, o.extra...)
	pc, err := rocketmq.NewPushConsumer(all...)
	if err != nil {
		t.Fatalf("NewPushConsumer: %v", err)
	}
	if err := pc.Subscribe(o.topic, o.selector, c.listener); err != nil {
		t.Fatalf("Subscribe(%s, %q): %v", o.topic, o.selector.Expression, err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("push consumer Start: %v", err)
	}
	t.Cleanup(func() { shutdownWithin(t, "push consumer", pc.Shutdown) })
	return pc
}

// sendOK sends one message synchronously and fails the test unless SEND_OK.
func sendOK(t *testing.T, p rocketmq.Producer, msgs ...*primitive.Message) *primitive.SendResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, msgs...)
	if err != nil {
		t.Fatalf("SendSync: %v", err)
	}
	if res.Status != primitive.SendOK {
		t.Fatalf("SendSync status %v, want SEND_OK: %s", res.Status, res)
	}
	return res
}
