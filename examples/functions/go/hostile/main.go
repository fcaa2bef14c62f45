// hostile: tries every way out of its sandbox it knows and reports each attempt as
// {attempt, outcome, refused}. tests/integration/test_hostile.py deploys it next to a victim
// function whose /tmp and environment hold a secret, passes the victim's host paths and pids
// in the event, and asserts that every attempt was refused. Harmless when run unsandboxed as
// an ordinary user; never run it unsandboxed as root.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/aws/aws-lambda-go/lambda"
)

type Event struct {
	Secret     string   `json:"secret"`      // what the victim holds; must never be read
	Paths      []string `json:"paths"`       // host paths of the victim's /tmp image, code, state
	Pids       []int    `json:"pids"`        // host pids: the server, the victim's processes
	MaxPid     int      `json:"max_pid"`     // kill(pid, 0) over 2..max_pid (default 32768)
	AllowedDev []string `json:"allowed_dev"` // what /dev may hold
}

type Attempt struct {
	Attempt string `json:"attempt"`
	Outcome string `json:"outcome"`
	Refused bool   `json:"refused"`
}

type report struct{ attempts []Attempt }

func (r *report) add(attempt string, refused bool, outcome string) {
	r.attempts = append(r.attempts, Attempt{attempt, outcome, refused})
}

// errOutcome: a failed call is refused; a successful one is not.
func (r *report) err(attempt string, err error) {
	if err != nil {
		r.add(attempt, true, describe(err))
	} else {
		r.add(attempt, false, "succeeded")
	}
}

// denied: the call must fail with exactly `want` (seccomp's answer), not merely fail.
func (r *report) denied(attempt string, errno syscall.Errno, want syscall.Errno) {
	switch {
	case errno == want:
		r.add(attempt, true, errnoName(errno))
	case errno == 0:
		r.add(attempt, false, "succeeded")
	default:
		r.add(attempt, false, fmt.Sprintf("failed with %s, not %s", errnoName(errno), errnoName(want)))
	}
}

func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{
		syscall.EPERM: "EPERM", syscall.EACCES: "EACCES", syscall.ENOENT: "ENOENT",
		syscall.EROFS: "EROFS", syscall.ESRCH: "ESRCH", syscall.ENOSYS: "ENOSYS",
		syscall.ENOTTY: "ENOTTY", syscall.EINVAL: "EINVAL", syscall.EBADF: "EBADF",
		syscall.ENXIO: "ENXIO", syscall.EFAULT: "EFAULT", syscall.EOPNOTSUPP: "EOPNOTSUPP",
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d (%s)", int(e), e.Error())
}

func describe(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errnoName(errno)
	}
	return err.Error()
}

func rawErrno(trap uintptr, args ...uintptr) syscall.Errno {
	var a [6]uintptr
	copy(a[:], args)
	_, _, errno := syscall.Syscall6(trap, a[0], a[1], a[2], a[3], a[4], a[5])
	return errno
}

// rawFd: a call that makes a file descriptor; one made is closed at once.
func rawFd(trap uintptr, args ...uintptr) syscall.Errno {
	var a [6]uintptr
	copy(a[:], args)
	r, _, errno := syscall.Syscall6(trap, a[0], a[1], a[2], a[3], a[4], a[5])
	if errno == 0 && int(r) > 2 {
		syscall.Close(int(r))
	}
	return errno
}

// ---- the terminal -----------------------------------------------------------------------

func terminal(r *report) {
	c := byte('!')
	for fd := 0; fd <= 2; fd++ {
		errno := rawErrno(sysIoctl, uintptr(fd), syscall.TIOCSTI, uintptr(unsafe.Pointer(&c)))
		r.denied(fmt.Sprintf("ioctl(%d, TIOCSTI)", fd), errno, syscall.EPERM)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		r.add("open /dev/tty", true, describe(err))
		return
	}
	defer tty.Close()
	// It opens (programs expect the node), but it is /dev/null: no terminal behind it.
	var st syscall.Stat_t
	syscall.Fstat(int(tty.Fd()), &st)
	var termios [64]byte
	errno := rawErrno(sysIoctl, tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&termios)))
	r.add("open /dev/tty", errno != 0,
		fmt.Sprintf("opened device %d:%d; TCGETS: %s", st.Rdev>>8&0xfff, st.Rdev&0xff, errnoName(errno)))
	errno = rawErrno(sysIoctl, tty.Fd(), syscall.TIOCSTI, uintptr(unsafe.Pointer(&c)))
	r.denied("ioctl(/dev/tty, TIOCSTI)", errno, syscall.EPERM)
	// A session of its own: the session leader is the sandbox's shell, pid 1 here.
	sid, _, _ := syscall.RawSyscall(syscall.SYS_GETSID, 0, 0, 0)
	r.add("share the server's session", sid == 1, fmt.Sprintf("session id %d", sid))
}

