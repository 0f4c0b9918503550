package emulator

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdminEndpointsNeedAToken(t *testing.T) {
	t.Parallel()
	e := startEmulator(t, Options{})
	c := newClient(t, e)
	for _, tc := range []struct{ method, path string }{{"GET", "/_emulator/stats"}, {"POST", "/_emulator/reset"}, {"GET", "/_emulator/unknown"}} {
		doRequest(t, e, "", tc.method, tc.path, nil).mustStatus(t, http.StatusUnauthorized)
		doRequest(t, e, "not-a-token", tc.method, tc.path, nil).mustStatus(t, http.StatusUnauthorized)
	}
	c.do("POST", "accounts", map[string]any{"name": "x"}).mustStatus(t, http.StatusNoContent)
	doRequest(t, e, "", "POST", "/_emulator/reset", nil).mustStatus(t, http.StatusUnauthorized)
	if s := e.Stats(); s.Requests.Total == 0 {
		t.Fatal("a reset without a token zeroed the counters")
	}
	doRequest(t, e, c.token, "GET", "/_emulator/stats", nil).mustStatus(t, http.StatusOK)
}

func TestListensOnLoopbackUnlessToldOtherwise(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		if e, err := Start(Options{Addr: addr}); err == nil {
			_ = e.Close()
			t.Errorf("Start(%q) listened beyond loopback without AllowNonLoopback", addr)
		} else if !strings.Contains(err.Error(), "AllowNonLoopback") {
			t.Errorf("Start(%q): %v, want the way to allow it named", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		if err := checkListenAddr(addr, false); err != nil {
			t.Errorf("checkListenAddr(%q): %v", addr, err)
		}
	}
	if err := checkListenAddr("0.0.0.0:0", true); err != nil {
		t.Errorf("AllowNonLoopback: %v", err)
	}
}

func TestVerboseLogOfAFailedDeliveryNamesNoKey(t *testing.T) {
	t.Parallel()
	// A file, so that reading it while the emulator still logs is no race.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "emulator.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	e := startEmulator(t, Options{Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	logText := func() string {
		b, _ := os.ReadFile(logFile.Name())
		return string(b)
	}
	c := newClient(t, e)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // deliveries to it fail with a connection error, which quotes the URL
	const key, queryValue = "wk-in-the-query-0123", "qs-in-the-query-4567"
	hook := c.createWebhook("key", gone.URL+"/hook?existing=1", 4, key)
	step := c.createStep(stepSpec{name: "key", endpoint: hook, message: "Create", table: "account", mode: 0, stage: 20, rank: 1})
	c.do("POST", "accounts", map[string]any{"name": "x"}).mustStatus(t, http.StatusBadRequest)
	c.do("DELETE", "sdkmessageprocessingsteps("+step+")", nil).mustStatus(t, http.StatusNoContent)
	qs := c.createWebhook("qs", gone.URL+"/hook", 6, `<settings><setting name="token" value="`+queryValue+`" /></settings>`)
	c.createStep(stepSpec{name: "qs", endpoint: qs, message: "Create", table: "account", mode: 0, stage: 20, rank: 1})
	c.do("POST", "accounts", map[string]any{"name": "y"}).mustStatus(t, http.StatusBadRequest)
	if n := strings.Count(logText(), "msg=\"webhook delivery\""); n < 2 {
		t.Fatalf("the log has %d deliveries, want both; the test would prove nothing:\n%s", n, logText())
	}
	if !strings.Contains(logText(), "webhook delivery") || !strings.Contains(logText(), "connect") {
		t.Fatalf("the log has no failed delivery; the test would prove nothing:\n%s", logText())
	}
	for _, secret := range []string{key, queryValue} {
		if strings.Contains(logText(), secret) {
			t.Errorf("the -v log holds %q", secret)
		}
	}
}
