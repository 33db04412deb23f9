package runtime

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startNATS starts the embedded server (unless cfg.URL is set) and connects.
// The node's own connection to an embedded server is in-process.
func startNATS(cfg NATSConfig, maxPayload int, nodeID string) (*server.Server, *nats.Conn, string, error) {
	opts := []nats.Option{
		nats.Name("bizra-node " + nodeID),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	if cfg.URL != "" {
		nc, err := nats.Connect(cfg.URL, opts...)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w: connect %s: %w", ErrNATS, cfg.URL, err)
		}
		return nil, nc, cfg.URL, nil
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	} else {
		// Fail fast and clearly on a busy port (the server itself would
		// only time out).
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w: embedded server cannot listen: %w", ErrNATS, err)
		}
		_ = ln.Close()
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: nodeID,
		Host:       cfg.Host,
		Port:       port,
		// Room for a TaskCard at the input limit plus its other fields, so
		// an oversize input reaches the node and gets E_TASK_TOO_LARGE.
		MaxPayload: int32(2*maxPayload + 64<<10),
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: embedded server: %w", ErrNATS, err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, nil, "", fmt.Errorf("%w: embedded server did not start on %s:%d (port in use?)", ErrNATS, cfg.Host, cfg.Port)
	}
	nc, err := nats.Connect(ns.ClientURL(), append(opts, nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		return nil, nil, "", fmt.Errorf("%w: connect embedded: %w", ErrNATS, err)
	}
	return ns, nc, ns.ClientURL(), nil
}
