package market

import (
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// SubjectPrefix starts the market's NATS subjects: bizra.market.<verb>.
const SubjectPrefix = "bizra.market."

// HeaderEnvelope marks a NATS request whose data is a PCI envelope
// ("v1"), as on the task subjects.
const HeaderEnvelope = "Bizra-Envelope"

// NATSSubscription is the market's set of NATS subscriptions.
type NATSSubscription struct {
	mu   sync.Mutex
	subs []*nats.Subscription
}

// SubscribeNATS subscribes bizra.market.<verb> for every verb on nc. A
// request whose data is a sealed Request (SealRequest) carries the
// header Bizra-Envelope: v1 and is verified like HandleSigned (its verb
// must be the subject's). Without the header, the data is a JSON Request
// (or empty) and only the read verbs (status, licenses, balance) are
// served. The reply is a JSON Response.
func (m *Market) SubscribeNATS(nc *nats.Conn) (*NATSSubscription, error) {
	s := &NATSSubscription{}
	for _, verb := range Verbs {
		sub, err := nc.Subscribe(SubjectPrefix+verb, func(msg *nats.Msg) { m.serveNATS(verb, msg) })
		if err != nil {
			s.Stop()
			return nil, fmt.Errorf("market: subscribing %s: %w", SubjectPrefix+verb, err)
		}
		s.subs = append(s.subs, sub)
	}
	return s, nil
}

func (m *Market) serveNATS(verb string, msg *nats.Msg) {
	var resp Response
	if msg.Header.Get(HeaderEnvelope) == "v1" {
		resp, _ = m.handleSigned(msg.Data, verb)
	} else {
		req := Request{Verb: verb}
		var err error
		if len(msg.Data) > 0 {
			req, err = DecodeRequest(msg.Data)
		}
		if err == nil && req.Verb != verb {
			err = fmt.Errorf("%w: verb %q sent on %s", ErrBadRequest, req.Verb, msg.Subject)
		}
		if err != nil {
			resp = failed(verb, "", err)
		} else {
			resp, _ = m.Handle("", req)
		}
	}
	if msg.Reply != "" {
		_ = msg.Respond(encodeResponse(resp))
	}
}

// Stop unsubscribes every subject. Safe to call more than once.
func (s *NATSSubscription) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, sub := range s.subs {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
			errs = append(errs, err)
		}
	}
	s.subs = nil
	return errors.Join(errs...)
}
