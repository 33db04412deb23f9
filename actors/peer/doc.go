// Package peer carries TaskCards between cluster members.
//
// A Forwarder is the Dispatcher's router.Remote: a card whose capability
// no local agent serves goes to an ACTIVE member that gossips the
// capability (the one with the fewest cards in flight from this node, ties
// broken in turn), as a messages.PeerTask to the actor "bizra/peer" on the
// member's protoactor remote endpoint. The member's Server runs the card
// through its own governed pipeline (gate, records, NTU) and answers a
// messages.PeerResult: the TaskResult in a PCI envelope signed by its
// node key. The Forwarder accepts the result only when that envelope
// verifies and its signer is the key the member gossips and the local
// trust policy allows: membership alone grants no trust.
//
// Failures: a card that cannot be delivered (dead letter) goes to another
// member. When a member dies (MemberDown, from the membership's DEAD
// transition) with cards in flight, an idempotent card is retried once on
// another member; a non-idempotent one ends FAILED with E_MEMBER_LOST and a
// reason that says it was not retried. A SUSPECT member gets no new cards
// but keeps the ones it holds: if it comes back (SIGCONT), they complete.
// A forwarded card carries hops 1 and is never forwarded again.
//
// Wiring (runtime): start protoactor remote on the node's --remote address,
// spawn Server as "peer" under the root, pass the Forwarder as
// DispatcherConfig.Remote, and call Forwarder.MemberDown on every
// transition to DEAD.
package peer
