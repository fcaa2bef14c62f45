// stress/flood writes {"mb":N} (default 20) MB of lines to stdout as fast as it can, then
// returns {"written":bytes}. {"ok":true} returns at once.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	OK bool `json:"ok"`
	MB int  `json:"mb"`
}

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	mb := e.MB
	if mb <= 0 {
		mb = 20
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	filler := strings.Repeat("x", 80)
	written := 0
	for line := 0; written < mb<<20; line++ {
		n, err := fmt.Fprintf(out, "flood %09d %s\n", line, filler)
		if err != nil {
			return nil, err
		}
		written += n
	}
	if err := out.Flush(); err != nil {
		return nil, err
	}
	return map[string]any{"written": written}, nil
}

func main() {
	lambda.Start(handler)
}
