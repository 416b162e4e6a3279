//go:build !race

package paseto

// raceEnabled: see race_on_test.go.
const raceEnabled = false