// ---- devices ----------------------------------------------------------------------------

func devices(r *report, allowed []string) {
	for _, node := range []struct {
		path       string
		mode       uint32
		major, min uint32
	}{
		{"/tmp/hostile-sda", syscall.S_IFBLK | 0600, 8, 0},
		{"/tmp/hostile-mem", syscall.S_IFCHR | 0600, 1, 1},
		{"/dev/shm/hostile-kvm", syscall.S_IFCHR | 0600, 10, 232},
	} {
		err := syscall.Mknod(node.path, node.mode, int(node.major<<8|node.min))
		r.err("mknod "+node.path, err)
		if err == nil {
			os.Remove(node.path)
		}
	}
	paths := []string{"/dev/sda", "/dev/vda", "/dev/xvda", "/dev/nvme0n1", "/dev/dm-0",
		"/dev/kvm", "/dev/net/tun", "/dev/fuse", "/dev/loop-control", "/dev/mem", "/dev/kmem",
		"/dev/port", "/dev/kmsg", "/dev/console", "/dev/tty0", "/dev/ptmx", "/dev/btrfs-control"}
	loops, _ := filepath.Glob("/dev/loop[0-9]*")
	paths = append(paths, loops...)
	if len(loops) == 0 {
		paths = append(paths, "/dev/loop0")
	}
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err == nil {
			f.Close()
		}
		r.err("open "+p, err)
	}
	entries, err := os.ReadDir("/dev")
	if err != nil {
		r.add("list /dev", true, describe(err))
		return
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var names, extra []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !ok[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	outcome := "only " + strings.Join(names, " ")
	if len(extra) > 0 {
		outcome = "host nodes visible: " + strings.Join(extra, " ")
	}
	r.add("see the host's /dev", len(allowed) > 0 && len(extra) == 0, outcome)
}

// ---- sockets ------------------------------------------------------------------------------

func dial(name string) error {
	conn, err := net.DialTimeout("unix", name, time.Second)
	if err == nil {
		conn.Close()
	}
	return err
}

func sockets(r *report) {
	// Sockets in the file system: /run holds D-Bus, journald and container runtimes' on a host.
	var found, reached []string
	for _, dir := range []string{"/run", "/var/run", "/tmp/.X11-unix"} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSocket != 0 {
				found = append(found, path)
				if dial(path) == nil {
					reached = append(reached, path)
				}
			}
			return nil
		})
	}
	r.add("connect to a host socket under /run", len(reached) == 0,
		fmt.Sprintf("sockets seen: [%s]; connected: [%s]", strings.Join(found, " "),
			strings.Join(reached, " ")))
	// Abstract sockets have no file and no permission check: only a network namespace of the
	// function's own (thaw:network=none) closes them.
	data, _ := os.ReadFile("/proc/net/unix")
	var abstract, connected []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 8 && strings.HasPrefix(fields[7], "@") {
			abstract = append(abstract, fields[7])
			if dial(fields[7]) == nil {
				connected = append(connected, fields[7])
			}
		}
	}
	r.add("connect to an abstract unix socket", len(connected) == 0,
		fmt.Sprintf("%d listed; connected: [%s]", len(abstract), strings.Join(connected, " ")))
}

// ---- cgroups -------------------------------------------------------------------------------

func cgroups(r *report) {
	// Other sandboxes' cgroups would show their memory and CPU use, and thaw's layout.
	var others []string
	filepath.WalkDir("/sys/fs/cgroup", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		// A cgroup below another one: the sandbox's own is the root of what it sees.
		_, self := os.Stat(path + "/cgroup.procs")
		_, parent := os.Stat(filepath.Dir(path) + "/cgroup.procs")
		if self == nil && parent == nil {
			others = append(others, path)
		}
		return nil
	})
	r.add("see other sandboxes' cgroups", len(others) == 0, "["+strings.Join(others, " ")+"]")
}

// ---- mounts, namespaces, other processes --------------------------------------------------

