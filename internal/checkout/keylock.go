package checkout

import "sync"

// keyLocks serialises work per key within this process. Requests that reuse an
// Idempotency-Key are run one after another, so the second sees the first one's stored
// answer instead of racing it (and, say, storing its duplicate_reference error first).
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	waiters int
}

// lock blocks until key is free and returns the function that frees it.
func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.waiters++
	k.mu.Unlock()

	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.waiters--
		if l.waiters == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
