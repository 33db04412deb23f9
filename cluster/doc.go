// Package cluster is a node's view of its cluster: which members exist,
// what state each is in, and how sure the node is that a silent member
// has failed.
//
// # Failure detection
//
// PhiDetector is the phi-accrual failure detector (Hayashibara et al.,
// 2004) over one member's heartbeat arrival times. It keeps the last
// Config.Window inter-arrival intervals and, at time now, computes
//
//	phi(now) = -log10(P(an interval is longer than now - last))
//
// where the intervals are taken as normally distributed with the window's
// mean plus Config.AcceptablePause and its standard deviation (at least
// Config.MinStdDev). The normal tail is computed with the logistic
// approximation used by Akka and Cassandra
//
//	y = (t - mean) / sd,  e = exp(-y (1.5976 + 0.070566 y²)),
//	P = e / (1 + e)   when t > mean,   P = 1 - 1/(1 + e)   otherwise,
//
// which stays finite and monotone far into the tail. phi 1 means a 10 %
// chance the member is merely slow, phi 8 a 10⁻⁸ chance. A member with no
// samples yet has phi 0.
//
// # Member states
//
// Members is a pure core (every method takes now, none starts a goroutine
// or does I/O) for the states of seed §4.7:
//
//	JOINING  seen (a gossip join) but no heartbeat yet
//	ACTIVE   heartbeats arrive; phi < SuspectPhi
//	SUSPECT  phi ≥ SuspectPhi, or gossip declared it dead: routed no new work
//	DEAD     phi ≥ DeadPhi, or the member left (Reason "left")
//
// Heartbeat moves JOINING and SUSPECT members to ACTIVE; Tick moves ACTIVE
// members to SUSPECT and SUSPECT members to DEAD as their phi grows; Leave
// makes a member DEAD at once with reason "left" (a graceful leave, told
// apart from a failure); a DEAD member that joins again starts over at
// JOINING with a fresh detector. Every change is returned as a Transition
// for the caller to publish (event stream, metrics, `bizra members`).
package cluster
