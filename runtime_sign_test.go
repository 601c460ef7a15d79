// Tests of signed broadcasts in the runtime: forged origins refused,
// keys bound on first use, restarts with a new key, old peers refused.

package hyparlist

// acceptUnsigned is a Config tweak for tests of peers older than wire
// version 6, which cannot sign broadcasts.
func acceptUnsigned(c *Config) { c.AcceptUnsignedBroadcasts = true }
