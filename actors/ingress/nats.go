package ingress

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
)

// NATS subjects.
const (
	SubjectTaskPrefix = "bizra.task."
	SubjectTask       = "bizra.task"
	SubjectAgentList  = "bizra.agent.list"
	SubjectRegister   = "bizra.agent.register"
	SubjectHeartbeat  = "bizra.agent.heartbeat"
	SubjectDeregister = "bizra.agent.deregister"
	SubjectSession    = "bizra.session.show"
	// SubjectSessionClose takes a SessionClose and answers a SessionHead.
	SubjectSessionClose = "bizra.session.close"
	// QueueTask is the queue group of task subjects: with several nodes on
	// one NATS, each TaskCard goes to one of them.
	QueueTask = "bizra-task"
)

// Config configures ingress.
type Config struct {
	NodeID string
	// MaxPayload is the largest TaskCard input accepted, in bytes.
	MaxPayload int
	// MaxConcurrent bounds the NATS requests handled at once.
	MaxConcurrent int
	Dispatcher    *router.Dispatcher
	Routes        *router.Routes
	System        *actor.ActorSystem
	// Router receives registrations and heartbeats of external agents.
	Router *actor.PID
	// Governance opens enveloped cards and signs results (nil: bare
	// protobuf only).
	Governance *Governance
	// ShowSession answers bizra.session.show (nil: not served).
	ShowSession func(id string) *messages.SessionRecords
	// CloseSession answers bizra.session.close (nil: not served).
	CloseSession func(id string) *messages.SessionHead
	Logger       *slog.Logger
}

// NATS serves the node's subjects on a NATS connection.
type NATS struct {
	cfg  Config
	nc   *nats.Conn
	sem  chan struct{}
	mu   sync.Mutex
	subs []*nats.Subscription
	wg   sync.WaitGroup // requests in flight
	// loops are the goroutines reading the task subscriptions.
	loops sync.WaitGroup
	done  bool
}

// MaxBatch is the most task messages ingress takes off a subscription at
// once; their envelopes' signatures are checked in one batch.
const MaxBatch = 64

// NewNATS returns the NATS ingress for nc.
func NewNATS(cfg Config, nc *nats.Conn) *NATS {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 4096
	}
	return &NATS{cfg: cfg, nc: nc, sem: make(chan struct{}, cfg.MaxConcurrent)}
}

