// ParseCIDRs: parsing Config.CIDRsAllowed.

package hyparlist

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ParseCIDRs parses networks in CIDR notation ("10.0.0.0/8",
// "fd00::/8"), ignoring surrounding spaces, for Config.CIDRsAllowed. It
// returns the networks it could parse, never nil, and an error naming
// every entry it could not (joined with errors.Join), or nil. A nil or
// empty v gives an empty list, which allows every address.
func ParseCIDRs(v []string) ([]net.IPNet, error) {
	nets := make([]net.IPNet, 0, len(v))
	var errs []error
	for _, s := range v {
		_, n, err := net.ParseCIDR(strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid CIDR %q: %w", s, err))
			continue
		}
		nets = append(nets, *n)
	}
	return nets, errors.Join(errs...)
}
