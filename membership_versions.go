// Membership core: the protocol and delegate versions a member advertises
// in its record.

package hyparlist

// This file owns the protocol versions a member advertises in its record
// (memberlist's Node.PMin … DCur). They travel with the record from wire
// version 4 on (wireVersionMemberVersions) and change only when the member
// restarts with other versions, which also raises its incarnation.

// memberVersions are the protocol versions a member advertises: PMin, PMax
// and PCur for the memberlist protocol it claims (Config.ProtocolVersion
// and the accepted range), DMin, DMax and DCur for its application's
// delegate protocol (Config.DelegateProtocolMin, Max and Version). The
// zero value means unknown: a record from a node of wire version 3 or
// older, which does not carry them.
type memberVersions struct {
	PMin, PMax, PCur uint8
	DMin, DMax, DCur uint8
}

// known reports whether v was advertised (is not the zero value).
func (v memberVersions) known() bool { return v != memberVersions{} }

// orHeld returns v, or held when v is unknown: a record that does not carry
// versions (it crossed a link to an older node) keeps what the table knows.
func (v memberVersions) orHeld(held memberVersions) memberVersions {
	if v.known() {
		return v
	}
	return held
}

// memberVersions returns the versions a node with Config c advertises.
func (c *Config) memberVersions() memberVersions {
	return memberVersions{
		PMin: ProtocolVersionMin, PMax: ProtocolVersionMax, PCur: c.ProtocolVersion,
		DMin: c.DelegateProtocolMin, DMax: c.DelegateProtocolMax, DCur: c.DelegateProtocolVersion,
	}
}