func kernel(r *report, ev Event) {
	r.err("mount tmpfs on /tmp", syscall.Mount("tmpfs", "/tmp", "tmpfs", 0, ""))
	r.err("umount /var/task", syscall.Unmount("/var/task", syscall.MNT_DETACH))
	r.err("remount / read-write", syscall.Mount("", "/", "", syscall.MS_REMOUNT|syscall.MS_BIND, ""))
	dot, _ := syscall.BytePtrFromString(".")
	r.denied("pivot_root", rawErrno(sysPivotRoot, uintptr(unsafe.Pointer(dot)),
		uintptr(unsafe.Pointer(dot))), syscall.EPERM)
	r.denied("fsopen (new mount API)", rawFd(sysFsopen, uintptr(unsafe.Pointer(dot)), 0),
		syscall.EPERM)
	r.denied("unshare(CLONE_NEWUSER)", rawErrno(syscall.SYS_UNSHARE, syscall.CLONE_NEWUSER),
		syscall.EPERM)
	r.denied("unshare(CLONE_NEWNS)", rawErrno(syscall.SYS_UNSHARE, syscall.CLONE_NEWNS),
		syscall.EPERM)
	// With CLONE_FS too, which the kernel rejects with the new user namespace: were the filter
	// missing, this fails (EINVAL) rather than forking the Go runtime behind its back.
	r.denied("clone(CLONE_NEWUSER)", rawErrno(syscall.SYS_CLONE,
		syscall.CLONE_NEWUSER|syscall.CLONE_FS|uintptr(syscall.SIGCHLD)), syscall.EPERM)
	r.denied("clone3", rawErrno(sysClone3, 0, 0), syscall.ENOSYS)
	if ns, err := os.Open("/proc/self/ns/mnt"); err == nil {
		r.denied("setns(own mount namespace)", rawErrno(sysSetns, ns.Fd(), 0), syscall.EPERM)
		ns.Close()
	} else {
		r.add("setns(own mount namespace)", true, "open: "+describe(err))
	}
	_, err := os.Open("/proc/1/ns/mnt")
	r.err("open the shell's namespaces (/proc/1/ns/mnt)", err)
	r.denied("ptrace(PTRACE_ATTACH, 1)", rawErrno(syscall.SYS_PTRACE, syscall.PTRACE_ATTACH, 1),
		syscall.EPERM)
	r.denied("ptrace(PTRACE_TRACEME)", rawErrno(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME),
		syscall.EPERM)
	var buf [16]byte
	iov := [2]uintptr{uintptr(unsafe.Pointer(&buf[0])), 16}
	r.denied("process_vm_readv(1)", rawErrno(sysProcessVmReadv, 1,
		uintptr(unsafe.Pointer(&iov)), 1, uintptr(unsafe.Pointer(&iov)), 1, 0), syscall.EPERM)
	r.err("kill(1, SIGKILL) (the shell)", syscall.Kill(1, syscall.SIGKILL))
	// kill(-1) reaches every process the caller may signal, except itself and pid 1.
	r.err("kill(-1, 0)", syscall.Kill(-1, 0))
	maxPid := ev.MaxPid
	if maxPid == 0 {
		maxPid = 32768
	}
	var visible []string
	self := os.Getpid()
	for pid := 2; pid <= maxPid; pid++ {
		if pid != self && syscall.Kill(pid, 0) == nil {
			// A thread of ours answers kill too (its tid reaches our thread group).
			if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", pid)); err != nil {
				visible = append(visible, fmt.Sprint(pid))
			}
		}
	}
	r.add(fmt.Sprintf("kill(pid, 0) for pids 2..%d", maxPid), len(visible) == 0,
		"signalable: ["+strings.Join(visible, " ")+"]")
	for _, pid := range ev.Pids {
		if pid != self {
			r.err(fmt.Sprintf("kill(%d, SIGKILL) (a host pid)", pid), syscall.Kill(pid, syscall.SIGKILL))
		}
	}

	var params [120]byte
	params[0] = 1
	r.denied("io_uring_setup", rawFd(sysIoUringSetup, 1, uintptr(unsafe.Pointer(&params))),
		syscall.EPERM)
	var attr [128]byte
	attr[0] = 2                          // BPF_MAP_TYPE_ARRAY
	attr[4], attr[8], attr[12] = 4, 4, 1 // key size, value size, entries
	r.denied("bpf(BPF_MAP_CREATE)", rawFd(sysBpf, 0, uintptr(unsafe.Pointer(&attr)), 48),
		syscall.EPERM)
	var perf [128]byte
	perf[4] = 128 // size; type 0 (hardware), config 0 (cycles)
	r.denied("perf_event_open", rawFd(sysPerfEventOpen, uintptr(unsafe.Pointer(&perf)), 0,
		^uintptr(0), ^uintptr(0), 0), syscall.EPERM)
	r.denied("keyctl(KEYCTL_GET_KEYRING_ID, session)",
		rawErrno(sysKeyctl, 0, ^uintptr(2), 1), syscall.EPERM)
	user, _ := syscall.BytePtrFromString("user")
	desc, _ := syscall.BytePtrFromString("hostile")
	r.denied("add_key", rawErrno(sysAddKey, uintptr(unsafe.Pointer(user)),
		uintptr(unsafe.Pointer(desc)), uintptr(unsafe.Pointer(desc)), 7, ^uintptr(2)), syscall.EPERM)
	r.denied("personality(READ_IMPLIES_EXEC)", rawErrno(sysPersonality, 0x0400000), syscall.EPERM)
	current, _, _ := syscall.Syscall(sysPersonality, 0xffffffff, 0, 0)
	r.add("personality is still the default", current&0x0400000 == 0,
		fmt.Sprintf("personality 0x%x", current))
	r.denied("userfaultfd", rawFd(sysUserfaultfd, syscall.O_CLOEXEC), syscall.EPERM)
	var handle [136]byte
	handle[0] = 8 // handle_bytes
	r.denied("open_by_handle_at", rawFd(sysOpenByHandleAt, ^uintptr(99),
		uintptr(unsafe.Pointer(&handle)), syscall.O_RDONLY), syscall.EPERM)
	var mount int32
	r.denied("name_to_handle_at", rawErrno(sysNameToHandleAt, ^uintptr(99),
		uintptr(unsafe.Pointer(dot)), uintptr(unsafe.Pointer(&handle)), uintptr(unsafe.Pointer(&mount)), 0),
		syscall.EPERM)
	r.denied("kexec_load", rawErrno(sysKexecLoad, 0, 0, 0, 0), syscall.EPERM)
	r.denied("kexec_file_load", rawErrno(sysKexecFileLoad, ^uintptr(0), ^uintptr(0), 0, 0, 0),
		syscall.EPERM)
	// Arguments that change nothing were the call allowed: a bad magic, the same name, no time.
	r.err("reboot", rawErrno(syscall.SYS_REBOOT, 0, 0, 0, 0))
	host, _ := os.Hostname()
	r.err("sethostname", syscall.Sethostname([]byte(host)))
	r.denied("settimeofday", rawErrno(syscall.SYS_SETTIMEOFDAY, 0, 0), syscall.EPERM)
}

