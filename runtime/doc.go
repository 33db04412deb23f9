// Package runtime assembles a BIZRA node: configuration, the embedded NATS
// server, the actor system and its tree, ingress, metrics and shutdown.
//
// A node is a tree of actors under one root supervisor:
//
//	bizra                 root supervisor (one-for-one)
//	├── router            routing table owner (capability → agents)
//	├── agents            agents supervisor (one-for-one, exponential backoff)
//	│   ├── echo-1        one actor per configured agent
//	│   └── external-…    one proxy per external agent joined over NATS
//	├── ntu               NTU supervisor: one monitor per agent
//	└── ingress           owns the NATS subscriptions and the HTTP server
//
// Use:
//
//	cfg := runtime.DefaultConfig()
//	cfg.DataDir = dir
//	n, err := runtime.Start(cfg, logger)
//	...
//	n.Stop() // drains in-flight tasks for cfg.DrainTimeout, then stops
//
// Nothing else imports this package except cmd/.
package runtime
