// The DMS for RocketMQ facade driven by the official Huawei Cloud Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, services/rocketmq/v2).
//
// Each top-level test starts the real rewindmq binary (REWINDMQ_BINARY) on
// 127.0.0.1 with port 0 and a temporary data directory: TestOpenMode without
// --dms-credentials (any AK/SK is accepted), TestSignedMode with one AK/SK
// pair (requests must carry its SDK-HMAC-SHA256 signature). In each mode:
//
//   - the vendor's reset-message-offset sample (examples/) runs as a separate
//     program and moves group_01 on topic_01 back to its 2022 timestamp, that
//     is to the first message of every queue;
//   - a round trip: a topic of four queues and a group are created, two
//     batches of messages are sent with a pause between them, the group is
//     reset to a time inside the pause, and the reset answer and the
//     per-queue consumer offsets are checked against the send answers: every
//     queue must stand at the offset of its first message of the second batch;
//   - signed mode only: a client with a wrong secret key is refused with
//     401 APIGW.0301 and changes nothing; open mode accepts that same client.
package dms_sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	rocketmq "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2/model"
)

// rewindmq's default instance (broker/facades/dms/README.md); any project id.
const (
	instanceID = "00000000-0000-4000-8000-000000000001"
	projectID  = "0123456789abcdef0123456789abcdef"
	testAK     = "REWINDMQTESTAK000001"
	testSK     = "rewindmq-test-secret-key-0000000000000001"
	// The pause between the two batches is twice this; the reset time sits in
	// its middle, so every store time is at least this far from it.
	halfPause = 500 * time.Millisecond
)

var (
	startupLine = regexp.MustCompile(`(?m)^rewindmq listening on 127\.0\.0\.1:(\d+), data in (.*)$`)
	requestID   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	msgID       = regexp.MustCompile(`^[0-9A-F]{32}$`)
	// The sample, built once by TestMain.
	samplePath  string
	startupWait = 30 * time.Second
	stopWait    = 30 * time.Second
)

