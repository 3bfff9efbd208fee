// Package ports hands out free TCP ports to the test servers of one test
// process. A port the system reports free stays free only until someone
// binds it, and servers bind theirs seconds after they start; handing a
// port out only once keeps two servers started in parallel from being
// given the same one.
package ports

import (
	"net"
	"sync"
)

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Free returns a TCP port that is free on all interfaces and that no
// caller in this process got before.
func Free() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	for {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handed[port] {
			handed[port] = true
			return port, nil
		}
	}
}
