// Package market is the node's compute market (seed §2.3 Layer 4, §3.1
// step 5, §4.5, §9.1): a signed, append-only credit ledger in pebble,
// Harberger-taxed licenses held as actors, a tax dividend that works
// against concentration, a Gini bound on transactions, and the license
// check stage of the request pipeline.
//
// # Credits
//
// The unit is the µcredit (Micro): 1 credit = 1,000,000 µcredits, and
// every amount is a whole number of them. Where a rule divides (tax,
// per-second prices, dividends) the result is rounded down, in favour of
// the payer; what rounding leaves over stays where it was (with the
// holder, the requester, or in the pool). Amounts are bounded by
// MaxAmount (2^62), so no sum overflows.
//
// # Ledger
//
// Accounts are keyed by identity: the "ed25519:…" key ids
// (pci.PublicKeyID) of nodes, agents and clients, plus the market's own
// pool account "market:pool". Every change is an Entry: sequence number,
// kind (issue, transfer, tax, dividend, purchase, charge, and the license
// events license, assess, foreclose that move nothing), from, to, amount,
// reference, declared value, time, and the hash of the previous entry;
// its BLAKE3 hash is signed with the node key (Ed25519). A transaction's
// entries, the balances it changed (ledger/b/<account>), the licenses it
// changed (lic/<id>) and the head (ledger/head: sequence, last hash,
// supply, tax collected, epochs) are written as one synced batch through
// a store.Committer before anything is acknowledged. At Open the entries
// are re-verified and replayed, and the balances, supply, tax total and
// license holders and values they give must equal the stored ones
// (ErrAudit otherwise): the snapshot is only a cache of the entries.
//
// The ledger is a mutex-serialised writer (Ledger.Do): one transaction at
// a time is computed from a consistent view, validated, signed, made
// durable and applied in memory; readers never wait for the fsync.
//
// Conservation: only KindIssue entries create credits and only the
// issuance rule makes them (genesis grants from Config, then
// Config.EpochIssuance per epoch into the pool, up to MaxSupply); every
// other entry moves an amount between two accounts and no balance may go
// negative. So the balances always sum to the supply; TestConservation
// checks it after every step of random operation sequences.
//
// # Licenses
//
// InferenceLicense (run tasks), PatternLicense and FederationLicense
// (Kind). The set of licenses is configuration (Config.Licenses): a license
// is created held by the market, or by the genesis holder. Its state
// (License) is holder, self-assessed value, tax rate (Config.TaxRatePPM,
// 7 %/year by default, per Year of 365.25 days) and the start of the
// current assessment; tax accrues continuously as
// floor(value · rate · elapsed / (10⁶ · Year)) over the assessment, and
// each settlement collects what has accrued minus what was paid, so the
// total is exact whatever the settlement times. Tax is settled on every
// touch (assess, buy) and by the Market's timer (SettleInterval).
//
// A holder who cannot pay the tax due pays all it has and loses the
// license: it goes back to the market at its last declared value, held by
// the market (which pays no tax), and anyone may buy it at that value,
// the price going to the pool.
//
// Forced sale: anyone may buy a license at its declared value, stating
// the price they expect; the price goes to the holder, the buyer becomes
// the holder and declares a new value. Buying one's own license is
// ErrOwnLicense; a declared value other than the expected price is
// ErrStalePrice, so of buyers racing at the same price exactly one wins
// (the others see the winner's new value) unless the winner re-declares
// the very same value, in which case the next buy is a legitimate
// purchase from the winner at the price its buyer expected.
//
// Each license is an actor (lic-<id> under the market's supervisor,
// restarted one-for-one), a thin shell that serialises its license's
// operations and runs the pure License core inside Ledger.Do.
//
// # Dividend
//
// At the end of each epoch (Config.Epoch, hourly by default) the pool —
// tax, call charges, purchases of market-held licenses, epoch issuance —
// is shared equally among the identities holding at least one license
// (Dividend). Tax is proportional to declared value and the dividend is
// per head, so the tax moves credits from holders of valuable licenses to
// holders of cheap ones and lowers the Gini coefficient; holding more
// licenses earns no more dividend, and an identity without a license
// earns none.
//
// # Fairness
//
// The distribution is wealth per identity: balance plus the declared
// values of the licenses held, over every identity the ledger knows (the
// pool excluded). Gini computes its Gini coefficient in O(n log n). A
// purchase, assessment or transfer that would raise it above
// Config.MaxGini (0.35) is rejected with ErrGini naming the values before
// and after; one that lowers it (or leaves it at most MaxGini) is
// allowed. Issuance, tax, foreclosure, dividends and call charges are
// rules, not choices, and are not checked. Consequences: a newcomer can
// only be brought in with a large enough share (two identities with x
// and y are within 0.35 when y ≥ 0.176·x), and an identity emptying its
// account into a richer one raises the coefficient and is refused past
// the bound.
//
// # Sybil identities
//
// An identity costs nothing to create and is worth nothing without a
// license: the license check rejects its tasks, the dividend skips it,
// and funding many of them from one account is stopped by the Gini bound.
// Holding one costs a license's price (returned in part by the dividend)
// and its tax, and licenses are scarce; TestSybil measures 133.33 credits
// for four fake identities over their first year under the defaults
// (33.33 each).
//
// # License check
//
// Stage (router.Stage) rejects a task whose capability needs a license
// (Config.Require, Config.RequireDefault) when the requester holds none of
// the kind: REJECTED, CodeNoLicense ("E_MARKET_NO_LICENSE"), naming the
// kind and the requester; and one whose requester has less than
// CallPrice: CodeNoCredits. The requester is RequesterID(card): the key
// id of card.Requester.PublicKey, which ingress sets from the verified
// PCI envelope's signer. After charges CallPrice plus PricePerSecond pro
// rata of the elapsed time, through the charges actor (it does not wait
// for the write); token counts, which TaskResult does not carry, can be
// charged with Market.Charge.
//
// Single node out of the box: DefaultConfig gives GenesisHolder (set it
// to the local client's key id) 1,000 credits and the license
// inference-0; inference-1…3, pattern-0 and federation-0 are held by the
// market at 100 credits; every capability needs an inference license. The
// genesis is made when the ledger is created; later changes to the
// genesis fields are ignored (licenses added to Config.Licenses are
// created, held by the market).
//
// # Requests
//
// Clients send a Request (JSON) sealed in a PCI envelope (SealRequest,
// payload type bizra.market.v1.Request); the requester is the signer.
// HandleSigned verifies it with pci (R001–R005; a replayed envelope is
// R001 with pci.ErrReplay) and answers a JSON Response with a stable
// error code (Code). Handler serves /v1/market/{status,licenses,balance}
// (GET, unsigned) and POST /v1/market/<verb> (signed). SubscribeNATS
// serves bizra.market.<verb>. Metrics: RegisterMetrics.
//
// # How the runtime wires this
//
// In runtime.Start, after the store, the actor system and NATS exist:
//
//	mcfg := market.DefaultConfig()
//	mcfg.GenesisHolder = pci.PublicKeyID(clientPub)   // local client key (e.g. from ~/.config/bizra/client.key)
//	mcfg.Logger = log                                // the market adds component=market
//	mk, err := market.Open(n.db, key, mcfg, n.system) // key: the node key (DATA_DIR/keys/node.key)
//	if err != nil { return n, fmt.Errorf("%w: market: %w", ErrStart, err) }
//	if err := mk.RegisterMetrics(n.reg); err != nil { … }
//	stages = append(stages, mk.Stage())              // after gate/session, before routing (seed §3.1 step 5)
//	msub, err := mk.SubscribeNATS(n.nc)              // bizra.market.<verb>
//	n.httpIn.Handle(market.HTTPPrefix, mk.Handler()) // /v1/market/
//
// and in shutdown, after the ingress and before the actor system and the
// store: msub.Stop(); mk.Stop(). Both are safe to call twice.
//
// The stage trusts card.Requester: a node that accepts bare (unsigned)
// TaskCards must clear Requester on them (or require envelopes), or a bare
// card can claim any identity's license. The CLI builds requests with
// market.SealRequest(clientKey, market.Request{Verb: market.VerbBuy,
// License: id, ExpectedPrice: p, Value: v}, ttl, time.Now()), sends the
// bytes on bizra.market.buy with header Bizra-Envelope: v1 (or POSTs
// them to /v1/market/buy) and decodes a market.Response; amounts on the
// command line go through ParseCredits and print with Micro.String.
package market