func TestMain(m *testing.M) {
	if os.Getenv("RMQ_SANITIZED") != "" {
		startupWait, stopWait = 90*time.Second, 60*time.Second
	}
	dir, err := os.MkdirTemp("", "rewindmq-dms-sdk-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	samplePath = filepath.Join(dir, "reset_consume_offset")
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	build := exec.Command(goBin, "build", "-o", samplePath, "./examples/reset_consume_offset")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the sample failed: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// The server process.

type server struct {
	cmd      *exec.Cmd
	done     chan struct{}
	dataDir  string
	endpoint string
}

// logBuffer collects what the process writes while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts rewindmq with `credentials` ("" = open mode) and stops
// it when the test ends, failing the test unless it exits with code 0.
func startServer(t *testing.T, credentials string) *server {
	t.Helper()
	binary := os.Getenv("REWINDMQ_BINARY")
	if st, err := os.Stat(binary); binary == "" || err != nil || st.IsDir() {
		t.Fatalf("REWINDMQ_BINARY must name the rewindmq binary (got %q); ctest sets it for dms_sdk_go_e2e", binary)
	}
	s := &server{dataDir: t.TempDir(), done: make(chan struct{})}
	out, errOut := &logBuffer{}, &logBuffer{}
	s.cmd = exec.Command(binary, "--listen", "127.0.0.1:0", "--remoting-listen", "127.0.0.1:0",
		"--data-dir", s.dataDir, "--worker-threads", "4", "--dms-credentials="+credentials)
	s.cmd.Stdout, s.cmd.Stderr = out, errOut
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	logs := func() string { return "stdout:\n" + out.String() + "\nstderr:\n" + errOut.String() }
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(stopWait):
				s.cmd.Process.Kill()
				<-s.done
				t.Errorf("rewindmq still running %v after SIGTERM\n%s", stopWait, logs())
				return
			}
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("rewindmq exited with %d\n%s", code, logs())
		}
	})

	deadline := time.Now().Add(startupWait)
	port := ""
	for {
		select {
		case <-s.done:
			t.Fatalf("rewindmq exited with %d\n%s", s.cmd.ProcessState.ExitCode(), logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("rewindmq not ready within %v\n%s", startupWait, logs())
		}
		if port == "" {
			if m := startupLine.FindStringSubmatch(out.String()); m != nil {
				if m[2] != s.dataDir {
					t.Fatalf("startup line names %s, not %s", m[2], s.dataDir)
				}
				port = m[1]
			}
		}
		if port != "" {
			c := http.Client{Timeout: 2 * time.Second}
			if r, err := c.Get("http://127.0.0.1:" + port + "/healthz"); err == nil {
				r.Body.Close()
				if r.StatusCode == http.StatusOK {
					break
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.endpoint = "http://127.0.0.1:" + port
	return s
}

// ---------------------------------------------------------------------------
// SDK helpers.

// newClient points the SDK at `endpoint` with the documented endpoint override.
func newClient(t *testing.T, endpoint, ak, sk string) *rocketmq.RocketMQClient {
	t.Helper()
	auth, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := rocketmq.RocketMQClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(auth).SafeBuild()
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return rocketmq.NewRocketMQClient(hc)
}

type queue struct {
	broker string
	id     int32
}

func (q queue) String() string { return fmt.Sprintf("%s/%d", q.broker, q.id) }

type sent struct {
	queue
	offset int64
}

func (s sent) String() string { return fmt.Sprintf("%v@%d", s.queue, s.offset) }

// sortedQueues lists the queues that `sends` reached, by broker then id.
func sortedQueues(sends []sent) []queue {
	seen := map[queue]bool{}
	var out []queue
	for _, s := range sends {
		if !seen[s.queue] {
			seen[s.queue] = true
			out = append(out, s.queue)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].broker != out[j].broker {
			return out[i].broker < out[j].broker
		}
		return out[i].id < out[j].id
	})
	return out
}

// firstOffsets maps each queue of `sends` to its smallest offset.
func firstOffsets(sends []sent) map[queue]int64 {
	out := map[queue]int64{}
	for _, s := range sends {
		if o, ok := out[s.queue]; !ok || s.offset < o {
			out[s.queue] = s.offset
		}
	}
	return out
}

// maxOffsets maps each queue of `sends` to its next offset.
func maxOffsets(sends []sent) map[queue]int64 {
	out := map[queue]int64{}
	for _, s := range sends {
		if s.offset+1 > out[s.queue] {
			out[s.queue] = s.offset + 1
		}
	}
	return out
}

type rig struct {
	t      *testing.T
	server *server
	client *rocketmq.RocketMQClient
}

func (r rig) createTopic(name string, queues int) {
	r.t.Helper()
	res, err := r.client.CreateTopicOrBatchDeleteTopic(&model.CreateTopicOrBatchDeleteTopicRequest{
		InstanceId: instanceID,
		Body:       &model.CreateTopicOrBatchDeleteTopicReq{Name: &name, QueueNum: float32(queues)},
	})
	if err != nil {
		r.t.Fatalf("create topic %s: %v", name, err)
	}
	if res.Id == nil || *res.Id != name {
		r.t.Fatalf("create topic %s answered %v", name, res)
	}
}

func (r rig) createGroup(name string) {
	r.t.Helper()
	res, err := r.client.CreateConsumerGroupOrBatchDeleteConsumerGroup(
		&model.CreateConsumerGroupOrBatchDeleteConsumerGroupRequest{
			InstanceId: instanceID,
			Body:       &model.CreateConsumerGroupOrBatchDeleteConsumerGroupReq{Name: &name},
		})
	if err != nil {
		r.t.Fatalf("create group %s: %v", name, err)
	}
	if res.Name == nil || *res.Name != name {
		r.t.Fatalf("create group %s answered %v", name, res)
	}
}

// send sends `count` messages to `topic` and returns where each landed.
func (r rig) send(topic string, count int, label string) []sent {
	r.t.Helper()
	var out []sent
	for i := 0; i < count; i++ {
		body := fmt.Sprintf("%s message %d", label, i)
		name, key := "KEYS", fmt.Sprintf("%s-%d", label, i)
		props := []model.SendMessageProperties{{Name: &name, Value: &key}}
		res, err := r.client.SendMessage(&model.SendMessageRequest{
			Engine:     "reliability",
			InstanceId: instanceID,
			Body:       &model.SendMessageRep{Topic: &topic, Body: &body, PropertyList: &props},
		})
		if err != nil {
			r.t.Fatalf("send to %s: %v", topic, err)
		}
		if res.Topic == nil || *res.Topic != topic || res.Body == nil || *res.Body != body ||
			res.MsgId == nil || !msgID.MatchString(*res.MsgId) || res.BrokerName == nil {
			r.t.Fatalf("send to %s answered %v", topic, res)
		}
		out = append(out, sent{queue{*res.BrokerName, int32(res.QueueId)}, int64(res.QueueOffset)})
	}
	return out
}

type position struct {
	queue
	offset int64
}

func (p position) String() string { return fmt.Sprintf("%v@%d", p.queue, p.offset) }

// reset resets `group` on `topic` to `timestamp` (epoch ms, or -1) and
// returns the answer's queues in order.
func (r rig) reset(client *rocketmq.RocketMQClient, group, topic string, timestamp int64) ([]position, error) {
	res, err := client.ResetConsumeOffset(&model.ResetConsumeOffsetRequest{
		Engine:     model.GetResetConsumeOffsetRequestEngineEnum().RELIABILITY,
		InstanceId: instanceID,
		GroupId:    group,
		Body:       &model.ResetConsumeOffsetReq{Topic: topic, Timestamp: fmt.Sprint(timestamp)},
	})
	if err != nil {
		return nil, err
	}
	var out []position
	if res.Queues != nil {
		for _, q := range *res.Queues {
			if q.BrokerName == nil || q.QueueId == nil || q.TimestampOffset == nil {
				r.t.Fatalf("reset answered a queue with missing fields: %v", res)
			}
			out = append(out, position{queue{*q.BrokerName, *q.QueueId}, *q.TimestampOffset})
		}
	}
	return out, nil
}

func (r rig) mustReset(group, topic string, timestamp int64) []position {
	r.t.Helper()
	out, err := r.reset(r.client, group, topic, timestamp)
	if err != nil {
		r.t.Fatalf("reset %s on %s to %d: %v", group, topic, timestamp, err)
	}
	return out
}

type queueOffsets struct{ brokerOffset, consumerOffset, lag int64 }

// assertGroupAt checks the group's consumption details on `topic`: every
// queue at `expected`, broker offsets and lags as `sends` imply, and totals.
func (r rig) assertGroupAt(group, topic string, sends []sent, expected map[queue]int64) {
	r.t.Helper()
	res, err := r.client.ShowConsumerListOrDetails(&model.ShowConsumerListOrDetailsRequest{
		InstanceId: instanceID, Group: group, Topic: &topic,
	})
	if err != nil {
		r.t.Fatalf("consumption details of %s on %s: %v", group, topic, err)
	}
	got := map[queue]queueOffsets{}
	if res.Brokers != nil {
		for _, b := range *res.Brokers {
			for _, q := range *b.Queues {
				got[queue{*b.BrokerName, *q.Id}] = queueOffsets{*q.BrokerOffset, *q.ConsumerOffset, *q.Lag}
			}
		}
	}
	max := maxOffsets(sends)
	want := map[queue]queueOffsets{}
	var total queueOffsets
	for q, o := range expected {
		want[q] = queueOffsets{max[q], o, max[q] - o}
		total.brokerOffset += max[q]
		total.consumerOffset += o
		total.lag += max[q] - o
	}
	if !reflect.DeepEqual(got, want) {
		r.t.Fatalf("%s on %s: (broker_offset, consumer_offset, lag) per queue\n got %v\nwant %v", group, topic, got, want)
	}
	gotTotal := queueOffsets{*res.MaxOffset, *res.ConsumerOffset, *res.Lag}
	if gotTotal != total {
		r.t.Fatalf("%s on %s: totals (max_offset, consumer_offset, lag) %v, want %v", group, topic, gotTotal, total)
	}
}

// ---------------------------------------------------------------------------
// The checks, run in both modes.

// The vendor sample, run as its own program, resets group_01 on topic_01
// to 2022, before every message: every queue goes back to its first one.
func vendorSampleResetsGroupToFirstMessageOfEveryQueue(r rig) {
	r.createTopic("topic_01", 3)
	r.createGroup("group_01")
	sends := r.send("topic_01", 6, "sample")
	queues := sortedQueues(sends)
	if len(queues) != 3 {
		r.t.Fatalf("round robin reaches every queue: %v", sends)
	}
	// Start from the end of every queue, so that the sample visibly moves it.
	max := maxOffsets(sends)
	var latest []position
	for _, q := range queues {
		latest = append(latest, position{q, max[q]})
	}
	if got := r.mustReset("group_01", "topic_01", -1); !reflect.DeepEqual(got, latest) {
		r.t.Fatalf("reset to -1: got %v, want %v", got, latest)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, samplePath)
	cmd.Env = append(os.Environ(), "CLOUD_SDK_AK="+testAK, "CLOUD_SDK_SK="+testSK,
		"REWINDMQ_ENDPOINT="+r.server.endpoint)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("sample failed: %v\n%s", err, out)
	}
	// It prints the response, "ResetConsumeOffsetResponse {json}", or the error.
	text := strings.TrimSpace(string(out))
	const prefix = "ResetConsumeOffsetResponse "
	var printed struct {
		Queues []struct {
			BrokerName      string `json:"broker_name"`
			QueueID         int32  `json:"queue_id"`
			TimestampOffset int64  `json:"timestamp_offset"`
		} `json:"queues"`
	}
	if !strings.HasPrefix(text, prefix) || json.Unmarshal([]byte(text[len(prefix):]), &printed) != nil {
		r.t.Fatalf("sample did not print a ResetConsumeOffsetResponse:\n%s", out)
	}
	first := firstOffsets(sends)
	var got, want []position
	for _, q := range printed.Queues {
		got = append(got, position{queue{q.BrokerName, q.QueueID}, q.TimestampOffset})
	}
	for _, q := range queues {
		want = append(want, position{q, first[q]})
	}
	if !reflect.DeepEqual(got, want) {
		r.t.Fatalf("sample's reset answer: got %v, want %v\n%s", got, want, out)
	}
	r.assertGroupAt("group_01", "topic_01", sends, first)
}

// Two batches with a pause between them; a reset to the middle of the pause
// puts every queue on its first message of the second batch.
func resetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch(r rig) {
	r.createTopic("orders", 4)
	r.createGroup("billing")
	batch1 := r.send("orders", 6, "batch-1")
	time.Sleep(halfPause)
	between := time.Now().UnixMilli()
	time.Sleep(halfPause)
	batch2 := r.send("orders", 5, "batch-2")

	all := append(append([]sent{}, batch1...), batch2...)
	queues := sortedQueues(all)
	if len(queues) != 4 {
		r.t.Fatalf("round robin reaches every queue: %v", all)
	}
	expected := firstOffsets(batch2)
	if len(expected) != len(queues) {
		r.t.Fatalf("every queue gets a message of batch 2: %v", batch2)
	}
	// A group that never consumed stands at 0; the reset must move it past
	// batch 1, which reached every queue.
	zero := map[queue]int64{}
	for _, q := range queues {
		zero[q] = 0
		if expected[q] == 0 {
			r.t.Fatalf("batch 1 reaches every queue: %v", batch1)
		}
	}
	r.assertGroupAt("billing", "orders", all, zero)

	var want []position
	for _, q := range queues {
		want = append(want, position{q, expected[q]})
	}
	if got := r.mustReset("billing", "orders", between); !reflect.DeepEqual(got, want) {
		r.t.Fatalf("reset to %d (between the batches): got %v, want %v", between, got, want)
	}
	r.assertGroupAt("billing", "orders", all, expected)
}

func TestOpenMode(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t, s.endpoint, testAK, testSK)
	t.Run("VendorSampleResetsGroupToFirstMessageOfEveryQueue", func(t *testing.T) {
		vendorSampleResetsGroupToFirstMessageOfEveryQueue(rig{t, s, client})
	})
	t.Run("ResetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch", func(t *testing.T) {
		resetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch(rig{t, s, client})
	})
	t.Run("AnyKeyIsAccepted", func(t *testing.T) {
		other := newClient(t, s.endpoint, "SOMEOTHERAK000000000", "not-the-secret-key")
		res, err := other.ShowInstance(&model.ShowInstanceRequest{InstanceId: instanceID})
		if err != nil || res.InstanceId == nil || *res.InstanceId != instanceID {
			t.Fatalf("show instance with another key: %v %v", res, err)
		}
	})
}

func TestSignedMode(t *testing.T) {
	s := startServer(t, testAK+":"+testSK)
	client := newClient(t, s.endpoint, testAK, testSK)
	t.Run("VendorSampleResetsGroupToFirstMessageOfEveryQueue", func(t *testing.T) {
		vendorSampleResetsGroupToFirstMessageOfEveryQueue(rig{t, s, client})
	})
	t.Run("ResetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch", func(t *testing.T) {
		resetBetweenTwoBatchesLandsOnFirstMessageOfSecondBatch(rig{t, s, client})
	})
	t.Run("WrongSecretKeyIsRefusedWithAPIGW0301AndChangesNothing", func(t *testing.T) {
		r := rig{t, s, client}
		r.createTopic("refused_topic", 2)
		r.createGroup("refused_group")
		sends := r.send("refused_topic", 4, "refused")
		earliest := map[queue]int64{}
		for _, q := range sortedQueues(sends) {
			earliest[q] = 0
		}
		if len(earliest) != 2 {
			t.Fatalf("round robin reaches both queues: %v", sends)
		}
		r.mustReset("refused_group", "refused_topic", 0)

		wrong := newClient(t, s.endpoint, testAK, testSK+"x")
		_, err := r.reset(wrong, "refused_group", "refused_topic", -1)
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) {
			t.Fatalf("reset with a wrong SK: want *sdkerr.ServiceResponseError, got %T %v", err, err)
		}
		if se.StatusCode != 401 || se.ErrorCode != "APIGW.0301" ||
			!strings.HasPrefix(se.ErrorMessage, "Incorrect IAM authentication information") ||
			!requestID.MatchString(se.RequestId) {
			t.Fatalf("reset with a wrong SK: want 401 APIGW.0301 with a request id, got %+v", se)
		}
		r.assertGroupAt("refused_group", "refused_topic", sends, earliest)
	})
}
