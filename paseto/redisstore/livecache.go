package redisstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// InvalidationBound is how stale an answer of the live cache
// (Config.LiveCache) can be: after a revocation that Redis applied at
// instant t, wherever it was made, no Store answers the session live from
// its cache from t + InvalidationBound on. A Store answers from its cache only while its invalidation
// channel has answered a PING sent less than InvalidationBound ago, and a
// PING answered on that channel comes after every invalidation Redis
// published before it.
const InvalidationBound = 100 * time.Millisecond

// MaxLiveCache bounds Config.LiveCache.
const MaxLiveCache = 10 * time.Second

// liveCacheEntries bounds the sessions a live cache holds; a stripe that
// is full is emptied (forgetting is always safe).
const liveCacheEntries = 1 << 17

// cacheStripes is how many locks the live cache is split over, by subject
// tag.
const cacheStripes = 64

// pingEvery is how often the invalidation channel is pinged: four pings
// per InvalidationBound, so that one late answer does not turn the cache
// off.
const pingEvery = InvalidationBound / 4

// liveCache keeps the sessions SessionLive found live, for at most ttl
// each, and forgets them when an invalidation for their subject arrives on
// the store's channel (the scripts publish the subject's tag there with
// every revocation), when this Store writes to their subject, and all at
// once when the channel is lost or stops answering.
type liveCache struct {
	ttl     time.Duration
	channel string
	pubsub  *redis.PubSub
	start   time.Time // origin of mono
	// conn numbers the channel's states: it moves on whenever the channel
	// is lost or (re)subscribed, so that a PONG sent in an earlier state
	// confirms nothing.
	conn atomic.Uint64
	// subscribed is the conn value whose subscription Redis confirmed; 0
	// for none.
	subscribed atomic.Uint64
	// confirmed is the mono instant at which the last PING answered on a
	// confirmed subscription was sent; 0 for none. The cache is usable
	// while it is less than InvalidationBound old.
	confirmed atomic.Int64
	// confirmedWall is the same PING's sending instant by the wall clock
	// (unix ns), which must be less than InvalidationBound old too: the
	// monotonic clock stands still while the machine is suspended
	// (suspend to RAM, hibernation), the wall clock does not, and a
	// machine that wakes must not answer from what it held before.
	confirmedWall atomic.Int64
	// wallSkew is added to the wall clock (by tests, to play a suspend).
	wallSkew atomic.Int64
	// epoch moves on with every drop of the whole cache: entries and
	// pending inserts of an earlier epoch are void.
	epoch   atomic.Uint64
	stripes [cacheStripes]cacheStripe
	cancel  context.CancelFunc
	done    sync.WaitGroup
	// messages counts the invalidations received; beforePut, when set (by
	// tests), runs as put begins.
	messages  atomic.Uint64
	beforePut func()
}

type cacheStripe struct {
	mu sync.RWMutex
	// gen moves on with every invalidation in the stripe, so that an
	// answer read before it is not inserted after it.
	gen atomic.Uint64
	n   int
	m   map[[16]byte]map[string]cacheEntry
}

type cacheEntry struct {
	subject string
	until   int64 // the session's own end, unix ns (SessionLive's clock)
	expires int64 // mono instant after which the entry is not used
	ident   *identity
	epoch   uint64
}

// cacheTicket is what an insert must find unchanged: taken before the
// request whose answer it inserts is sent.
type cacheTicket struct{ gen, epoch uint64 }

