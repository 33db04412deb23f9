package pool

import "fmt"

// Config sizes the pool.
type Config struct {
	// Slots is the number of requests decoded together; each has a KV
	// cache of SlotContext positions.
	Slots int
	// QueueSize is how many requests may wait for a slot.
	QueueSize int
	// SlotContext is each slot's KV capacity (prompt + generated tokens);
	// it is capped at the model's context length.
	SlotContext int
	// PrefillChunk bounds the prompt tokens one step takes from each
	// joining request, so long prompts do not stall others' decoding.
	PrefillChunk int
}

// DefaultConfig is 8 slots, a queue of 32, 2048 positions per slot.
func DefaultConfig() Config {
	return Config{Slots: 8, QueueSize: 32, SlotContext: 2048, PrefillChunk: 256}
}

// Validate checks the fields.
func (c Config) Validate() error {
	switch {
	case c.Slots <= 0:
		return fmt.Errorf("%w: Slots %d", ErrBadConfig, c.Slots)
	case c.QueueSize < 0:
		return fmt.Errorf("%w: QueueSize %d", ErrBadConfig, c.QueueSize)
	case c.SlotContext < 2:
		return fmt.Errorf("%w: SlotContext %d", ErrBadConfig, c.SlotContext)
	case c.PrefillChunk <= 0:
		return fmt.Errorf("%w: PrefillChunk %d", ErrBadConfig, c.PrefillChunk)
	}
	return nil
}
