package peer

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/cluster"
	"github.com/bizra/bizra/messages"
)

// ShowAcross asks every member that is not DEAD (not this node) for its
// records of a session, at once, each within timeout, and returns the answers that hold
// records, in member-id order. A task's records live in the stores of the
// node that was asked and of the member that ran it; a member that is down
// is not asked (its records come back with it).
func ShowAcross(system *actor.ActorSystem, members []cluster.Member, id string, timeout time.Duration) []*messages.SessionRecords {
	out := make([]*messages.SessionRecords, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		if m.Self || m.State == cluster.Dead || m.Meta.Remote == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := actor.NewPID(m.Meta.Remote, "bizra/"+ActorName)
			v, err := system.Root.RequestFuture(pid, &messages.SessionShowRequest{SessionId: id, LocalOnly: true}, timeout).Result()
			if recs, ok := v.(*messages.SessionRecords); err == nil && ok && len(recs.GetRecords()) > 0 {
				out[i] = recs
			}
		}()
	}
	wg.Wait()
	var found []*messages.SessionRecords
	for _, r := range out {
		if r != nil {
			found = append(found, r)
		}
	}
	return found
}
