package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"github.com/mokacheckout/checkout/internal/config"
	"github.com/mokacheckout/checkout/internal/orders"
)

// Password rules of dashboard users. PCI DSS v4 8.3.6 asks for at least 12 characters;
// bcrypt reads at most 72 bytes, and x/crypto refuses a longer password rather than
// ignore its end.
const (
	minPasswordChars = 12
	maxPasswordBytes = 72
	// bcryptCost is the work factor of stored hashes: about a quarter of a second per
	// login on a current server core, which a person logging in does not notice and a
	// guesser with a stolen database does. Login checks read the cost from the hash.
	bcryptCost = 12
)

const userUsage = `Usage:
  checkout user add -merchant M -email E [-config FILE]   reads the password from stdin (one line)
  checkout user disable -email E [-config FILE]

-config defaults to $` + config.EnvConfig + `; the database is the one "checkout serve" uses.
Passwords have at least 12 characters.
`

// runUser manages dashboard users in the database of the configured checkout, hashing
// passwords with the given bcrypt cost (bcryptCost; tests pass less). It may run while
// the server runs: the store waits for SQLite's lock like any second process.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, cost int) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: want a subcommand: add or disable")
	}
	switch sub, flags := args[0], args[1:]; sub {
	case "add":
		return runUserAdd(ctx, flags, getenv, stdin, stdout, stderr, cost)
	case "disable":
		return runUserDisable(ctx, flags, getenv, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, userUsage)
		return nil
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
}

func runUserAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, cost int) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+")")
	merchantID := fs.String("merchant", "", "id of the configured merchant the user works for")
	email := fs.String("email", "", "the user's email, their login name")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if *merchantID == "" || strings.TrimSpace(*email) == "" {
		return errors.New("user add: -merchant and -email are required")
	}
	cfg, err := userConfig(*path, getenv)
	if err != nil {
		return err
	}
	if _, ok := cfg.Merchant(*merchantID); !ok {
		return fmt.Errorf("user add: merchant %q is not configured in %s", *merchantID, *path)
	}
	var password string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// Typed at a terminal: prompt, and do not echo what is typed.
		fmt.Fprintf(stderr, "Password for %s (at least %d characters): ", orders.NormalizeEmail(*email), minPasswordChars)
		b, rerr := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		password, err = checkPassword(string(b), rerr)
	} else {
		password, err = readPassword(stdin)
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		// bcrypt's errors never carry the password.
		return fmt.Errorf("user add: hash password: %w", err)
	}

	return withUserStore(ctx, cfg, func(store *orders.Store) error {
		u, err := store.CreateUser(ctx, *merchantID, *email, hash)
		switch orders.ErrorCode(err) {
		case "":
		case orders.CodeDuplicateEmail:
			return fmt.Errorf("user add: a user with email %s already exists", orders.NormalizeEmail(*email))
		case orders.CodeInvalidEmail:
			return fmt.Errorf("user add: -email %q is not an email address", *email)
		default:
			return fmt.Errorf("user add: %w", err)
		}
		fmt.Fprintf(stdout, "added user %s (%s) for merchant %s\n", u.Email, u.ID, u.MerchantID)
		return nil
	})
}

func runUserDisable(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user disable", flag.ContinueOnError)
	path := fs.String("config", getenv(config.EnvConfig), "config file (default $"+config.EnvConfig+")")
	email := fs.String("email", "", "email of the user to disable")
	if done, err := parseFlags(fs, args, stderr); done {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return errors.New("user disable: -email is required")
	}
	cfg, err := userConfig(*path, getenv)
	if err != nil {
		return err
	}
	return withUserStore(ctx, cfg, func(store *orders.Store) error {
		err := store.DisableUser(ctx, *email)
		if errors.Is(err, orders.ErrNotFound) {
			return fmt.Errorf("user disable: no user with email %s", orders.NormalizeEmail(*email))
		}
		if err != nil {
			return fmt.Errorf("user disable: %w", err)
		}
		fmt.Fprintf(stdout, "disabled user %s\n", orders.NormalizeEmail(*email))
		return nil
	})
}

// userConfig loads the configuration `checkout serve` would run with. There is no demo
// fallback: a user added by mistake to ./data/checkout.db would be a login nobody meant.
func userConfig(path string, getenv func(string) string) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("user: no config file: pass -config FILE or set %s, the same as for checkout serve", config.EnvConfig)
	}
	return config.Load(path, getenv, os.ReadFile)
}

// withUserStore opens the configured database, makes sure it knows every configured
// merchant (as the server does at start, so a user can be added before the first serve),
// runs fn and closes the store.
func withUserStore(ctx context.Context, cfg *config.Config, fn func(*orders.Store) error) (err error) {
	store, err := openStore(ctx, cfg, time.Now, orders.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close database: %w", cerr)
		}
	}()
	for _, m := range cfg.Merchants {
		if err := store.EnsureMerchant(ctx, orders.Merchant{ID: m.ID, Name: m.Name}); err != nil {
			return err
		}
	}
	return fn(store)
}

// readPassword reads one line from r, without its line ending, and checks it against the
// password rules. No message it returns contains the password.
func readPassword(r io.Reader) (string, error) {
	// Read a little past the longest allowed password, so a longer one is refused
	// rather than cut.
	line, err := bufio.NewReaderSize(io.LimitReader(r, 4096), 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return checkPassword(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil)
}

// checkPassword applies the password rules; its messages never give the password or its
// length.
func checkPassword(password string, readErr error) (string, error) {
	switch {
	case readErr != nil:
		return "", fmt.Errorf("read password: %w", readErr)
	case password == "":
		return "", errors.New("no password on stdin: pipe it in or type it and press Enter")
	case !utf8.ValidString(password):
		return "", errors.New("the password is not valid UTF-8")
	case utf8.RuneCountInString(password) < minPasswordChars:
		return "", fmt.Errorf("the password is too short: dashboard passwords need at least %d characters (PCI DSS v4 8.3.6)", minPasswordChars)
	case len(password) > maxPasswordBytes:
		return "", fmt.Errorf("the password is too long: bcrypt takes at most %d bytes", maxPasswordBytes)
	}
	return password, nil
}