// ---- files --------------------------------------------------------------------------------

func files(r *report, ev Event) {
	for _, p := range []string{"/hostile", "/etc/passwd", "/var/task/hostile", "/var/task/bootstrap",
		"/opt/hostile", "/usr/bin/hostile", "/proc/sys/kernel/core_pattern",
		"/proc/sysrq-trigger", "/sys/fs/cgroup/cgroup.procs", "/sys/kernel/uevent_helper",
		"/dev/hostile"} {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0644)
		if err == nil {
			f.Close()
		}
		r.err("write "+p, err)
	}
	// Modes and owners as they are: the permission check is the attempt.
	for _, p := range []string{"/var/task/bootstrap", "/etc/shadow", "/etc", "/proc/1/environ"} {
		if st, err := os.Stat(p); err == nil {
			r.err("chmod "+p, os.Chmod(p, st.Mode().Perm()))
		}
	}
	r.err("chown /tmp to root", os.Chown("/tmp", 0, 0))
	r.err("chown /var/task to us", os.Chown("/var/task", os.Getuid(), os.Getgid()))
	if f, err := os.Create("/tmp/hostile-file"); err == nil {
		f.Close()
		r.err("chown a file of ours to root", os.Chown("/tmp/hostile-file", 0, 0))
		os.Remove("/tmp/hostile-file")
	}
	r.err("setuid(0)", syscall.Setuid(0))
	r.err("setgid(0)", syscall.Setgid(0))
	r.err("setgroups([0])", syscall.Setgroups([]int{0}))

	// Setuid binaries run as us: the tree is nosuid and no_new_privs is set.
	for _, bin := range []string{"/usr/bin/mount", "/bin/mount", "/usr/bin/su", "/usr/bin/sudo",
		"/usr/bin/passwd", "/usr/bin/newgrp"} {
		st, err := os.Stat(bin)
		if err != nil || st.Mode()&os.ModeSetuid == 0 {
			continue
		}
		var fs syscall.Statfs_t
		syscall.Statfs(bin, &fs)
		nosuid := fs.Flags&2 != 0 // ST_NOSUID
		if !strings.HasSuffix(bin, "/mount") {
			r.add("setuid "+bin, nosuid, fmt.Sprintf("on a nosuid mount: %v", nosuid))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, runErr := exec.CommandContext(ctx, bin, "-t", "tmpfs", "none", "/tmp").CombinedOutput()
		cancel()
		text := strings.TrimSpace(string(out))
		if len(text) > 120 {
			text = text[:120]
		}
		r.add("run setuid "+bin+" -t tmpfs none /tmp", nosuid && runErr != nil,
			fmt.Sprintf("nosuid=%v, exit: %v, output: %q", nosuid, runErr, text))
	}
	nnp := ""
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "NoNewPrivs:") {
				nnp = strings.TrimSpace(strings.TrimPrefix(line, "NoNewPrivs:"))
			}
		}
	}
	r.add("gain privileges through exec", nnp == "1", "NoNewPrivs: "+nnp)

	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	raised := syscall.Rlimit{Cur: lim.Max + 1024, Max: lim.Max + 1024}
	r.err(fmt.Sprintf("raise RLIMIT_NOFILE past %d", lim.Max),
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised))
	const rlimitNproc = 6
	syscall.Getrlimit(rlimitNproc, &lim)
	if lim.Max != ^uint64(0) {
		raised = syscall.Rlimit{Cur: lim.Max + 1, Max: lim.Max + 1}
		r.err("raise RLIMIT_NPROC", syscall.Setrlimit(rlimitNproc, &raised))
	}
}

