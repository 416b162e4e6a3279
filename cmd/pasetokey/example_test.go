package main

import (
	"os"
	"strings"
)

// The key and token below are the PASETO v4 test vectors 4-S-1 and 4-S-2:
// published, so never use them for anything but examples.
const (
	vectorSecretKey = "k4.secret.tMv7Q99M4hByfZU-SnEzB_oZu32fhQQUONnhG5QqN3Qeudu7vAR8A_1wYE4AcfCYfhayi3VyJcEfAEFdDiCxog"
	vectorToken     = "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0wMS0wMVQwMDowMDowMCswMDowMCJ9v3Jt8mx_TdM2ceTGoqwrh4yDFn0XsHvvV_D0DtwQxVrJEBMl0F2caAdgnpKlt4p7xBnx1HcO-SPo8FPp214HDw.eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9"
)

// Derive the public key of a secret key read from standard input, and the
// public key's ID, which v4.public token footers carry as their kid.
func Example_public() {
	run([]string{"public", "-"}, strings.NewReader(vectorSecretKey+"\n"), os.Stdout, os.Stderr, nil)
	run([]string{"id", "k4.public.Hrnbu7wEfAP9cGBOAHHwmH4Wsot1ciXBHwBBXQ4gsaI"}, nil, os.Stdout, os.Stderr, nil)
	// Output:
	// k4.public.Hrnbu7wEfAP9cGBOAHHwmH4Wsot1ciXBHwBBXQ4gsaI
	// k4.pid.yh4-bJYjOYAG6CWy0zsfPmpKylxS7uAWrxqVmBN2KAiJ
}

// Without a key, the claims of a v4.public token can be read but not
// trusted. This token's footer has a kid of another format, which this
// module's verifiers would refuse.
func Example_inspect() {
	run([]string{"inspect", vectorToken}, nil, os.Stdout, os.Stderr, nil)
	// Output:
	// header:  v4.public
	// footer:  {"kid":"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN"}
	// kid:     "zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN" (not a k4.pid. ID; this library's verifiers refuse it)
	// claims (UNVERIFIED: the signature was not checked; anyone can write these, do not trust them):
	// {
	//   "data": "this is a signed message",
	//   "exp": "2022-01-01T00:00:00+00:00"
	// }
}
