package router

import "fmt"

// ValidName reports whether s can name an agent or a capability: 1–128
// characters from [A-Za-z0-9_-]. The rule keeps both usable as a single NATS
// subject token (bizra.task.<capability>, bizra.agent.task.<name>).
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// CheckAgent validates an agent's name and capabilities.
func CheckAgent(name string, capabilities []string) error {
	if !ValidName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if len(capabilities) == 0 {
		return fmt.Errorf("%w: %q", ErrNoCapabilities, name)
	}
	for _, c := range capabilities {
		if !ValidName(c) {
			return fmt.Errorf("%w: %q", ErrInvalidCapability, c)
		}
	}
	return nil
}
