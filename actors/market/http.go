package market

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/bizra/bizra/messages/pci"
)

// HTTPPrefix is the path the Handler serves.
const HTTPPrefix = "/v1/market/"

// maxRequestBytes bounds a request body (a sealed Request is a few
// hundred bytes).
const maxRequestBytes = 64 << 10

// Handler serves the market under /v1/market/:
//
//	GET  /v1/market/status
//	GET  /v1/market/licenses
//	GET  /v1/market/balance?account=ed25519:…
//	POST /v1/market/<verb>      body: a PCI envelope (protobuf) from SealRequest
//
// GETs are unsigned reads. POST takes any verb, signed (assess, buy and
// transfer only this way); the verb in the path must be the request's.
// Every answer is a JSON Response. Status codes: 200 ok; 400 bad request
// or value; 401 a rejected envelope (R001–R005, replays included); 402
// insufficient credits; 404 unknown license or path; 409 stale price,
// own license, not the holder, Gini limit or supply limit; 503 stopped or
// timed out; 500 otherwise.
func (m *Market) Handler() http.Handler {
	return http.HandlerFunc(m.serveHTTP)
}

func (m *Market) serveHTTP(w http.ResponseWriter, r *http.Request) {
	verb, ok := strings.CutPrefix(r.URL.Path, HTTPPrefix)
	if !ok || verb == "" || strings.Contains(verb, "/") || !knownVerb(verb) {
		writeResponse(w, http.StatusNotFound, failed(verb, "", errors.New("market: no such endpoint "+r.URL.Path)))
		return
	}
	var (
		resp Response
		err  error
	)
	switch r.Method {
	case http.MethodGet:
		if !ReadOnly(verb) {
			w.Header().Set("Allow", http.MethodPost)
			writeResponse(w, http.StatusMethodNotAllowed, failed(verb, "", errors.New("market: "+verb+" must be POSTed as a signed envelope")))
			return
		}
		resp, err = m.Handle("", Request{Verb: verb, Account: r.URL.Query().Get("account")})
	case http.MethodPost:
		body, rerr := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
		if rerr != nil || len(body) > maxRequestBytes {
			writeResponse(w, http.StatusBadRequest, failed(verb, "", errors.New("market: request body unreadable or over 64 KiB")))
			return
		}
		resp, err = m.handleSigned(body, verb)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeResponse(w, http.StatusMethodNotAllowed, failed(verb, "", errors.New("market: method "+r.Method+" not allowed")))
		return
	}
	writeResponse(w, httpStatus(err), resp)
}

func knownVerb(v string) bool {
	for _, k := range Verbs {
		if k == v {
			return true
		}
	}
	return false
}

func writeResponse(w http.ResponseWriter, status int, r Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(encodeResponse(r), '\n'))
}

// httpStatus maps an error to an HTTP status.
func httpStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if pci.Code(err) != "" {
		return http.StatusUnauthorized
	}
	switch Code(err) {
	case CodeBadRequest, CodeBadValue, CodeBadIdentity:
		return http.StatusBadRequest
	case CodeInsufficientCredits:
		return http.StatusPaymentRequired
	case CodeUnknownLicense:
		return http.StatusNotFound
	case CodeStalePrice, CodeOwnLicense, CodeNotHolder, CodeGini, CodeSupply:
		return http.StatusConflict
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
