package durable

import (
	"log/slog"
	"sync"
	"time"
)

// Checkpointer signs a checkpoint of a HeadLog every interval (when the
// log grew) and once more when stopped. It owns one goroutine; Stop waits
// for it and is safe to call more than once.
type Checkpointer struct {
	log      *HeadLog
	interval time.Duration
	logger   *slog.Logger

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartCheckpointer starts signing checkpoints of l.
func StartCheckpointer(l *HeadLog, interval time.Duration, logger *slog.Logger) *Checkpointer {
	c := &Checkpointer{log: l, interval: interval, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *Checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			c.sign()
			return
		case <-t.C:
			c.sign()
		}
	}
}

func (c *Checkpointer) sign() {
	if _, err := c.log.Checkpoint(time.Now()); err != nil {
		c.logger.Error("session-head log checkpoint", "error", err)
	}
}

// Stop signs a last checkpoint and stops.
func (c *Checkpointer) Stop() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
