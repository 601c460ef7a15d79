// Wire: the codec's sentinel errors and DecodeError.

package hyparlist

import (
	"errors"
	"fmt"
)

// Sentinel errors of the wire codec. Decode failures come as a *decodeError
// and encode failures as wrapped errors; both match these with errors.Is.
var (
	// errFrameTooLarge: a frame's body is longer than
	// wireLimits.MaxFrameSize (or than the 32-bit length field).
	errFrameTooLarge = errors.New("frame too large")
	// errUnknownMessageType: the frame's type byte, or the Go type given
	// to the encoder, is not a message of this package.
	errUnknownMessageType = errors.New("unknown message type")
	// errUnsupportedVersion: the frame's version byte, or a handshake's
	// version range, is outside the versions this node speaks.
	errUnsupportedVersion = errors.New("unsupported wire version")
	// errUnknownFlags: the frame has a flag bit set that this node does
	// not implement.
	errUnknownFlags = errors.New("unknown frame flags")
	// errLimitExceeded: a list count or string length is above its
	// wireLimits bound.
	errLimitExceeded = errors.New("limit exceeded")
	// errTruncated: the input ends before the frame or a field does.
	errTruncated = errors.New("truncated")
	// errTrailingData: bytes follow the end of the frame or of its body.
	errTrailingData = errors.New("trailing data")
	// errMalformed: a field has the wrong msgpack type, a struct has the
	// wrong number of fields, or a number is out of its field's range.
	errMalformed = errors.New("malformed")
)

// decodeError reports why a frame could not be decoded. Err wraps one of
// the sentinel errors above (or, from readMessageFrame, an I/O error), so callers
// test it with errors.Is. Any decodeError means the peer sent something
// this node cannot read: the connection should be closed.
type decodeError struct {
	// Type is the frame's message type, or 0 when the header was not
	// readable or its version is unsupported.
	Type MessageType
	// Field names the part that failed: "version", "flags", "type",
	// "length" or "body" for the frame, or a body field such as
	// "peers.name"; empty for the body as a whole.
	Field string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *decodeError) Error() string {
	what := "frame"
	if e.Type != 0 {
		what = e.Type.String()
		if !knownType(e.Type) {
			what = fmt.Sprintf("type %d", uint8(e.Type))
		}
	}
	if e.Field != "" {
		what += "." + e.Field
	}
	return "decode " + what + ": " + e.Err.Error()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *decodeError) Unwrap() error { return e.Err }
