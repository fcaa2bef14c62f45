// stress/forkbomb starts child processes (itself again, as a sleeper) until starting one fails,
// then kills them and returns {"started":N,"error":"..."}. Under Lambda's limit of 1,024
// processes and threads the error is EAGAIN; the cap ends it on a host without one.
// {"ok":true} returns at once.
package main

import (
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

const (
	childEnv    = "THAW_STRESS_FORKBOMB_CHILD"
	maxChildren = 2000
)

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	env := append(os.Environ(), childEnv+"=1", "GOMAXPROCS=1")
	var children []*exec.Cmd
	failure := ""
	for len(children) < maxChildren {
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			failure = err.Error()
			break
		}
		children = append(children, cmd)
	}
	for _, c := range children {
		c.Process.Kill()
		c.Wait()
	}
	return map[string]any{"started": len(children), "error": failure}, nil
}

func main() {
	if os.Getenv(childEnv) == "1" {
		time.Sleep(30 * time.Second)
		return
	}
	lambda.Start(handler)
}
