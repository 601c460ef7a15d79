//go:build race

package hyparlist

// hvRaceEnabled reports a -race build, where long randomized tests run
// fewer seeds.
const hvRaceEnabled = true