// Start subscribes to the node's subjects.
func (n *NATS) Start() error {
	if n.nc == nil {
		return ErrNoConn
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.subs != nil || n.done {
		return ErrAlreadyStarted
	}
	type sub struct {
		subject, queue string
		h              nats.MsgHandler
	}
	for _, subject := range []string{SubjectTaskPrefix + "*", SubjectTask} {
		ns, err := n.nc.QueueSubscribeSync(subject, QueueTask)
		if err != nil {
			n.unsubscribe()
			return fmt.Errorf("ingress: subscribe %s: %w", subject, err)
		}
		// Task subjects may burst; let the slow-consumer bound be generous.
		_ = ns.SetPendingLimits(1<<20, 1<<30)
		n.subs = append(n.subs, ns)
		n.loops.Add(1)
		go n.taskLoop(ns)
	}
	for _, s := range []sub{
		{SubjectAgentList, "", n.onAgentList},
		{SubjectRegister, "", n.onRegister},
		{SubjectHeartbeat, "", n.onHeartbeat},
		{SubjectDeregister, "", n.onDeregister},
		{SubjectSession, "", n.onSessionShow},
		{SubjectSessionClose, "", n.onSessionClose},
	} {
		var (
			ns  *nats.Subscription
			err error
		)
		if s.queue != "" {
			ns, err = n.nc.QueueSubscribe(s.subject, s.queue, s.h)
		} else {
			ns, err = n.nc.Subscribe(s.subject, s.h)
		}
		if err != nil {
			n.unsubscribe()
			return fmt.Errorf("ingress: subscribe %s: %w", s.subject, err)
		}
		// Task subjects may burst; let the slow-consumer bound be generous.
		_ = ns.SetPendingLimits(1<<20, 1<<30)
		n.subs = append(n.subs, ns)
	}
	return n.nc.Flush()
}

// Stop unsubscribes and waits for requests in flight; safe to call twice.
func (n *NATS) Stop() {
	n.mu.Lock()
	n.done = true
	n.unsubscribe()
	n.mu.Unlock()
	n.loops.Wait()
	n.wg.Wait()
}

// taskLoop takes task messages off sub, up to MaxBatch at a time when
// several are waiting, until sub is closed.
func (n *NATS) taskLoop(sub *nats.Subscription) {
	defer n.loops.Done()
	batch := make([]*nats.Msg, 0, MaxBatch)
	for {
		m, err := sub.NextMsg(time.Minute)
		if errors.Is(err, nats.ErrTimeout) {
			continue
		}
		if err != nil {
			return // unsubscribed or connection closed
		}
		batch = append(batch[:0], m)
		for len(batch) < MaxBatch {
			if k, _, _ := sub.Pending(); k == 0 {
				break
			}
			m, err := sub.NextMsg(time.Millisecond)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		n.onTasks(batch)
	}
}

// onTasks handles a batch of task messages: enveloped cards are opened
// together (one batch signature check), then each is handled in order.
func (n *NATS) onTasks(batch []*nats.Msg) {
	gov := n.cfg.Governance
	var (
		data  [][]byte
		caps  []string
		which []int
	)
	for i, m := range batch {
		if gov != nil && m.Header.Get(HeaderEnvelope) != "" && m.Reply != "" {
			data, caps, which = append(data, m.Data), append(caps, subjectCapability(m.Subject)), append(which, i)
		}
	}
	opened := map[int]int{}
	var (
		cards   []*messages.TaskCard
		rejects []*messages.TaskResult
	)
	if len(data) > 0 {
		cards, rejects = gov.OpenCards(data, caps, n.cfg.MaxPayload, n.cfg.NodeID, time.Now())
		for j, i := range which {
			opened[i] = j
		}
	}
	for i, m := range batch {
		if j, ok := opened[i]; ok {
			n.handleTask(m, true, cards[j], rejects[j])
			continue
		}
		n.onTask(m)
	}
}

func subjectCapability(subject string) string {
	if subject == SubjectTask {
		return ""
	}
	return strings.TrimPrefix(subject, SubjectTaskPrefix)
}

func (n *NATS) unsubscribe() {
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
	n.subs = nil
}

// onTask handles one task message.
func (n *NATS) onTask(m *nats.Msg) {
	if m.Reply == "" {
		n.cfg.Logger.Debug("task without reply subject dropped", "subject", m.Subject)
		return
	}
	capability := subjectCapability(m.Subject)
	gov := n.cfg.Governance
	enveloped := gov != nil && m.Header.Get(HeaderEnvelope) != ""
	var (
		card   *messages.TaskCard
		reject *messages.TaskResult
	)
	switch {
	case enveloped:
		card, reject = gov.OpenCard(m.Data, capability, n.cfg.MaxPayload, n.cfg.NodeID, time.Now())
	case gov != nil && gov.RequireEnvelope:
		reject = gov.RejectUnsigned(n.cfg.NodeID)
	default:
		card, reject = DecodeTaskCard(m.Data, capability, n.cfg.MaxPayload, n.cfg.NodeID)
	}
	n.handleTask(m, enveloped, card, reject)
}

// handleTask answers a refused card, or dispatches an accepted one and
// answers when its result arrives (sealed when the request was enveloped).
func (n *NATS) handleTask(m *nats.Msg, enveloped bool, card *messages.TaskCard, reject *messages.TaskResult) {
	reply := func(card *messages.TaskCard, res *messages.TaskResult) {
		if enveloped {
			n.respondSealed(m, card, res)
			return
		}
		n.respond(m, res)
	}
	if reject != nil {
		reply(nil, reject)
		return
	}
	select {
	case n.sem <- struct{}{}:
	default:
		reply(card, router.Reject(card, n.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeOverloaded,
			fmt.Sprintf("overloaded: %d requests in progress", n.cfg.MaxConcurrent)))
		return
	}
	n.mu.Lock()
	if n.done {
		n.mu.Unlock()
		<-n.sem
		reply(card, router.Reject(card, n.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeDraining, "node is stopping"))
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	// Nothing waits while the agent works: the reply is sent when the
	// result arrives.
	n.cfg.Dispatcher.DispatchAsync(card, func(res *messages.TaskResult) {
		reply(card, res)
		<-n.sem
		n.wg.Done()
	})
}

func (n *NATS) respond(m *nats.Msg, r proto.Message) {
	data, err := proto.Marshal(r)
	if err == nil {
		err = m.Respond(data)
	}
	if err != nil {
		n.cfg.Logger.Warn("reply failed", "subject", m.Subject, "error", err)
	}
}

// respondSealed answers with the result in an envelope signed by the node.
func (n *NATS) respondSealed(m *nats.Msg, card *messages.TaskCard, res *messages.TaskResult) {
	data, err := n.cfg.Governance.SealResult(res, card, time.Now())
	if err != nil {
		n.cfg.Logger.Error("sealing result failed", "error", err)
		n.respond(m, res)
		return
	}
	out := nats.NewMsg(m.Reply)
	out.Header.Set(HeaderEnvelope, "v1")
	out.Data = data
	if err := m.RespondMsg(out); err != nil {
		n.cfg.Logger.Warn("reply failed", "subject", m.Subject, "error", err)
	}
}

func (n *NATS) onAgentList(m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	n.respond(m, AgentList(n.cfg.Routes, n.cfg.NodeID))
}

// AgentList renders the agents of routes.
func AgentList(routes *router.Routes, nodeID string) *messages.AgentList {
	out := &messages.AgentList{NodeId: nodeID}
	for _, e := range routes.Load().Agents() {
		out.Agents = append(out.Agents, e.Info(nodeID))
	}
	return out
}

func (n *NATS) onRegister(m *nats.Msg) {
	reg := &messages.RegisterAgent{}
	if err := proto.Unmarshal(m.Data, reg); err != nil {
		if m.Reply != "" {
			n.respond(m, &messages.RegisterAck{NodeId: n.cfg.NodeID, ErrorCode: messages.CodeMalformed,
				ErrorMessage: fmt.Sprintf("not a protobuf RegisterAgent: %v", err)})
		}
		return
	}
	res, err := n.cfg.System.Root.RequestFuture(n.cfg.Router, reg, 10*time.Second).Result()
	ack, ok := res.(*messages.RegisterAck)
	if err != nil || !ok {
		ack = &messages.RegisterAck{NodeId: n.cfg.NodeID, ErrorCode: messages.CodeRegisterInvalid,
			ErrorMessage: fmt.Sprintf("router did not answer: %v", err)}
	}
	if m.Reply != "" {
		n.respond(m, ack)
	}
}

func (n *NATS) onSessionShow(m *nats.Msg) {
	if m.Reply == "" || n.cfg.ShowSession == nil {
		return
	}
	req := &messages.SessionShowRequest{}
	if err := proto.Unmarshal(m.Data, req); err != nil || req.GetSessionId() == "" {
		n.respond(m, &messages.SessionRecords{NodeId: n.cfg.NodeID, Error: fmt.Sprintf("want a SessionShowRequest with a session id (%v)", err)})
		return
	}
	n.respond(m, n.cfg.ShowSession(req.GetSessionId()))
}

func (n *NATS) onHeartbeat(m *nats.Msg) {
	hb := &messages.Heartbeat{}
	if err := proto.Unmarshal(m.Data, hb); err != nil || hb.GetAgent() == nil {
		n.cfg.Logger.Debug("malformed heartbeat dropped", "error", err)
		return
	}
	n.cfg.System.Root.Send(n.cfg.Router, hb)
}

func (n *NATS) onDeregister(m *nats.Msg) {
	d := &messages.DeregisterAgent{}
	if err := proto.Unmarshal(m.Data, d); err != nil {
		n.cfg.Logger.Debug("malformed deregistration dropped", "error", err)
		return
	}
	n.cfg.System.Root.Send(n.cfg.Router, d)
}

func (n *NATS) onSessionClose(m *nats.Msg) {
	if m.Reply == "" || n.cfg.CloseSession == nil {
		return
	}
	req := &messages.SessionClose{}
	if err := proto.Unmarshal(m.Data, req); err != nil || req.GetSessionId() == "" {
		n.respond(m, &messages.SessionHead{Error: fmt.Sprintf("want a SessionClose with a session id (%v)", err)})
		return
	}
	n.respond(m, n.cfg.CloseSession(req.GetSessionId()))
}