// ---- another function's secrets -----------------------------------------------------------

// read reports whether `path` could be read and held the secret.
func (r *report) read(attempt, path, secret string) {
	f, err := os.Open(path)
	if err != nil {
		r.add(attempt, true, describe(err))
		return
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	total := 0
	for total < 64<<20 {
		n, err := f.Read(buf)
		if n > 0 && bytes.Contains(buf[:n], []byte(secret)) {
			r.add(attempt, false, "read the secret")
			return
		}
		total += n
		if err != nil {
			break
		}
	}
	r.add(attempt, true, fmt.Sprintf("opened, %d bytes, no secret", total))
}

func secrets(r *report, ev Event) {
	if ev.Secret == "" {
		r.add("the victim's secret", false, "no secret given in the event")
		return
	}
	for _, p := range ev.Paths {
		r.read("read "+p, p, ev.Secret)
		r.read("read "+p+" via /proc/self/root", "/proc/self/root"+p, ev.Secret)
		entries, err := os.ReadDir(p)
		if err == nil {
			names := []string{}
			for _, e := range entries {
				names = append(names, e.Name())
			}
			r.add("list "+p, !strings.Contains(strings.Join(names, "/"), ev.Secret),
				fmt.Sprintf("%d entries", len(names)))
		}
	}
	for _, pid := range ev.Pids {
		for _, what := range []string{"environ", "cmdline", "root/tmp", "cwd"} {
			p := fmt.Sprintf("/proc/%d/%s", pid, what)
			r.read("read "+p, p, ev.Secret)
		}
	}
	// Every process this sandbox can see: its environment and its /tmp.
	procs, _ := filepath.Glob("/proc/[0-9]*")
	found := []string{}
	for _, p := range procs {
		for _, what := range []string{"/environ", "/cmdline"} {
			data, err := os.ReadFile(p + what)
			if err == nil && bytes.Contains(data, []byte(ev.Secret)) {
				found = append(found, p+what)
			}
		}
		if entries, err := os.ReadDir(p + "/root/tmp"); err == nil {
			for _, e := range entries {
				if strings.Contains(e.Name(), ev.Secret) {
					found = append(found, p+"/root/tmp/"+e.Name())
				}
			}
		}
	}
	r.add(fmt.Sprintf("find the secret through /proc (%d processes)", len(procs)), len(found) == 0,
		"found in ["+strings.Join(found, " ")+"]")
	if entries, err := os.ReadDir("/tmp"); err == nil {
		mine := []string{}
		for _, e := range entries {
			mine = append(mine, e.Name())
		}
		r.add("find the secret in our own /tmp", !strings.Contains(strings.Join(mine, "/"), ev.Secret),
			"/tmp holds ["+strings.Join(mine, " ")+"]")
	}
	r.add("find the secret in our own environment",
		!strings.Contains(strings.Join(os.Environ(), "\n"), ev.Secret), "")
}

func handle(ev Event) ([]Attempt, error) {
	r := &report{}
	terminal(r)
	devices(r, ev.AllowedDev)
	sockets(r)
	cgroups(r)
	kernel(r, ev)
	files(r, ev)
	secrets(r, ev)
	return r.attempts, nil
}

func main() { lambda.Start(handle) }
