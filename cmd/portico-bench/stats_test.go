package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even: mean of the middle two", []float64{40, 10, 30, 20}, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tt.in...)
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(in, tt.in); diff != "" {
				t.Errorf("median reordered its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 … 1
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of three is the largest", ms(3, 1, 2), 99, 3 * time.Millisecond},
		{"p50 of two is the smaller", ms(4, 2), 50, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestServedRPS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   wrkResult
		want float64
	}{
		{"all served", wrkResult{Requests: 1000, RPS: 100}, 100},
		{"a quarter refused", wrkResult{Requests: 1000, RPS: 100, Non2xx: 250}, 75},
		{"all refused", wrkResult{Requests: 1000, RPS: 100, Non2xx: 1000}, 0},
		{"nothing answered", wrkResult{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, servedRPS(tt.in)); diff != "" {
				t.Errorf("servedRPS (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	rounds := []wrkResult{
		{Requests: 100, RPS: 10, P50: 3 * time.Millisecond, P99: 9 * time.Millisecond, Non2xx: 1},
		{Requests: 300, RPS: 30, P50: 1 * time.Millisecond, P99: 30 * time.Millisecond, Errors: 2},
		{Requests: 200, RPS: 20, P50: 2 * time.Millisecond, P99: 10 * time.Millisecond},
	}
	// The first round's one refusal of 100 answers makes it 9.9 served a
	// second; the median is still the third round's.
	want := summary{RPS: 20, P50: 2 * time.Millisecond, P99: 10 * time.Millisecond, Requests: 600, Non2xx: 1, Errors: 2}
	if diff := cmp.Diff(want, summarize(rounds)); diff != "" {
		t.Errorf("summarize (-want +got):\n%s", diff)
	}
}
