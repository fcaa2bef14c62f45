// stress/tmpfill writes /tmp/fill until a write fails (ENOSPC at Lambda's EphemeralStorage, 512 MB
// by default) or 2 GB are written, removes the file and returns {"written":bytes,"error":"..."}.
// {"ok":true} returns at once.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

const (
	path     = "/tmp/fill"
	maxBytes = 2 << 30
)

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return map[string]any{"written": 0, "error": err.Error()}, nil
	}
	defer os.Remove(path)
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'x'
	}
	written, failure := 0, ""
	for written < maxBytes {
		n, err := f.Write(chunk)
		written += n
		if err != nil {
			failure = err.Error()
			break
		}
	}
	if err := f.Close(); err != nil && failure == "" {
		failure = err.Error()
	}
	return map[string]any{"written": written, "error": failure}, nil
}

func main() {
	lambda.Start(handler)
}
