package cluster

import (
	"net"
	"strconv"
	"sync"

	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// Provider is a protoactor-go cluster provider backed by a Membership: the
// protoactor cluster's topology (which members host which kinds, where
// their actor endpoints are) is this member and the members its phi
// detector holds ACTIVE. A member that turns SUSPECT or DEAD leaves the
// topology, so grains it hosted are placed elsewhere; when it comes back
// ACTIVE it rejoins.
//
// The protoactor cluster starts the provider before the membership exists
// (the membership gossips the actor endpoint the cluster's remote opened);
// Attach hands it the membership, and Refresh, called on every member
// transition, republishes the topology.
type Provider struct {
	mu sync.Mutex
	c  *pcluster.Cluster
	m  *Membership
}

var _ pcluster.ClusterProvider = (*Provider)(nil)

// StartMember implements pcluster.ClusterProvider.
func (p *Provider) StartMember(c *pcluster.Cluster) error {
	p.mu.Lock()
	p.c = c
	p.mu.Unlock()
	p.Refresh()
	return nil
}

// StartClient implements pcluster.ClusterProvider.
func (p *Provider) StartClient(c *pcluster.Cluster) error { return p.StartMember(c) }

// Shutdown implements pcluster.ClusterProvider; leaving is the
// membership's (Leave).
func (p *Provider) Shutdown(bool) error { return nil }

// Attach gives the provider the membership and publishes the topology.
func (p *Provider) Attach(m *Membership) {
	p.mu.Lock()
	p.m = m
	p.mu.Unlock()
	p.Refresh()
}

// Refresh publishes the current topology to the protoactor cluster.
func (p *Provider) Refresh() {
	p.mu.Lock()
	c, m := p.c, p.m
	p.mu.Unlock()
	if c == nil || m == nil {
		return
	}
	c.MemberList.UpdateClusterTopology(Topology(m.Members()))
}

// Topology turns members into protoactor cluster members: this one and the
// ACTIVE ones that gossip an actor endpoint and id.
func Topology(members []Member) []*pcluster.Member {
	var out []*pcluster.Member
	for _, mb := range members {
		if !mb.Self && mb.State != Active {
			continue
		}
		host, port, err := net.SplitHostPort(mb.Meta.Remote)
		if err != nil || mb.Meta.ActorID == "" {
			continue
		}
		pn, err := strconv.Atoi(port)
		if err != nil {
			continue
		}
		out = append(out, &pcluster.Member{Id: mb.Meta.ActorID, Host: host, Port: int32(pn), Kinds: append([]string(nil), mb.Meta.Kinds...)})
	}
	return out
}
