package inference

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOpenAIClient(t *testing.T) {
	ok, f := startFake(t, "ok", "fake-1")
	nodone, _ := startFake(t, "nodone", "fake-1")
	garbage, _ := startFake(t, "garbage", "")
	hang, _ := startFake(t, "hang", "")
	ctx := context.Background()
	cli := func(url string, timeout time.Duration) *OpenAI {
		o, err := NewOpenAI(OpenAIConfig{Name: "x", URL: url + "/v1/", APIKey: "k1", Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = o.Close() })
		return o
	}
	o := cli(ok.URL, time.Second)
	ms, err := o.Models(ctx)
	if err != nil || len(ms) != 1 || ms[0].ID != "fake-1" || ms[0].OwnedBy != "fake" {
		t.Fatalf("models %v %v", ms, err)
	}
	if k := <-f.gotKey; k != "Bearer k1" {
		t.Fatalf("authorization %q", k)
	}
	req := ChatRequest{Model: "fake-1", Messages: []Message{{Role: "user", Content: "a b c"}}, MaxTokens: 5}
	out, err := o.Chat(ctx, req)
	if err != nil || out.Text != "echo: a b c" || out.PromptTokens != 3 || out.FinishReason != "stop" {
		t.Fatalf("chat %+v %v", out, err)
	}
	var pieces []string
	out, err = o.ChatStream(ctx, req, func(s string) error { pieces = append(pieces, s); return nil })
	if err != nil || out.Text != "echo: a b c" || len(pieces) != 4 {
		t.Fatalf("stream %+v %v %q", out, err, pieces)
	}
	stopErr := errors.New("reader gone")
	if _, err := o.ChatStream(ctx, req, func(string) error { return stopErr }); !errors.Is(err, stopErr) {
		t.Fatalf("callback error: %v", err)
	}
	cout, err := o.CompleteStream(ctx, CompletionRequest{Model: "fake-1", Prompt: "p q", MaxTokens: 3}, func(string) error { return nil })
	if err != nil || cout.Text != "echo: p q" {
		t.Fatalf("completion stream %+v %v", cout, err)
	}
	if err := o.Health(ctx); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		run  func() error
		want error
		msg  string
	}{
		{"stream without [DONE]", func() error {
			_, err := cli(nodone.URL, time.Second).ChatStream(ctx, req, func(string) error { return nil })
			return err
		}, ErrBackendBadResponse, "without [DONE]"},
		{"garbage", func() error { _, err := cli(garbage.URL, time.Second).Chat(ctx, req); return err }, ErrBackendBadResponse, "not an OpenAI response"},
		{"garbage stream", func() error {
			_, err := cli(garbage.URL, time.Second).ChatStream(ctx, req, func(string) error { return nil })
			return err
		}, ErrBackendBadResponse, "text/event-stream"},
		{"garbage models", func() error { _, err := cli(garbage.URL, time.Second).Models(ctx); return err }, ErrBackendBadResponse, "/models"},
		{"hang", func() error { _, err := cli(hang.URL, 100*time.Millisecond).Chat(ctx, req); return err }, ErrBackendTimeout, "no answer within 100ms"},
		{"hang stream", func() error {
			_, err := cli(hang.URL, 100*time.Millisecond).ChatStream(ctx, req, func(string) error { return nil })
			return err
		}, ErrBackendTimeout, "no answer within"},
		{"refused", func() error { _, err := cli("http://127.0.0.1:1", time.Second).Chat(ctx, req); return err }, ErrBackendUnavailable, "x:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("%v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	// The caller's own cancellation is reported as such, not as a timeout.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := cli(hang.URL, time.Minute).Chat(cctx, req); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestReadSSE(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"data: a\n\ndata: b\n\ndata: [DONE]\n\n", []string{"a", "b"}, false},
		{": ping\nevent: x\ndata: a\ndata: b\n\ndata:[DONE]\n", []string{"a\nb"}, false},
		{"data: a\n\n", []string{"a"}, true},
		{"data: a\r\n\r\ndata: [DONE]\r\n\r\n", []string{"a"}, false},
	} {
		var got []string
		err := readSSE(strings.NewReader(tc.in), func(d []byte) error { got = append(got, string(d)); return nil })
		if (err != nil) != tc.err || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
}
