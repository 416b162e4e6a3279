package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Variables of the v4.public rotation (docs/keys.md, the runbook).
const (
	envSecretPrevious = envSecretKey + previousSuffix // k4.public.…,…: retiring keys
	envSecretUpcoming = envSecretKey + "_UPCOMING"    // k4.public.…,…: published, not signing yet
	envSecretNext     = envSecretKey + "_NEXT"        // k4.secret.…: the upcoming key's secret, kept for promote
)

var keysetCommand = command{
	name: "keyset",
	help: `Usage: pasetokey keyset [-upcoming k4.public.…,…] [-retiring k4.public.…,…] <current key>|-

Prints the key set document a v4.public issuer publishes at
/.well-known/paserk, for the given keys: the current key (a k4.secret. key,
whose public half is published, or its k4.public. key), the upcoming keys
(published, not signing yet) and the retiring ones (no longer signing,
their tokens still alive). Serve it as a static file, or give it to
services that read keys from a file (paseto.ReadKeySetFile). Only public
keys are printed. A k4.local. key has no key set: its tokens are verified
by holders of the secret key only.
`,
	flags: func(fs *flag.FlagSet) func(*cli, *flag.FlagSet) error {
		up := fs.String("upcoming", "", "comma-separated k4.public. keys published before they sign")
		ret := fs.String("retiring", "", "comma-separated k4.public. keys that no longer sign")
		return func(c *cli, fs *flag.FlagSet) error { return keyset(c, fs, *up, *ret) }
	},
}

func keyset(c *cli, fs *flag.FlagSet, upcoming, retiring string) error {
	arg, err := oneArg(fs, "current key (k4.secret. or k4.public.)")
	if err != nil {
		return err
	}
	s, err := c.readArg(arg, "key")
	if err != nil {
		return err
	}
	k, err := parseKey(s)
	if err != nil {
		return err
	}
	var current paseto.PublicKey
	switch k.prefix {
	case prefixLocal:
		return errors.New("k4.local. is a symmetric key: v4.local tokens have no key set, since their key is never published")
	case prefixSecret:
		current = k.secret.Public()
	default:
		current = k.public
	}
	up, err := publicList("-upcoming", upcoming)
	if err != nil {
		return err
	}
	prev, err := publicList("-retiring", retiring)
	if err != nil {
		return err
	}
	ring, err := paseto.NewPublicVerifyKeyRing(append([]paseto.PublicKey{current}, prev...)...)
	if err != nil {
		return err
	}
	if ring, err = ring.WithUpcoming(up...); err != nil {
		return err
	}
	ks, err := paseto.NewKeySet(ring)
	if err != nil {
		return err
	}
	fmt.Fprintf(&c.out, "%s\n", ks.JSON())
	return nil
}

// publicList parses a comma-separated list of k4.public. keys.
func publicList(what, list string) ([]paseto.PublicKey, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	parts := strings.Split(list, ",")
	out := make([]paseto.PublicKey, 0, len(parts))
	for i, p := range parts {
		k, err := parseKey(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%s key %d of %d: %w", what, i+1, len(parts), err)
		}
		if k.prefix != prefixPublic {
			return nil, fmt.Errorf("%s key %d of %d is a %s key: want k4.public. keys (pasetokey public - gives one)", what, i+1, len(parts), k.prefix)
		}
		out = append(out, k.public)
	}
	return out, nil
}

var rotateCommand = command{
	name: "rotate",
	help: `Usage: pasetokey rotate publish|promote|retire < keys.env > next.env

Emits the next key ring of a v4.public issuer, one step of the rotation
runbook (docs/keys.md), as environment lines. It reads the current lines
(KEY=VALUE, as gen env-public prints them) on standard input and prints
them changed for the step; other lines are kept as they are.

  publish  generate the next key: its k4.public. key goes to
           PASETO_SECRET_KEY_UPCOMING (published in the key set, not
           signing), its k4.secret. key to PASETO_SECRET_KEY_NEXT (kept
           for promote; the examples do not read it)
  promote  once every verifier's cache has had the key set's max-age to
           learn it: the next key signs (PASETO_SECRET_KEY), and the old
           one's public key moves to PASETO_SECRET_KEY_PREVIOUS (retiring)
  retire   after the longest access-token lifetime: drop
           PASETO_SECRET_KEY_PREVIOUS

Deploy each step's lines everywhere before running the next. The output
holds secret keys.
`,
	flags: func(*flag.FlagSet) func(*cli, *flag.FlagSet) error { return rotate },
}

