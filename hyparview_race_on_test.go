//go:build race

package hyparlist

// hvRaceEnabled reports a -race build, where long randomized tests run
// smaller (see hvSize).
const hvRaceEnabled = true
