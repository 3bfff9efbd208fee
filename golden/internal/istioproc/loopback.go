package istioproc

import (
	"errors"
	"net"
	"strconv"
	"sync"
)

// loopback hands out 127.0.0.2, 127.0.0.3, ...: every istiod listens on an
// address of its own with Istio's usual ports, so several run at once and
// a proxy can reach the one of its revision at the rendered port.
var loopback struct {
	sync.Mutex
	next int
}

// NewLoopbackIP returns a loopback address no other istiod of this test
// process uses, on which Istio's ports are free.
func NewLoopbackIP() (string, error) {
	loopback.Lock()
	defer loopback.Unlock()
	for loopback.next < 250 {
		loopback.next++
		ip := "127.0.0." + strconv.Itoa(loopback.next+1)
		if portsFree(ip) {
			return ip, nil
		}
	}
	return "", errors.New("no loopback address left with Istio's ports free")
}

func portsFree(ip string) bool {
	for _, port := range []int{8080, 15010, 15012, 15014, 15017, 9876} {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
