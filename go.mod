module github.com/pasetoauth/pasetoauth

go 1.25.0

require (
	aidanwoods.dev/go-paseto v1.6.0
	golang.org/x/crypto v0.46.0
)

require (
	aidanwoods.dev/go-result v0.3.1 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
