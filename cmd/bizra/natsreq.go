package main

import (
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
)

// natsRequest sends req on subject to the node at url and decodes its
// answer into resp; every failure is a CLI failure (exit 1) naming what
// went wrong.
func natsRequest(url, subject string, req, resp proto.Message, timeout time.Duration) error {
	nc, err := nats.Connect(url, nats.Name("bizra-cli"), nats.Timeout(5*time.Second))
	if err != nil {
		return failure("connect %s: %v", url, err)
	}
	defer nc.Close()
	data, err := proto.Marshal(req)
	if err != nil {
		return failure("encode: %v", err)
	}
	msg, err := nc.Request(subject, data, timeout)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return failure("no node answers on %s", url)
	case err != nil:
		return failure("request: %v", err)
	}
	if err := proto.Unmarshal(msg.Data, resp); err != nil {
		return failure("node answered with a malformed %s: %v", resp.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// httpBase turns a node's HTTP address as given on the command line
// ("host:port" or a URL) into a base URL without a trailing slash.
func httpBase(addr string) string {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return strings.TrimSuffix(addr, "/")
}
