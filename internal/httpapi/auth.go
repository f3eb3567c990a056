package httpapi

import (
	"errors"
	"net/http"
	"strings"
)

// Action is what a request wants to do, for an Authorizer.
type Action uint8

// Actions.
const (
	// ActionWrite writes points to a database.
	ActionWrite Action = iota + 1
	// ActionRead runs a read-only query (SELECT, SHOW) against a database.
	ActionRead
	// ActionAdmin changes the catalog (CREATE/DROP/ALTER statements).
	ActionAdmin
)

// String names the action ("write", "read", "admin").
func (a Action) String() string {
	switch a {
	case ActionWrite:
		return "write"
	case ActionRead:
		return "read"
	case ActionAdmin:
		return "admin"
	}
	return "unknown"
}

// Errors an Authorizer returns (possibly wrapped); they map to 401 and 403.
var (
	ErrUnauthorized = errors.New("authorization failed")
	ErrForbidden    = errors.New("forbidden")
)

// Authorizer decides whether r may perform action on db ("" for server-wide
// actions). It returns nil to allow, an error wrapping ErrForbidden for 403 and
// any other error for 401. It must be safe for concurrent use.
type Authorizer interface {
	Authorize(r *http.Request, action Action, db string) error
}

// AllowAll is the default Authorizer: every request is allowed.
type AllowAll struct{}

// Authorize allows everything.
func (AllowAll) Authorize(*http.Request, Action, string) error { return nil }

// Credentials are what a client presented, in InfluxDB's accepted forms.
type Credentials struct {
	// Scheme is "basic" (u/p query parameters or HTTP Basic), "token" or "bearer"; "" when none.
	Scheme   string
	Username string
	Password string
	// Token is the value of an `Authorization: Token x` or `Bearer x` header.
	Token string
}

// CredentialsFromRequest extracts credentials from r: the u and p query
// parameters, `Authorization: Basic`, `Authorization: Token x` (InfluxDB 2
// clients; 1.8 reads "user:password" from it) or `Authorization: Bearer x`.
func CredentialsFromRequest(r *http.Request) Credentials {
	q := r.URL.Query()
	if u := q.Get("u"); u != "" {
		return Credentials{Scheme: "basic", Username: u, Password: q.Get("p")}
	}
	if u, p, ok := r.BasicAuth(); ok {
		return Credentials{Scheme: "basic", Username: u, Password: p}
	}
	h := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return Credentials{}
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "token":
		c := Credentials{Scheme: "token", Token: rest}
		if u, p, ok := strings.Cut(rest, ":"); ok {
			c.Username, c.Password = u, p
		}
		return c
	case "bearer":
		return Credentials{Scheme: "bearer", Token: rest}
	}
	return Credentials{}
}
