package remoting_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The README's Go example runs as written against a fresh server.
func TestQuickstartExample(t *testing.T) {
	s := startServer(t)
	s.createTopic("orders", 4)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.CommandContext(ctx, goBin, "run", "./examples/quickstart", "-nameserver", s.Remoting)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("example failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "all 3 messages consumed") || strings.Count(string(out), "received ") < 3 {
		t.Fatalf("example did not consume its messages:\n%s", out)
	}
}
