// streamer answers with a streamed response (aws-lambda-go streams a handler's io.Reader):
// event.chunks pieces of event.size bytes (or "chunk N\n" lines), event.delayMs apart, written
// into an io.Pipe. event.failAfter > 0 breaks the stream with an error after that many chunks
// (the error reaches the caller through the response's trailers); event.url wraps the body in
// events.LambdaFunctionURLStreamingResponse (the HTTP integration prelude comes first).
// Behind a function URL (a payload 2.0 event) the same settings come from the query string:
// ?chunks=&size=&delayMs=&failAfter=, with the prelude unless prelude=0, its statusCode from
// status= and a cookie from cookie=.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Chunks    int   `json:"chunks"`
	Size      int   `json:"size"`
	DelayMs   int64 `json:"delayMs"`
	FailAfter int   `json:"failAfter"`
	URL       bool  `json:"url"`

	RawPath string            `json:"rawPath"` // set in a function URL's event
	Query   map[string]string `json:"queryStringParameters"`
}

// fromQuery reads a function URL request's settings.
func fromQuery(e *event) (status int, cookies []string) {
	num := func(name string) int {
		n, _ := strconv.Atoi(e.Query[name])
		return n
	}
	e.Chunks, e.Size, e.DelayMs, e.FailAfter = num("chunks"), num("size"), int64(num("delayMs")), num("failAfter")
	e.URL = e.Query["prelude"] != "0"
	status = 200
	if s := num("status"); s != 0 {
		status = s
	}
	if c := e.Query["cookie"]; c != "" {
		cookies = []string{c}
	}
	return status, cookies
}

func produce(e event, w *io.PipeWriter) {
	for i := 0; i < e.Chunks; i++ {
		if e.FailAfter > 0 && i == e.FailAfter {
			w.CloseWithError(errors.New("streamer failed mid-stream"))
			return
		}
		var piece []byte
		if e.Size > 0 {
			piece = bytes.Repeat([]byte{byte('a' + i%26)}, e.Size)
		} else {
			piece = []byte(fmt.Sprintf("chunk %d\n", i))
		}
		if _, err := w.Write(piece); err != nil {
			return
		}
		if e.DelayMs > 0 {
			time.Sleep(time.Duration(e.DelayMs) * time.Millisecond)
		}
	}
	w.Close()
}

func handler(ctx context.Context, e event) (io.Reader, error) {
	status, cookies := 200, []string(nil)
	headers := map[string]string{"Content-Type": "text/plain"}
	if e.RawPath != "" {
		status, cookies = fromQuery(&e)
		headers["X-Streamer"] = "1"
	}
	r, w := io.Pipe()
	go produce(e, w)
	if e.URL {
		return &events.LambdaFunctionURLStreamingResponse{
			StatusCode: status,
			Headers:    headers,
			Cookies:    cookies,
			Body:       r,
		}, nil
	}
	return r, nil
}

func main() {
	lambda.Start(handler)
}
