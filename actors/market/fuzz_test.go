package market

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRequest: market requests come from any client; DecodeRequest
// never panics, and what it accepts survives a JSON round trip unchanged.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{`{"verb":"buy","license":"inference-1","expected_price":100000000,"value":120000000}`,
		`{"verb":"status"}`, `{"verb":"assess","value":-1}`, `{"verb":"x","bogus":1}`, `[]`, `{"verb":"buy"} {}`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeRequest(b)
		if err != nil {
			return
		}
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeRequest(enc)
		if err != nil || again != req {
			t.Fatalf("round trip: %+v vs %+v (%v)", req, again, err)
		}
	})
}
