// logext: an external Lambda extension (shipped in a layer as extensions/logext), written
// against the Extensions API with plain net/http. It registers under its file name for INVOKE
// and SHUTDOWN, logs one line per INVOKE with the request id, and exits cleanly on SHUTDOWN.
//
// Knobs, from the function's environment (extensions see it too):
//   LOGEXT_DELAY_MS  work this long after each INVOKE before asking for the next event, to show
//                    that the invocation ends only when the extension is done
//   LOGEXT_CRASH     exit with status 3 before registering, to show Extension.Crash
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

type event struct {
	EventType      string `json:"eventType"`
	RequestID      string `json:"requestId"`
	DeadlineMs     int64  `json:"deadlineMs"`
	ShutdownReason string `json:"shutdownReason"`
}

func main() {
	name := filepath.Base(os.Args[0])
	if os.Getenv("LOGEXT_CRASH") != "" {
		fmt.Printf("%s: crashing on purpose\n", name)
		os.Exit(3)
	}
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2020-01-01/extension"
	body := bytes.NewBufferString(`{"events":["INVOKE","SHUTDOWN"]}`)
	req, _ := http.NewRequest("POST", base+"/register", body)
	req.Header.Set("Lambda-Extension-Name", name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Printf("%s: register: %v\n", name, err)
		os.Exit(1)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fmt.Printf("%s: register: HTTP %d\n", name, resp.StatusCode)
		os.Exit(1)
	}
	id := resp.Header.Get("Lambda-Extension-Identifier")
	fmt.Printf("%s: registered\n", name)
	delay, _ := strconv.Atoi(os.Getenv("LOGEXT_DELAY_MS"))
	for {
		req, _ := http.NewRequest("GET", base+"/event/next", nil)
		req.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Printf("%s: next: %v\n", name, err)
			os.Exit(1)
		}
		var ev event
		err = json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		if err != nil {
			fmt.Printf("%s: bad event: %v\n", name, err)
			os.Exit(1)
		}
		switch ev.EventType {
		case "INVOKE":
			fmt.Printf("%s: INVOKE %s\n", name, ev.RequestID)
			if delay > 0 {
				time.Sleep(time.Duration(delay) * time.Millisecond)
				fmt.Printf("%s: done %s\n", name, ev.RequestID)
			}
		case "SHUTDOWN":
			fmt.Printf("%s: SHUTDOWN %s\n", name, ev.ShutdownReason)
			os.Exit(0)
		}
	}
}
