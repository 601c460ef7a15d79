// Wire: AppendMessage, the one encoder exported for tools that measure what
// a core's messages cost on the wire.

package hyparlist

// AppendMessage appends the frame of m (header and body) to dst, encoded
// as the runtime sends it under the default wire limits, and returns the
// extended slice; with a dst of enough capacity it does not allocate. It
// refuses, with dst unchanged and an error, a message larger than the
// default limits allow and a value that is not a message of this package.
//
// The frame format is the runtime's own and may change between versions;
// AppendMessage exists so that a tool can count what a core's messages
// cost on the wire (the simulator does). The decoder is not exported.
func AppendMessage(dst []byte, m Message) ([]byte, error) {
	return encodeMessage(dst, m, defaultWireLimits())
}
