package calls

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

// drain stands for Run: it empties the queue so Record never sees it full.
func drain(w *Writer) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-w.queue:
				w.state.Add(-slot)
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// BenchmarkRecord is the cost the gateway pays per call, uncontended: the
// queue is emptied, off the clock, whenever it fills.
func BenchmarkRecord(b *testing.B) {
	w := NewWriter(nil, nil, WriterConfig{}, quiet)
	c := sample(time.Now(), 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Record(c); err != nil {
			b.StopTimer()
			for len(w.queue) > 0 {
				<-w.queue
				w.state.Add(-slot)
			}
			b.StartTimer()
			if err := w.Record(c); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRecordParallel is Record from every core while a goroutine
// empties the queue as Run does: the contended cost.
func BenchmarkRecordParallel(b *testing.B) {
	w := NewWriter(nil, nil, WriterConfig{}, quiet)
	defer drain(w)()
	c := sample(time.Now(), 0, 1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for w.Record(c) != nil {
			}
		}
	})
}

// BenchmarkWrite is the throughput of writing batches (COPY and rollup in
// one transaction) to PostgreSQL.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{100, 1000, 5000} {
		b.Run("batch="+itoa(size), func(b *testing.B) {
			db := pgtest.DB(b)
			w := NewWriter(nil, db, WriterConfig{}, quiet)
			batch := make([]Call, size)
			base := time.Now().UTC()
			for i := range batch {
				batch[i] = sample(base, i%8, i)
			}
			ctx := context.Background()
			start := time.Now()
			n := 0
			for b.Loop() {
				if err := w.write(ctx, batchID(), batch); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "calls/s")
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/call")
		})
	}
}

// BenchmarkRecordThroughRun is Record with Run writing to PostgreSQL: the
// sustained rate, queue full or not.
func BenchmarkRecordThroughRun(b *testing.B) {
	db := pgtest.DB(b)
	w := NewWriter(nil, db, WriterConfig{}, quiet)
	shutdown := run(b, w)
	base := time.Now().UTC()
	start := time.Now()
	n := 0
	for b.Loop() {
		for {
			err := w.Record(sample(base, n%8, n))
			if err == nil {
				break
			}
			if !errors.Is(err, ErrFull) {
				b.Fatal(err)
			}
			time.Sleep(50 * time.Microsecond)
		}
		n++
	}
	if err := shutdown(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "calls/s")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
