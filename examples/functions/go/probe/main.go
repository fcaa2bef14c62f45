// probe: looks at its own sandbox from the inside and tries to get out of it. Each event names
// one action; the result says what happened, with the exact error text, so tests can assert
// the denial. Used by the isolation tests; harmless on a host without a sandbox.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type Event struct {
	Action string `json:"action"`
	Path   string `json:"path"`
	Pid    int    `json:"pid"`
	Addr   string `json:"addr"`
}

type Result struct {
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
	Errno  string   `json:"errno,omitempty"`
	Text   string   `json:"text,omitempty"`
	Values []string `json:"values,omitempty"`
	Number int64    `json:"number,omitempty"`
}

func fail(err error) Result {
	r := Result{Error: err.Error()}
	var errno syscall.Errno
	if e, ok := err.(*os.PathError); ok {
		err = e.Err
	}
	if e, ok := err.(*os.SyscallError); ok {
		err = e.Err
	}
	if e, ok := err.(syscall.Errno); ok {
		errno = e
		r.Errno = errnoName(errno)
	}
	return r
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EPERM:
		return "EPERM"
	case syscall.EACCES:
		return "EACCES"
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EROFS:
		return "EROFS"
	case syscall.ESRCH:
		return "ESRCH"
	case syscall.ENOSPC:
		return "ENOSPC"
	case syscall.ENOSYS:
		return "ENOSYS"
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	}
	return fmt.Sprintf("errno %d", int(e))
}

func status(field string) string {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			return strings.TrimSpace(strings.TrimPrefix(line, field+":"))
		}
	}
	return ""
}

func handle(ctx context.Context, ev Event) (Result, error) {
	switch ev.Action {
	case "identity":
		host, _ := os.Hostname()
		return Result{OK: true, Values: []string{
			fmt.Sprintf("uid=%d", os.Getuid()), fmt.Sprintf("gid=%d", os.Getgid()),
			fmt.Sprintf("pid=%d", os.Getpid()), "CapEff=" + status("CapEff"),
			"CapBnd=" + status("CapBnd"), "NoNewPrivs=" + status("NoNewPrivs"),
			"Seccomp=" + status("Seccomp"), "hostname=" + host,
		}}, nil
	case "read":
		data, err := os.ReadFile(ev.Path)
		if err != nil {
			return fail(err), nil
		}
		if len(data) > 4096 {
			data = data[:4096]
		}
		return Result{OK: true, Text: string(data)}, nil
	case "list":
		entries, err := os.ReadDir(ev.Path)
		if err != nil {
			return fail(err), nil
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return Result{OK: true, Values: names}, nil
	case "write":
		err := os.WriteFile(ev.Path, []byte("probe"), 0644)
		if err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "kill":
		if err := syscall.Kill(ev.Pid, syscall.SIGKILL); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "mount":
		if err := syscall.Mount("tmpfs", "/tmp", "tmpfs", 0, ""); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "ptrace":
		if err := syscall.PtraceAttach(ev.Pid); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "unshare":
		if err := syscall.Unshare(syscall.CLONE_NEWNS); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "setuid0":
		if err := syscall.Setuid(0); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "connect":
		conn, err := net.DialTimeout("tcp", ev.Addr, 2*time.Second)
		if err != nil {
			return fail(err), nil
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprintf(conn, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		if err != nil {
			return fail(err), nil
		}
		return Result{OK: true, Text: string(buf[:n])}, nil
	case "statfs":
		var st syscall.Statfs_t
		if err := syscall.Statfs(ev.Path, &st); err != nil {
			return fail(err), nil
		}
		return Result{OK: true, Number: int64(st.Blocks) * st.Bsize}, nil
	case "touch-tmp":
		// Leaves a file in /tmp for the next environment incarnation to find.
		if err := os.WriteFile("/tmp/"+ev.Path, []byte("kept"), 0644); err != nil {
			return fail(err), nil
		}
		return Result{OK: true}, nil
	case "fill-tmp":
		// Pid megabytes of data in /tmp/<path>, left there (the image's blocks on the host).
		chunk := make([]byte, 1<<20)
		for i := range chunk {
			chunk[i] = 'x'
		}
		f, err := os.Create("/tmp/" + ev.Path)
		if err != nil {
			return fail(err), nil
		}
		defer f.Close()
		for i := 0; i < ev.Pid; i++ {
			if _, err := f.Write(chunk); err != nil {
				return fail(err), nil
			}
		}
		if err := f.Sync(); err != nil {
			return fail(err), nil
		}
		return Result{OK: true, Number: int64(ev.Pid) << 20}, nil
	case "crash":
		os.Exit(3)
	case "burn":
		// Busy for Pid milliseconds of wall time; the CPU it gets depends on MemorySize.
		end := time.Now().Add(time.Duration(ev.Pid) * time.Millisecond)
		n := int64(0)
		for time.Now().Before(end) {
			n++
		}
		return Result{OK: true, Number: n}, nil
	case "spin":
		// A child process and a busy loop: both must be gone soon after the timeout.
		cmd := exec.Command("/bin/sleep", "600")
		if err := cmd.Start(); err != nil {
			return fail(err), nil
		}
		for {
		}
	}
	return Result{}, fmt.Errorf("unknown action %q", ev.Action)
}

func main() { lambda.Start(handle) }
