package paseto

import (
	"runtime"
	"testing"
)

// benchPayload is the payload of a typical access token, as Issue writes it.
const benchPayload = `{"iss":"https://api.example.com","sub":"user-1234","jti":"PgVoRAXx3sACQw7Qgt4vxQ","type":"access","sid":"5bBJVgcF4rwAwJ4x8FYkbQ","fresh":true,"auth_time":"2026-12-02T06:22:40Z","iat":"2026-12-02T06:22:40Z","nbf":"2026-12-02T06:22:40Z","exp":"2026-12-02T06:37:40Z"}`

// BenchmarkDecodeClaims measures the strict claims decoder alone, on the
// payload of a typical access token. cpu-ns/op is the thread's CPU time,
// which a busy machine inflates less than ns/op.
func BenchmarkDecodeClaims(b *testing.B) {
	payload := []byte(benchPayload)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPU()
	for b.Loop() {
		var c Claims
		if err := decodeClaims(payload, &c); err != nil {
			b.Fatal(err)
		}
	}
	if end, ok2 := threadCPU(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