func newLiveCache(client *redis.Client, prefix string, ttl time.Duration) *liveCache {
	c := &liveCache{ttl: ttl, channel: prefix + "invalidate", start: time.Now()}
	c.conn.Store(1)
	for i := range c.stripes {
		c.stripes[i].m = make(map[[16]byte]map[string]cacheEntry)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.pubsub = client.Subscribe(ctx, c.channel)
	c.done.Add(2)
	go c.receive(ctx)
	go c.ping(ctx)
	return c
}

// close stops the cache's goroutines and closes its connection.
func (c *liveCache) close() error {
	c.cancel()
	err := c.pubsub.Close()
	c.done.Wait()
	c.lose()
	return err
}

// clock reads the time once: mono, the time since the cache started
// (never 0), and the wall clock in unix ns.
func (c *liveCache) clock() (mono, wall int64) {
	t := time.Now()
	return int64(t.Sub(c.start)) + 1, t.UnixNano() + c.wallSkew.Load()
}

// usable reports whether the channel has confirmed, less than
// InvalidationBound ago by both clocks (mono and wall, as clock reads
// them), that every invalidation published before has been applied.
func (c *liveCache) usable(now, wall int64) bool {
	conf := c.confirmed.Load()
	// Read after conf: never older than the wall instant of conf's PING
	// (receive stores it first).
	confWall := c.confirmedWall.Load()
	return conf != 0 && now-conf < int64(InvalidationBound) && wall-confWall < int64(InvalidationBound)
}

func (c *liveCache) stripe(tag *[16]byte) *cacheStripe {
	h := uint32(2166136261) // FNV-1a
	for _, b := range tag {
		h = (h ^ uint32(b)) * 16777619
	}
	return &c.stripes[h%cacheStripes]
}

// get reports whether subject's session sid is cached as live at n (unix
// ns) for a server whose identity is id (nil with LosslessPersistence).
func (c *liveCache) get(k *keys, subject, sid string, n int64, ok func(*identity) bool) bool {
	now, wall := c.clock()
	if !c.usable(now, wall) {
		return false
	}
	st := c.stripe(&k.tag)
	st.mu.RLock()
	e, found := st.m[k.tag][sid]
	st.mu.RUnlock()
	return found && e.subject == subject && e.epoch == c.epoch.Load() &&
		now < e.expires && n < e.until && ok(e.ident)
}

// ticket is taken before asking Redis about a session of k.
func (c *liveCache) ticket(k *keys) cacheTicket {
	return cacheTicket{c.stripe(&k.tag).gen.Load(), c.epoch.Load()}
}

// put caches a live answer, read from Redis after t was taken, unless
// anything may have invalidated it since or the channel is not usable.
func (c *liveCache) put(k *keys, t cacheTicket, subject, sid string, until int64, id *identity) {
	if c.beforePut != nil {
		c.beforePut()
	}
	now, wall := c.clock()
	st := c.stripe(&k.tag)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen.Load() != t.gen || c.epoch.Load() != t.epoch || !c.usable(now, wall) {
		return
	}
	if st.n >= liveCacheEntries/cacheStripes {
		clear(st.m)
		st.n = 0
	}
	sids := st.m[k.tag]
	if sids == nil {
		sids = make(map[string]cacheEntry, 1)
		st.m[k.tag] = sids
	}
	if _, had := sids[sid]; !had {
		st.n++
	}
	sids[sid] = cacheEntry{subject: subject, until: until, expires: now + int64(c.ttl), ident: id, epoch: t.epoch}
}

// invalidate forgets every session of the subject whose tag is tag.
func (c *liveCache) invalidate(tag *[16]byte) {
	st := c.stripe(tag)
	st.mu.Lock()
	st.gen.Add(1)
	st.n -= len(st.m[*tag])
	delete(st.m, *tag)
	st.mu.Unlock()
}

// dropAll forgets everything: the epoch moves on first, so that no entry
// is used and no pending insert lands from then on.
func (c *liveCache) dropAll() {
	c.epoch.Add(1)
	for i := range c.stripes {
		st := &c.stripes[i]
		st.mu.Lock()
		st.gen.Add(1)
		clear(st.m)
		st.n = 0
		st.mu.Unlock()
	}
}

// lose turns the cache off until the channel is subscribed and confirmed
// again, and drops it.
func (c *liveCache) lose() {
	c.conn.Add(1)
	c.subscribed.Store(0)
	c.confirmed.Store(0)
	c.dropAll()
}

// receive reads the channel until the cache is closed: invalidations,
// subscriptions (each may follow a gap in which invalidations were lost,
// so it drops the cache) and PONGs (which confirm it).
func (c *liveCache) receive(ctx context.Context) {
	defer c.done.Done()
	for ctx.Err() == nil {
		msg, err := c.pubsub.Receive(ctx)
		if err != nil {
			c.lose()
			select { // go-redis dials again on the next call
			case <-ctx.Done():
			case <-time.After(pingEvery):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel == c.channel && len(m.Payload) == 16 {
				var tag [16]byte
				copy(tag[:], m.Payload)
				c.invalidate(&tag)
				c.messages.Add(1)
			}
		case *redis.Subscription:
			c.lose()
			if m.Kind == "subscribe" && m.Channel == c.channel {
				c.subscribed.Store(c.conn.Load())
			}
		case *redis.Pong:
			conn, sent, sentWall, ok := parsePong(m.Payload)
			if ok && conn != 0 && conn == c.subscribed.Load() && conn == c.conn.Load() && sent > c.confirmed.Load() {
				c.confirmedWall.Store(sentWall) // first: see usable
				c.confirmed.Store(sent)
			}
		}
	}
}

// ping sends a PING every pingEvery with the channel's state and the
// instant it was sent, and drops the cache as soon as the last answer is
// InvalidationBound old (a server that stopped answering, a network that
// holds the connection open but delivers nothing).
func (c *liveCache) ping(ctx context.Context) {
	defer c.done.Done()
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, wall := c.clock()
		if conf := c.confirmed.Load(); conf != 0 && !c.usable(now, wall) && c.confirmed.CompareAndSwap(conf, 0) {
			c.dropAll()
		}
		payload := strconv.FormatUint(c.conn.Load(), 10) + ":" + strconv.FormatInt(now, 10) + ":" + strconv.FormatInt(wall, 10)
		pctx, cancel := context.WithTimeout(ctx, InvalidationBound)
		err := c.pubsub.Ping(pctx, payload)
		cancel()
		if err != nil && ctx.Err() == nil {
			c.lose()
		}
	}
}

// parsePong reads the payload ping sent: conn:mono:wall.
func parsePong(p string) (conn uint64, sent, sentWall int64, ok bool) {
	a, rest, found1 := strings.Cut(p, ":")
	b, w, found2 := strings.Cut(rest, ":")
	if !found1 || !found2 {
		return 0, 0, 0, false
	}
	conn, err1 := strconv.ParseUint(a, 10, 64)
	sent, err2 := strconv.ParseInt(b, 10, 64)
	sentWall, err3 := strconv.ParseInt(w, 10, 64)
	return conn, sent, sentWall, err1 == nil && err2 == nil && err3 == nil
}
