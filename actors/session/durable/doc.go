// Package durable adapts store.DAGStore and store.Heads to the session
// package: NodeStore satisfies session.NodeStore (whose methods take the
// named type session.Hash, which the leaf package store cannot name), and
// HeadStore records each session's head and branch tips with typed
// hashes and states, for reloading passivated sessions with
// session.Resume.
package durable
