// Membership core: the point-to-point messages of the anti-entropy exchange
// (memberDigestMsg, memberBucketsMsg, memberRecordsMsg, memberUserStateMsg).

package hyparlist

// This file declares the point-to-point messages of the membership core's
// anti-entropy exchange (types 32–47). Announcements are not messages: they
// travel as Plumtree broadcasts of class ClassMembership (membership_codec.go).
//
// An exchange between an initiator I and a responder R:
//
//	I → R  memberDigestMsg{Root, Count}     equal to R's → done: O(1) bytes
//	R → I  memberBucketsMsg{Hashes}         R's per-bucket hashes
//	I → R  memberRecordsMsg{Want, Records}  I's records in the differing buckets
//	R → I  memberRecordsMsg{Records}        R's records in those buckets
//
// Both sides also exchange the application's state (memberUserStateMsg) when
// the runtime provides one. No side keeps per-exchange state: each message
// is answered on its own.

// Message types of the membership core. Append only, never renumber.
const (
	typeMemberDigest    MessageType = 32
	typeMemberBuckets   MessageType = 33
	typeMemberRecords   MessageType = 34
	typeMemberUserState MessageType = 35
)

// Limits of the anti-entropy messages, for decoders and for the core.
const (
	// maxDigestBuckets is the largest bucket count of an exchange. Bucket
	// counts are 64, 128 or 256.
	maxDigestBuckets = 256
	// minDigestBuckets is the smallest bucket count of an exchange.
	minDigestBuckets = 64
	// maxMemberRecordsPerMessage caps memberRecordsMsg.Records; a larger
	// answer is split over several messages.
	maxMemberRecordsPerMessage = 256
)

// memberDigestMsg opens an anti-entropy exchange: a hash of the sender's whole
// member table. Buckets is the bucket count the sender wants for the rest of
// the exchange (64, 128 or 256). Join marks the sender's first exchange
// after it started (memberlist's join push/pull).
type memberDigestMsg struct {
	Join    bool
	Buckets uint16
	Count   uint32
	Root    uint64
}

// memberBucketsMsg answers a memberDigestMsg whose root differs: the hash of each
// of the sender's buckets (len(Hashes) is the digest's bucket count).
type memberBucketsMsg struct {
	Join   bool
	Hashes []uint64
}

// memberRecordsMsg carries member records of some buckets of an exchange with
// Buckets buckets. A non-empty Want (strictly increasing bucket indices)
// asks the receiver to answer with its own records of those buckets;
// answers leave Want empty.
type memberRecordsMsg struct {
	Join    bool
	Buckets uint16
	Want    []uint16
	Records []memberRecord
}

// memberUserStateMsg carries the application's state (memberlist's
// Delegate.LocalState) from one side of an exchange to the other.
type memberUserStateMsg struct {
	Join  bool
	State []byte
}

// Type implements Message.
func (memberDigestMsg) Type() MessageType { return typeMemberDigest }

// Type implements Message.
func (memberBucketsMsg) Type() MessageType { return typeMemberBuckets }

// Type implements Message.
func (memberRecordsMsg) Type() MessageType { return typeMemberRecords }

// Type implements Message.
func (memberUserStateMsg) Type() MessageType { return typeMemberUserState }
