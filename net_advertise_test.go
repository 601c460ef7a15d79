package hyparlist

import (
	"errors"
	"net"
	"testing"

	sockaddr "github.com/hashicorp/go-sockaddr"
)

// fakeIf builds one interface address for the selection tests.
func fakeIf(t *testing.T, ifName, cidr string, up bool) sockaddr.IfAddr {
	t.Helper()
	ipa, err := sockaddr.NewIPAddr(cidr)
	if err != nil {
		t.Fatalf("fake interface %s: %v", cidr, err)
	}
	var flags net.Flags
	if up {
		flags = net.FlagUp
	}
	return sockaddr.IfAddr{SockAddr: ipa, Interface: net.Interface{Name: ifName, Flags: flags}}
}

func TestSelectAdvertiseIP(t *testing.T) {
	tests := []struct {
		name      string
		ifs       []sockaddr.IfAddr
		defaultIf string
		allowIPv6 bool
		want      string
		err       error
	}{
		{
			name: "loopback, link-local and public addresses never qualify",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "lo", "127.0.0.1/8", true),
				fakeIf(t, "lo", "::1/128", true),
				fakeIf(t, "eth0", "169.254.3.4/16", true),
				fakeIf(t, "eth0", "fe80::1/64", true),
				fakeIf(t, "eth1", "8.8.8.8/24", true),
			},
			allowIPv6: true,
			err:       errNoPrivateIP,
		},
		{
			name: "an interface that is down does not qualify",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "eth0", "10.0.0.5/8", false),
				fakeIf(t, "eth1", "192.168.1.9/24", true),
			},
			want: "192.168.1.9",
		},
		{
			name: "the default route's interface wins",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "docker0", "172.17.0.1/16", true),
				fakeIf(t, "eth0", "192.168.1.9/24", true),
			},
			defaultIf: "eth0",
			want:      "192.168.1.9",
		},
		{
			name: "then the larger network",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "eth0", "192.168.1.9/24", true),
				fakeIf(t, "eth1", "10.1.2.3/8", true),
			},
			want: "10.1.2.3",
		},
		{
			name: "then the first listed",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "eth0", "192.168.1.9/24", true),
				fakeIf(t, "eth1", "192.168.7.7/24", true),
			},
			want: "192.168.1.9",
		},
		{
			name: "bound to 0.0.0.0: IPv4 only",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "eth0", "fd00::5/64", true),
				fakeIf(t, "eth1", "10.0.0.5/8", true),
			},
			want: "10.0.0.5",
		},
		{
			name: "bound to 0.0.0.0 with only IPv6 private addresses",
			ifs:  []sockaddr.IfAddr{fakeIf(t, "eth0", "fd00::5/64", true)},
			err:  errNoPrivateIP,
		},
		{
			name: "bound to ::: IPv6 first",
			ifs: []sockaddr.IfAddr{
				fakeIf(t, "eth1", "10.0.0.5/8", true),
				fakeIf(t, "eth0", "fd00::5/64", true),
			},
			defaultIf: "eth1",
			allowIPv6: true,
			want:      "fd00::5",
		},
		{
			name:      "bound to ::: IPv4 fallback",
			ifs:       []sockaddr.IfAddr{fakeIf(t, "eth1", "10.0.0.5/8", true)},
			allowIPv6: true,
			want:      "10.0.0.5",
		},
		{
			name: "no interfaces",
			err:  errNoPrivateIP,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectAdvertiseIP(tc.ifs, tc.defaultIf, tc.allowIPv6)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if !got.Equal(net.ParseIP(tc.want)) {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
			if v4 := got.To4(); v4 != nil && len(got) != net.IPv4len {
				t.Fatalf("IPv4 address %v in %d-byte form", got, len(got))
			}
		})
	}
}

func TestParseAdvertiseIP(t *testing.T) {
	ip, err := parseAdvertiseIP("10.1.2.3")
	if err != nil || len(ip) != net.IPv4len || !ip.Equal(net.IPv4(10, 1, 2, 3)) {
		t.Fatalf("got %v (%d bytes), %v", ip, len(ip), err)
	}
	ip, err = parseAdvertiseIP("fd00::1")
	if err != nil || !ip.Equal(net.ParseIP("fd00::1")) {
		t.Fatalf("got %v, %v", ip, err)
	}
	if _, err := parseAdvertiseIP("node-1.example"); !errors.Is(err, errInvalidIP) {
		t.Fatalf("host name: error %v, want %v", err, errInvalidIP)
	}
}
