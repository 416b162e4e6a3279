// Command pasetokey generates PASETO v4 keys as PASERK strings, computes key
// IDs and inspects tokens, so that nobody has to hand-craft key material.
//
//	pasetokey gen local|public|env|env-public
//	pasetokey id <key>|-
//	pasetokey public <k4.secret.…>|-
//	pasetokey inspect [-key <key>|-] [-type <type>] [-at <time>] <token>|-
//	pasetokey keyset [-upcoming <k4.public.…>,…] [-retiring <k4.public.…>,…] <key>|-
//	pasetokey rotate publish|promote|retire < keys.env
//
// Secret keys are printed only by gen and rotate. Every other command reads keys from
// its argument, from standard input ("-") or, for inspect, from PASETO_KEY,
// and never echoes them, not even in error messages.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // bad input, a token that does not verify, an I/O failure
	exitUsage = 2 // bad command line
)

const usageText = `pasetokey creates and inspects PASETO v4 keys (PASERK) and tokens.

Usage:
  pasetokey <command> [flags] [arguments]

Commands:
  gen local       new v4.local key: k4.local. and its k4.lid. ID
  gen public      new v4.public key pair: k4.secret., k4.public. and their IDs
  gen env         new PASETO_LOCAL_KEY and PASETO_REFRESH_KEY lines (KEY=VALUE)
  gen env-public  new PASETO_SECRET_KEY and PASETO_REFRESH_KEY lines
  id              print the ID (k4.lid., k4.sid. or k4.pid.) of a key
  public          print the k4.public. key of a k4.secret. key
  inspect         show a token's header, footer and claims; verify with -key
  keyset          print the key set document (/.well-known/paserk) of given keys
  rotate          emit the next v4.public key ring: publish, promote, retire
  help            show help for a command

An argument "-" is read from standard input, so keys need not appear on the
command line. Run 'pasetokey <command> -h' for details.
`

// command is one subcommand: its help text and what it does with the
// arguments left after its name.
type command struct {
	name  string
	help  string
	flags func(fs *flag.FlagSet) func(c *cli, fs *flag.FlagSet) error
}

var commands = []command{genCommand, idCommand, publicCommand, inspectCommand, keysetCommand, rotateCommand}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// cli carries a run's I/O. Commands write their report to out, which run
// copies to stdout only once the command is done, so that an error never
// leaves half a report (or half a generated key set) behind.
type cli struct {
	stdin  io.Reader
	out    bytes.Buffer
	stderr io.Writer
	env    func(string) string
}

// usageError is a bad command line: exit status 2 and a pointer to -h.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errReported means the command has already said everything on stdout (a
// token that did not verify): exit status 1, nothing on stderr.
var errReported = errors.New("reported")

// run is the whole program; main only binds it to the process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if env == nil {
		env = func(string) string { return "" }
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	case "help":
		return runHelp(rest, stdout, stderr)
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "pasetokey: unknown command %s\nRun 'pasetokey -h' for usage.\n", quoteArg(name))
		return exitUsage
	}

	fs := flag.NewFlagSet("pasetokey "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, without echoing values
	fs.Usage = func() {}
	action := cmd.flags(fs)
	c := &cli{stdin: stdin, stderr: stderr, env: env}
	err := fs.Parse(rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		writeHelp(stdout, cmd, fs)
		return exitOK
	case err != nil:
		err = &usageError{flagErrorText(err)}
	default:
		err = action(c, fs)
	}

	var ue *usageError
	switch {
	case err == nil || errors.Is(err, errReported):
		if _, werr := stdout.Write(c.out.Bytes()); werr != nil {
			fmt.Fprintf(stderr, "pasetokey %s: writing output: %v\n", cmd.name, werr)
			return exitError
		}
		if err != nil {
			return exitError
		}
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pasetokey %s: %s\nRun 'pasetokey %s -h' for usage.\n", cmd.name, ue.msg, cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "pasetokey %s: %s\n", cmd.name, safeLine(err.Error()))
		return exitError
	}
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		fmt.Fprint(stdout, usageText)
		return exitOK
	case 1:
		cmd, ok := lookup(args[0])
		if !ok {
			fmt.Fprintf(stderr, "pasetokey help: unknown command %s\nRun 'pasetokey -h' for usage.\n", quoteArg(args[0]))
			return exitUsage
		}
		fs := flag.NewFlagSet("pasetokey "+cmd.name, flag.ContinueOnError)
		cmd.flags(fs)
		writeHelp(stdout, cmd, fs)
		return exitOK
	}
	fmt.Fprint(stderr, "pasetokey help: too many arguments\nRun 'pasetokey -h' for usage.\n")
	return exitUsage
}

func writeHelp(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprint(w, cmd.help)
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// flagErrorText rewords the flag package's errors so that an argument is
// never echoed unless it is short enough not to be key material.
func flagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + quoteArg("-"+name)
	}
	if strings.HasPrefix(msg, "flag needs an argument: ") {
		return msg
	}
	if strings.HasPrefix(msg, "invalid value ") {
		// Only -at parses its value, and a time is not a secret; still,
		// keep the message to one safe line.
		return safeLine(msg)
	}
	return "bad flags"
}

// quoteArg quotes a command-line word for an error message, unless it is
// long enough to be a key or token (the shortest PASERK key is 52
// characters): those are never echoed.
func quoteArg(s string) string {
	if len(s) > 32 {
		return "(argument not shown)"
	}
	return fmt.Sprintf("%q", s)
}

// maxInput bounds what is read from standard input or accepted as an
// argument: far more than any key or token this module handles.
const maxInput = 1 << 20

// readArg returns a command-line argument, or standard input (trimmed) when
// the argument is "-". what names it in errors ("key", "token").
func (c *cli) readArg(arg, what string) (string, error) {
	if arg != "-" {
		if len(arg) > maxInput {
			return "", fmt.Errorf("%s too large", what)
		}
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(c.stdin, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("reading %s from standard input: %v", what, err)
	}
	if len(b) > maxInput {
		return "", fmt.Errorf("%s on standard input is too large", what)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("no %s on standard input", what)
	}
	return s, nil
}

// oneArg checks that exactly one positional argument was given.
func oneArg(fs *flag.FlagSet, what string) (string, error) {
	switch fs.NArg() {
	case 0:
		return "", usagef("missing %s (give it as an argument, or \"-\" to read standard input)", what)
	case 1:
		return fs.Arg(0), nil
	}
	return "", usagef("too many arguments: want one %s (flags go before it)", what)
}
