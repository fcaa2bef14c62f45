// streamer answers with a streamed response (aws-lambda-go streams a handler's io.Reader):
// event.chunks pieces of event.size bytes (or "chunk N\n" lines), event.delayMs apart, written
// into an io.Pipe. event.failAfter > 0 breaks the stream with an error after that many chunks
// (the error reaches the caller through the response's trailers); event.url wraps the body in
// events.LambdaFunctionURLStreamingResponse (the HTTP integration prelude comes first).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	r, w := io.Pipe()
	go produce(e, w)
	if e.URL {
		return &events.LambdaFunctionURLStreamingResponse{
			StatusCode: 200,
			Headers:    map[string]string{"Content-Type": "text/plain"},
			Body:       r,
		}, nil
	}
	return r, nil
}

func main() {
	lambda.Start(handler)
}
