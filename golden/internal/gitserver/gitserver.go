// Package gitserver serves Git repositories over Git's smart HTTP
// protocol on loopback, for end-to-end tests whose GitOps tools clone
// them: Go's net/http/cgi runs the real `git http-backend`, as a web
// server in front of a Git host would, over bare repositories in a
// temporary directory. The tests commit into a checkout with the git
// command line, with a fixed author and dates, and push to the server.
package gitserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running Git server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:<port>; a repository
	// named r is at URL/r.git.
	URL  string
	root string
	srv  *http.Server
	ln   net.Listener

	mu       sync.Mutex
	requests []string
}

// Start serves the bare repositories under root (made if missing) on a
// free loopback port.
func Start(root string) (*Server, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("the git command line is needed: %w", err)
	}
	out, err := exec.Command(gitPath, "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git --exec-path: %w", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		return nil, fmt.Errorf("git's http-backend: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), root: root, ln: ln}
	h := &cgi.Handler{
		Path: backend,
		Dir:  root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			// Every repository under root is served, without a
			// git-daemon-export-ok file in each.
			"GIT_HTTP_EXPORT_ALL=1",
			// No user's or system's Git configuration applies.
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + root,
		},
		InheritEnv: []string{"PATH"},
	}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			h.ServeHTTP(rec, r)
			s.mu.Lock()
			s.requests = append(s.requests, fmt.Sprintf("%s %s?%s %d", r.Method, r.URL.Path, r.URL.RawQuery, rec.status))
			s.mu.Unlock()
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Requests lists the requests served so far, as "METHOD path?query status".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Stop closes the server.
func (s *Server) Stop() {
	_ = s.srv.Close()
}

// NewRepository makes an empty bare repository name.git on the server,
// whose default branch is branch, open to anonymous pushes, and returns
// its URL.
func (s *Server) NewRepository(name, branch string) (string, error) {
	dir := filepath.Join(s.root, name+".git")
	if _, err := run(s.root, "init", "--quiet", "--bare", "--initial-branch="+branch, dir); err != nil {
		return "", err
	}
	// git http-backend refuses pushes from an unauthenticated user unless
	// the repository allows them.
	if _, err := run(dir, "config", "http.receivepack", "true"); err != nil {
		return "", err
	}
	return s.URL + "/" + name + ".git", nil
}

// Checkout is a work tree whose commits are pushed to a repository.
type Checkout struct {
	// Dir is the work tree.
	Dir    string
	branch string
	// commits counts the commits made, for their dates.
	commits int
}

// Clone checks out the empty repository at url into dir (made if
// missing), on branch.
func Clone(url, branch, dir string) (*Checkout, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := run(dir, "init", "--quiet", "--initial-branch="+branch); err != nil {
		return nil, err
	}
	if _, err := run(dir, "remote", "add", "origin", url); err != nil {
		return nil, err
	}
	return &Checkout{Dir: dir, branch: branch}, nil
}

// epoch is the date of a checkout's first commit; each further commit is
// a minute later, so the same trees committed in the same order give the
// same commits.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// CommitAll commits everything in the work tree, additions and deletions,
// pushes the branch and returns the commit's hash. The author, committer
// and dates are fixed.
func (c *Checkout) CommitAll(message string) (string, error) {
	if _, err := run(c.Dir, "add", "--all"); err != nil {
		return "", err
	}
	date := epoch.Add(time.Duration(c.commits) * time.Minute).Format(time.RFC3339)
	env := []string{
		"GIT_AUTHOR_NAME=meshrender tests", "GIT_AUTHOR_EMAIL=tests@meshrender.invalid", "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=meshrender tests", "GIT_COMMITTER_EMAIL=tests@meshrender.invalid", "GIT_COMMITTER_DATE=" + date,
	}
	if _, err := runEnv(c.Dir, env, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message); err != nil {
		return "", err
	}
	c.commits++
	if _, err := run(c.Dir, "push", "--quiet", "origin", "HEAD:refs/heads/"+c.branch); err != nil {
		return "", err
	}
	out, err := run(c.Dir, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

func run(dir string, args ...string) (string, error) {
	return runEnv(dir, nil, args...)
}

// runEnv runs git in dir with no user's or system's configuration.
func runEnv(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		// Commits are not signed, whatever the environment says.
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=commit.gpgsign", "GIT_CONFIG_VALUE_0=false",
	), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), nil
}
