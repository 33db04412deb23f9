package ntu

// State is the NTU state after an observation. Belief, Entropy, Potential
// and Mean are always in [0,1].
type State struct {
	// Belief is the certainty that the observed signal is high (see doc.go).
	Belief float64
	// Entropy is the binary Shannon entropy, in bits, of the window mean.
	Entropy float64
	// Potential is the consistency of the window: 1 − 4·Var(window).
	Potential float64
	// Mean is the mean of the window.
	Mean float64
	// Iteration counts accepted observations.
	Iteration uint64
}
