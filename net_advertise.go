// NetTransport: choosing the address to advertise (FinalAdvertiseAddr).

package hyparlist

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"

	sockaddr "github.com/hashicorp/go-sockaddr"
)

// errNoPrivateIP is returned by NetTransport.FinalAdvertiseAddr when the
// transport listens on a wildcard address, no advertise address was
// configured, and the machine has no usable private address to advertise.
var errNoPrivateIP = errors.New("hyparlist: no private IP address to advertise; configure one explicitly")

// advertiseCandidate is an interface address that could be advertised, with
// what selectAdvertiseIP sorts by.
type advertiseCandidate struct {
	ip        net.IP
	v6        bool
	onDefault bool // on the interface that holds the default route
	prefixLen int  // the network's prefix length; shorter is larger
}

// selectAdvertiseIP picks the address a node listening on a wildcard
// address advertises. ifAddrs is the machine's interface list, as
// sockaddr.GetAllInterfaces returns it; defaultIf names the interface that
// holds the default route ("" when unknown).
//
// Only addresses that are up, private (RFC 6890) and forwardable qualify,
// so loopback, link-local and documentation addresses never do. A node
// bound to 0.0.0.0 (allowIPv6 false) advertises IPv4 only. A node bound to
// "::" (allowIPv6 true) prefers IPv6 and falls back to IPv4, which its
// dual-stack socket also accepts. Among equals, an address on the default
// route's interface wins, then the larger network, then the first listed.
func selectAdvertiseIP(ifAddrs sockaddr.IfAddrs, defaultIf string, allowIPv6 bool) (net.IP, error) {
	var cands []advertiseCandidate
	for _, ifa := range ifAddrs {
		c, ok := advertiseCandidateOf(ifa, defaultIf)
		if !ok || (c.v6 && !allowIPv6) {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return nil, errNoPrivateIP
	}
	slices.SortStableFunc(cands, func(a, b advertiseCandidate) int {
		if a.v6 != b.v6 {
			// Only reachable with allowIPv6: IPv6 first.
			return boolFirst(a.v6, b.v6)
		}
		if a.onDefault != b.onDefault {
			return boolFirst(a.onDefault, b.onDefault)
		}
		return cmp.Compare(a.prefixLen, b.prefixLen)
	})
	return cands[0].ip, nil
}

// advertiseCandidateOf reports whether ifa could be advertised and, if so,
// its sort keys.
func advertiseCandidateOf(ifa sockaddr.IfAddr, defaultIf string) (advertiseCandidate, bool) {
	ipa := sockaddr.ToIPAddr(ifa.SockAddr)
	if ipa == nil || ifa.Flags&net.FlagUp == 0 {
		return advertiseCandidate{}, false
	}
	if sockaddr.IsRFC(sockaddr.ForwardingBlacklist, ifa.SockAddr) || !sockaddr.IsRFC(6890, ifa.SockAddr) {
		return advertiseCandidate{}, false
	}
	ip := *(*ipa).NetIP()
	prefixLen, _ := (*ipa).NetIPMask().Size()
	return advertiseCandidate{
		ip:        ip,
		v6:        ip.To4() == nil,
		onDefault: defaultIf != "" && ifa.Name == defaultIf,
		prefixLen: prefixLen,
	}, true
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// parseAdvertiseIP parses a configured advertise address, in its 4-byte
// form when it is IPv4.
func parseAdvertiseIP(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("advertise address %q: %w", s, errInvalidIP)
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4, nil
	}
	return ip, nil
}

// systemDefaultInterface names the interface holding the default route, or
// "" when it cannot be found (the selection then ignores default routes).
func systemDefaultInterface() string {
	ri, err := sockaddr.NewRouteInfo()
	if err != nil {
		return ""
	}
	name, err := ri.GetDefaultInterfaceName()
	if err != nil {
		return ""
	}
	return name
}
