package hyparlist

// This file declares the point-to-point messages of the membership core's
// anti-entropy exchange (types 32–47). Announcements are not messages: they
// travel as Plumtree broadcasts of class ClassMembership (membership_codec.go).
//
// An exchange between an initiator I and a responder R:
//
//	I → R  MemberDigest{Root, Count}     equal to R's → done: O(1) bytes
//	R → I  MemberBuckets{Hashes}         R's per-bucket hashes
//	I → R  MemberRecords{Want, Records}  I's records in the differing buckets
//	R → I  MemberRecords{Records}        R's records in those buckets
//
// Both sides also exchange the application's state (MemberUserState) when
// the runtime provides one. No side keeps per-exchange state: each message
// is answered on its own.

// Message types of the membership core. Append only, never renumber.
const (
	TypeMemberDigest    MessageType = 32
	TypeMemberBuckets   MessageType = 33
	TypeMemberRecords   MessageType = 34
	TypeMemberUserState MessageType = 35
)

// Limits of the anti-entropy messages, for decoders and for the core.
const (
	// MaxDigestBuckets is the largest bucket count of an exchange. Bucket
	// counts are 64, 128 or 256.
	MaxDigestBuckets = 256
	// MinDigestBuckets is the smallest bucket count of an exchange.
	minDigestBuckets = 64
	// MaxMemberRecordsPerMessage caps MemberRecords.Records; a larger
	// answer is split over several messages.
	maxMemberRecordsPerMessage = 256
)

// MemberDigest opens an anti-entropy exchange: a hash of the sender's whole
// member table. Buckets is the bucket count the sender wants for the rest of
// the exchange (64, 128 or 256). Join marks the sender's first exchange
// after it started (memberlist's join push/pull).
type MemberDigest struct {
	Join    bool
	Buckets uint16
	Count   uint32
	Root    uint64
}

// MemberBuckets answers a MemberDigest whose root differs: the hash of each
// of the sender's buckets (len(Hashes) is the digest's bucket count).
type MemberBuckets struct {
	Join   bool
	Hashes []uint64
}

// MemberRecords carries member records of some buckets of an exchange with
// Buckets buckets. A non-empty Want (strictly increasing bucket indices)
// asks the receiver to answer with its own records of those buckets;
// answers leave Want empty.
type MemberRecords struct {
	Join    bool
	Buckets uint16
	Want    []uint16
	Records []MemberRecord
}

// MemberUserState carries the application's state (memberlist's
// Delegate.LocalState) from one side of an exchange to the other.
type MemberUserState struct {
	Join  bool
	State []byte
}

// Type implements Message.
func (MemberDigest) Type() MessageType { return TypeMemberDigest }

// Type implements Message.
func (MemberBuckets) Type() MessageType { return TypeMemberBuckets }

// Type implements Message.
func (MemberRecords) Type() MessageType { return TypeMemberRecords }

// Type implements Message.
func (MemberUserState) Type() MessageType { return TypeMemberUserState }
