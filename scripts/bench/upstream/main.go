// Command upstream is the trivial API the gateway benchmark proxies to: it
// answers every request with the same small JSON document (310 bytes).
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	// 310 bytes, like a short page of a real API's list.
	body := []byte(`{"items":[{"id":"SPR-0042","name":"STS-07 twin-lift","status":"operating","cycles_today":812},{"id":"SPR-0043","name":"STS-08 twin-lift","status":"maintenance","cycles_today":77},{"id":"SPR-0044","name":"RTG-12 single-lift","status":"operating","cycles_today":1204}],"next_cursor":"c3ByLTAwNDQ.MjAyNi0xMi0wN"}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	// Timeouts only for clients that stall: wrk's connections send without
	// pause, so none of them ends one during a run.
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Fatal(srv.ListenAndServe())
}
