// Security: frames the connection's state does not allow — a protocol
// frame before the handshake, a handshake frame inside a stream — are
// counted, so that the attack suite (and an operator) can see them.

package hyparlist

// refusedWrongState is the reason of hyparlist.msg.refused for a frame the
// stream's state does not allow: anything but a Hello as a stream's first
// frame, or a Hello, HelloAccept or HelloReject after the handshake. The
// stream is closed.
const refusedWrongState = "wrong_state"

// wrongState counts a frame refused for the stream's state.
func (r *runtimeMetrics) wrongState() {
	r.sink.IncrCounterWithLabels(keyMsgRefused, 1, r.with("reason", refusedWrongState))
}
