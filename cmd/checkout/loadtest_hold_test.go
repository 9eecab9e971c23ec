package main

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hold reading waits for a connection that is closing (Go's transport closes a
// "Connection: close" connection a moment after handing back its response), and no longer
// than it was told when one stays open.
func TestConnCounterSettleWaitsForClosingConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c := &connCounter{addrs: []string{ln.Addr().String()}}
	dial := c.dial(newLoadDialer(time.Second))
	first, err := dial(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	second, err := dial(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer second.Close()
	require.Equal(t, int64(2), c.current())

	got := make(chan int64)
	go func() { got <- c.settle(context.Background(), 1, time.Hour) }()
	// The reading is waiting (it made the channel it waits on) before the close.
	for {
		c.mu.Lock()
		waiting := c.changed != nil
		c.mu.Unlock()
		if waiting {
			break
		}
		runtime.Gosched()
	}
	require.NoError(t, first.Close())
	assert.Equal(t, int64(1), <-got)
	_ = first.Close() // the socket's own error: already closed
	assert.Equal(t, int64(1), c.current(), "a second close counts nothing")

	// One connection stays: the reading gives up after its bound and says so.
	assert.Equal(t, int64(1), c.settle(context.Background(), 0, time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, int64(1), c.settle(ctx, 0, time.Hour), "a cancelled run reads at once")
}
