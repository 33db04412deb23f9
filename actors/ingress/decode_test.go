package ingress

import (
	"net/http"
	"testing"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
)

func TestDecodeTaskCard(t *testing.T) {
	good, _ := proto.Marshal(&messages.TaskCard{Id: "x", Input: []byte("hi")})
	card, rej := DecodeTaskCard(good, "echo", 10, "n")
	if rej != nil || card.Capability != "echo" || card.Id != "x" {
		t.Fatalf("got %v %v", card, rej)
	}
	cases := []struct {
		data []byte
		subj string
		code string
	}{
		{[]byte{0x0a, 0xff}, "echo", messages.CodeMalformed},
		{mustMarshal(&messages.TaskCard{Capability: "other"}), "echo", messages.CodeCapabilityMismatch},
		{mustMarshal(&messages.TaskCard{}), "", messages.CodeMissingCapability},
		{mustMarshal(&messages.TaskCard{Input: make([]byte, 11)}), "echo", messages.CodeTooLarge},
	}
	for _, c := range cases {
		card, rej := DecodeTaskCard(c.data, c.subj, 10, "n")
		if card != nil || rej == nil || rej.ErrorCode != c.code || rej.State != messages.TaskState_TASK_STATE_REJECTED || rej.NodeId != "n" {
			t.Errorf("%x: got %v %v", c.data, card, rej)
		}
	}
}

func TestDecodeJSONTaskCard(t *testing.T) {
	card, rej := DecodeJSONTaskCard([]byte(`{"capability":"echo","input":"aGk=","deadline":"2030-01-01T00:00:00Z"}`), 10, "n")
	if rej != nil || string(card.Input) != "hi" || card.Deadline == nil {
		t.Fatalf("got %v %v", card, rej)
	}
	for body, code := range map[string]string{
		`{`:                               messages.CodeMalformed,
		`{"capability":"echo","x":1}`:     messages.CodeMalformed,
		`{"capability":"echo","input":1}`: messages.CodeMalformed,
		`{"input":"aGk="}`:                messages.CodeMissingCapability,
		`{"capability":"e","input":"` + "QUFBQUFBQUFBQUFB" + `"}`: messages.CodeTooLarge,
	} {
		if _, rej := DecodeJSONTaskCard([]byte(body), 10, "n"); rej == nil || rej.ErrorCode != code {
			t.Errorf("%s: got %v", body, rej)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for code, status := range map[string]int{
		messages.CodeMalformed:         http.StatusBadRequest,
		messages.CodeUnknownCapability: http.StatusNotFound,
		messages.CodeTooLarge:          http.StatusRequestEntityTooLarge,
		messages.CodeOverloaded:        http.StatusTooManyRequests,
		messages.CodeDraining:          http.StatusServiceUnavailable,
		messages.CodeDeadlineExceeded:  http.StatusGatewayTimeout,
	} {
		if got := StatusOf(&messages.TaskResult{State: messages.TaskState_TASK_STATE_REJECTED, ErrorCode: code}); got != status {
			t.Errorf("%s: %d", code, got)
		}
	}
	if StatusOf(&messages.TaskResult{State: messages.TaskState_TASK_STATE_COMPLETED}) != 200 {
		t.Fatal("completed")
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
