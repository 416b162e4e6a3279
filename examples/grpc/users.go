package main

// This file is the same in every example.

import "golang.org/x/crypto/bcrypt"

// account is a user of the demo user table.
type account struct {
	name string
	// passwordHash is a bcrypt hash: the table never holds a password.
	passwordHash string
	// scopes are granted at login and copied into every token of the
	// session; a refresh never widens them.
	scopes []string
}

// userTable maps user names to accounts. A real application reads its
// users from a database and adds rate limiting or lockout to its login.
type userTable map[string]account

// demoAccounts are the documented demo users: test/test, who may use the
// admin routes, and user1/password1, who may not.
var demoAccounts = userTable{
	"test": {
		name:         "test",
		passwordHash: "$2a$10$JmeapbLdrq15gucTszuX6.5OiaXcvV7LOe/qze0R0kYe.Od6TWeQq",
		scopes:       []string{"admin:*", "profile"},
	},
	"user1": {
		name:         "user1",
		passwordHash: "$2a$10$c7wsX0WEeudZgBSE1JF6NeJdFl3ofmEVBxjt1PZkS0WIRN57kHE5a",
		scopes:       []string{"profile"},
	},
}

// unknownUserHash is checked against for user names that do not exist, so
// that they cost as much time as a wrong password: response times do not
// tell which user names exist.
const unknownUserHash = "$2a$10$tlP2AUma/rgVrfKQwgXKuuE1uOO1kCzB.2BpoIQJLnIJWwqzBSs0q"

// maxPasswordBytes is what bcrypt looks at; longer passwords are refused
// rather than silently truncated.
const maxPasswordBytes = 72

// authenticate checks a user name and password. bcrypt compares the
// hashes in constant time.
func (t userTable) authenticate(name, password string) (account, bool) {
	a, known := t[name]
	hash := a.passwordHash
	if !known {
		hash = unknownUserHash
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if !known || err != nil || len(password) > maxPasswordBytes {
		return account{}, false
	}
	return a, true
}