func rotate(c *cli, fs *flag.FlagSet) error {
	step, err := oneArg(fs, "step (publish, promote or retire)")
	if err != nil {
		return err
	}
	if step != "publish" && step != "promote" && step != "retire" {
		return usagef("unknown step %s: want publish, promote or retire", quoteArg(step))
	}
	in, err := c.readArg("-", "environment lines")
	if err != nil {
		return err
	}
	env, err := parseEnvLines(in)
	if err != nil {
		return err
	}
	cur := env.get(envSecretKey)
	if cur == "" {
		return fmt.Errorf("no %s line on standard input: rotate works on a v4.public issuer's keys", envSecretKey)
	}
	sk, err := paseto.ParseSecretKey(cur)
	if err != nil {
		return fmt.Errorf("%s: want a k4.secret. PASERK: %w", envSecretKey, err)
	}
	switch step {
	case "publish":
		if env.get(envSecretUpcoming) != "" || env.get(envSecretNext) != "" {
			return fmt.Errorf("%s is already set: a key is already upcoming; promote it first", envSecretUpcoming)
		}
		next := paseto.GenerateSecretKey()
		env.set(envSecretUpcoming, next.Public().PASERK())
		env.set(envSecretNext, next.PASERK())
	case "promote":
		nextS := env.get(envSecretNext)
		if nextS == "" {
			return fmt.Errorf("no %s line: run publish first (and wait for verifiers' caches)", envSecretNext)
		}
		next, err := paseto.ParseSecretKey(nextS)
		if err != nil {
			return fmt.Errorf("%s: want a k4.secret. PASERK: %w", envSecretNext, err)
		}
		up, err := publicList(envSecretUpcoming, env.get(envSecretUpcoming))
		if err != nil {
			return err
		}
		if !slices.Contains(up, next.Public()) {
			return fmt.Errorf("%s does not list the public key of %s: it was never published, so verifiers do not know it yet", envSecretUpcoming, envSecretNext)
		}
		prev := []string{sk.Public().PASERK()}
		if p := env.get(envSecretPrevious); p != "" {
			prev = append(prev, p)
		}
		var rest []string
		for _, k := range up {
			if k != next.Public() {
				rest = append(rest, k.PASERK())
			}
		}
		env.set(envSecretKey, next.PASERK())
		env.set(envSecretPrevious, strings.Join(prev, ","))
		env.set(envSecretUpcoming, strings.Join(rest, ","))
		env.set(envSecretNext, "")
	case "retire":
		if env.get(envSecretPrevious) == "" {
			return fmt.Errorf("no %s line: nothing to retire", envSecretPrevious)
		}
		env.set(envSecretPrevious, "")
	}
	env.write(&c.out)
	return nil
}

// envFile is a KEY=VALUE file kept in order, comments included.
type envFile struct{ lines []string }

func parseEnvLines(s string) (*envFile, error) {
	e := &envFile{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 4096), maxInput)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			name, _, ok := strings.Cut(line, "=")
			if !ok || name == "" || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("line %d is not KEY=VALUE", n)
			}
			if seen[name] {
				return nil, fmt.Errorf("line %d: %s given twice", n, quoteArg(name))
			}
			seen[name] = true
		}
		e.lines = append(e.lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading standard input: %v", err)
	}
	return e, nil
}

func (e *envFile) find(name string) int {
	for i, l := range e.lines {
		if n, _, ok := strings.Cut(l, "="); ok && n == name && !strings.HasPrefix(l, "#") {
			return i
		}
	}
	return -1
}

func (e *envFile) get(name string) string {
	if i := e.find(name); i >= 0 {
		_, v, _ := strings.Cut(e.lines[i], "=")
		return strings.TrimSpace(v)
	}
	return ""
}

// set replaces, adds or (with value "") removes the line of name.
func (e *envFile) set(name, value string) {
	i := e.find(name)
	switch {
	case value == "" && i >= 0:
		e.lines = slices.Delete(e.lines, i, i+1)
	case value == "":
	case i >= 0:
		e.lines[i] = name + "=" + value
	default:
		e.lines = append(e.lines, name+"="+value)
	}
}

func (e *envFile) write(w io.Writer) {
	for _, l := range e.lines {
		fmt.Fprintln(w, l)
	}
}
