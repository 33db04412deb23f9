package gguf

import (
	"testing"
)

// FuzzParse checks that arbitrary input never panics and that whatever
// parses is internally consistent: every tensor's data lies inside the input
// and decodes without error.
func FuzzParse(f *testing.F) {
	f.Add(validFile(f))
	f.Add(header(0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		for i := range file.Tensors {
			tt := &file.Tensors[i]
			if len(tt.Data) != tt.Size() {
				t.Fatalf("tensor %q has %d bytes, want %d", tt.Name, len(tt.Data), tt.Size())
			}
			if tt.NumElements() <= 1<<16 {
				if _, err := tt.Float32s(); err != nil {
					t.Fatalf("decode %q: %v", tt.Name, err)
				}
			}
		}
		_ = file.Info()
	})
}
