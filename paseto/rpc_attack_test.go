package paseto

import (
	"errors"
	"strings"
	"testing"
)

// TestMethodPoliciesCheck: a table entry the server does not serve (a
// misspelt method, left under a weaker default) is found at start-up.
func TestMethodPoliciesCheck(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	served := []string{"/a.v1.Admin/DeleteUser", "/a.v1.Admin/ListUsers", "/grpc.health.v1.Health/Check"}
	for _, tc := range []struct {
		name    string
		table   map[string]*Policy
		unknown []string // in the error; none: Check passes
	}{
		{"all served", map[string]*Policy{"/a.v1.Admin/DeleteUser": g.Required(), "/grpc.health.v1.Health/*": g.Optional()}, nil},
		{"empty table", nil, nil},
		{"method in the wrong case", map[string]*Policy{"/a.v1.Admin/deleteUser": g.Required(WithScopes("admin"))}, []string{"/a.v1.Admin/deleteUser"}},
		{"service in the wrong case", map[string]*Policy{"/a.v1.admin/*": g.Required()}, []string{"/a.v1.admin/*"}},
		{"unknown method and service", map[string]*Policy{
			"/a.v1.Admin/DeleteUser": g.Required(),
			"/a.v1.Admin/Delete":     g.Required(),
			"/b.v1.B/*":              g.Required(),
		}, []string{"/a.v1.Admin/Delete", "/b.v1.B/*"}},
	} {
		p, err := NewMethodPolicies(g.Optional(), tc.table)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Check(served...)
		if len(tc.unknown) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
			continue
		}
		for _, u := range tc.unknown {
			if !strings.Contains(err.Error(), u) {
				t.Errorf("%s: %v does not name %s", tc.name, err, u)
			}
		}
	}
}
