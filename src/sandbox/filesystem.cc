#include "sandbox/filesystem.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "sys/unique_fd.h"

namespace thaw::sandbox {

namespace {

Status MountErr(const char* what, const std::string& target) {
  return ErrnoStatus(what, target, errno);
}

Status Mount(const char* source, const std::string& target, const char* type, unsigned long flags,
             const char* data = nullptr) {
  if (mount(source, target.c_str(), type, flags, data) != 0) return MountErr("mount", target);
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return MountErr("mkdir", path);
  return Status::Ok();
}

// The only device nodes a function gets: bound from the host's, so they are the real ones.
// /dev/tty is /dev/null: a function has no terminal, and must not reach the operator's.
constexpr const char* kDevices[][2] = {
    {"null", "/dev/null"},     {"zero", "/dev/zero"},       {"full", "/dev/full"},
    {"random", "/dev/random"}, {"urandom", "/dev/urandom"}, {"tty", "/dev/null"},
};

// /dev: a small tmpfs instead of the host's (block devices, kvm, tun, fuse, loop devices), with
// mount points for kDevices, /dev/shm and the usual links. Made read-only with the rest.
Status MakeDevDir(const std::string& dev) {
  // The host's /dev (and its submounts) leave this namespace's copy of the tree altogether.
  if (umount2(dev.c_str(), MNT_DETACH) != 0 && errno != EINVAL) return MountErr("umount2", dev);
  THAW_RETURN_IF_ERROR(Mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                             "size=16k,nr_inodes=32,mode=0755"));
  for (const auto& device : kDevices) {
    const std::string target = dev + "/" + device[0];
    int fd = open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) return MountErr("open", target);
    close(fd);
  }
  THAW_RETURN_IF_ERROR(MakeDir(dev + "/shm"));
  constexpr const char* kLinks[][2] = {{"/proc/self/fd", "fd"},
                                       {"/proc/self/fd/0", "stdin"},
                                       {"/proc/self/fd/1", "stdout"},
                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& link : kLinks) {
    const std::string target = dev + "/" + link[1];
    if (symlink(link[0], target.c_str()) != 0) return MountErr("symlink", target);
  }
  return Status::Ok();
}

// /run: an empty tmpfs instead of the host's, whose sockets (D-Bus, journald, container
// runtimes) a function has no business reaching. When /etc/resolv.conf is a link into /run
// (systemd-resolved, resolvconf), that one file is kept, so names still resolve.
Status HideRun(const std::string& root) {
  const std::string run = root + "/run";
  struct stat st {};
  if (lstat(run.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::Ok();
  if (umount2(run.c_str(), MNT_DETACH) != 0 && errno != EINVAL) return MountErr("umount2", run);
  THAW_RETURN_IF_ERROR(Mount("tmpfs", run, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             "size=16k,nr_inodes=64,mode=0755"));
  char real[PATH_MAX];
  if (realpath("/etc/resolv.conf", real) == nullptr) return Status::Ok();
  const std::string resolv = real;
  if (resolv.rfind("/run/", 0) != 0) return Status::Ok();
  for (size_t slash = resolv.find('/', 5); slash != std::string::npos;
       slash = resolv.find('/', slash + 1)) {
    THAW_RETURN_IF_ERROR(MakeDir(root + resolv.substr(0, slash)));
  }
  const std::string target = root + resolv;
  int fd = open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return MountErr("open", target);
  close(fd);
  return Mount(resolv.c_str(), target, nullptr, MS_BIND);
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t end; (end = text.find(sep, start)) != std::string::npos; start = end + 1) {
    parts.push_back(text.substr(start, end - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::string ReadSmallFile(const char* path) {
  std::string text;
  sys::UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return text;
  char buf[4096];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, buf + n);
  return text;
}

// /sys/fs/cgroup: the host's shows every sandbox's cgroup (and so their memory and CPU use).
// Replaced by the sandbox's own hierarchies, mounted from within its cgroup namespace; a
// hierarchy that does not mount is left out.
Status HideCgroups(const std::string& root, const std::vector<CgroupMount>& mounts) {
  const std::string dir = root + "/sys/fs/cgroup";
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::Ok();
  if (umount2(dir.c_str(), MNT_DETACH) != 0 && errno != EINVAL) return MountErr("umount2", dir);
  bool direct = false;  // pure v2: /sys/fs/cgroup is the hierarchy itself
  for (const CgroupMount& m : mounts) direct = direct || m.point == "/sys/fs/cgroup";
  if (!direct) {
    THAW_RETURN_IF_ERROR(Mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               "size=4k,nr_inodes=32,mode=0755"));
  }
  for (const CgroupMount& m : mounts) {
    const std::string target = root + m.point;
    if (!direct) THAW_RETURN_IF_ERROR(MakeDir(target));
    if (mount(m.type.c_str(), target.c_str(), m.type.c_str(), MS_NOSUID | MS_NODEV | MS_NOEXEC,
              m.options.c_str()) != 0 &&
        !direct) {
      rmdir(target.c_str());
    }
  }
  return Status::Ok();
}

// After the tree became read-only and nodev: the device nodes (bind mounts keep the host /dev's
// flags, so they open), read-only, and a writable /dev/shm.
Status BindDevices(const std::string& dev) {
  for (const auto& device : kDevices) {
    const std::string target = dev + "/" + device[0];
    THAW_RETURN_IF_ERROR(Mount(device[1], target, nullptr, MS_BIND));
    THAW_RETURN_IF_ERROR(
        Mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC));
  }
  return Mount("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
}

}  // namespace

std::vector<CgroupMount> OwnCgroupMounts() {
  return ParseOwnCgroupMounts(ReadSmallFile("/proc/self/cgroup"),
                              ReadSmallFile("/proc/self/mountinfo"));
}

std::vector<CgroupMount> ParseOwnCgroupMounts(const std::string& proc_cgroup,
                                              const std::string& mountinfo) {
  // Controllers (or "" for v2) of the hierarchies where we are in a sandbox's cgroup.
  std::vector<std::vector<std::string>> own;
  for (const std::string& line : Split(proc_cgroup, '\n')) {
    std::vector<std::string> f = Split(line, ':');
    if (f.size() < 3 || f[2].find("/thaw/i") == std::string::npos) continue;
    own.push_back(f[1].empty() ? std::vector<std::string>{} : Split(f[1], ','));
  }
  std::vector<CgroupMount> mounts;
  for (const std::string& line : Split(mountinfo, '\n')) {
    std::vector<std::string> f = Split(line, ' ');
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 3 >= f.size()) continue;
    const std::string& point = f[4];
    const std::string& type = f[dash + 1];
    if (point.rfind("/sys/fs/cgroup", 0) != 0 || (type != "cgroup" && type != "cgroup2")) continue;
    // Mount options again, but not rw/ro, nor release_agent (refused inside a cgroup namespace).
    std::vector<std::string> options;
    for (const std::string& o : Split(f[dash + 3], ',')) {
      if (o != "rw" && o != "ro" && o.rfind("release_agent=", 0) != 0) options.push_back(o);
    }
    for (const auto& controllers : own) {
      bool match = type == "cgroup2" ? controllers.empty() : !controllers.empty();
      for (const std::string& c : controllers) {
        match = match && std::find(options.begin(), options.end(), c) != options.end();
      }
      if (!match) continue;
      std::string joined;
      for (const std::string& o : options) joined += (joined.empty() ? "" : ",") + o;
      mounts.push_back({point, type, joined});
      break;
    }
  }
  return mounts;
}

std::string FindMke2fs() {
  for (const char* p : {"/usr/sbin/mke2fs", "/sbin/mke2fs"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

Status CreateTmpImage(const std::string& path, int64_t mb, uid_t uid, gid_t gid) {
  std::string mkfs = FindMke2fs();
  if (mkfs.empty()) return Status::NotFound("mke2fs not found (install e2fsprogs)");
  std::string partial = path + ".new";
  {
    sys::UniqueFd fd(open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return MountErr("open", partial);
    if (ftruncate(fd.get(), mb * 1024 * 1024) != 0) return MountErr("ftruncate", partial);
  }
  // No journal (a scratch disk that dies with its environment), lazy inode tables, no reserved
  // blocks: the whole size is the function's, and formatting takes a few milliseconds.
  std::string owner = "root_owner=" + std::to_string(uid) + ":" + std::to_string(gid) +
                      ",lazy_itable_init=1,nodiscard";
  pid_t pid = fork();
  if (pid < 0) return MountErr("fork", mkfs);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    execl(mkfs.c_str(), mkfs.c_str(), "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0",
          "-E", owner.c_str(), partial.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    unlink(partial.c_str());
    return Status::Internal("mke2fs failed for " + partial);
  }
  if (rename(partial.c_str(), path.c_str()) != 0) return MountErr("rename", path);
  return Status::Ok();
}

Status CopySparse(const std::string& from, const std::string& to) {
  sys::UniqueFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return MountErr("open", from);
  std::string partial = to + ".new";
  sys::UniqueFd out(open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) return MountErr("open", partial);
  struct stat st {};
  if (fstat(in.get(), &st) != 0) return MountErr("fstat", from);
  if (ftruncate(out.get(), st.st_size) != 0) return MountErr("ftruncate", partial);
  off_t pos = 0;
  while (pos < st.st_size) {
    off_t data = lseek(in.get(), pos, SEEK_DATA);
    if (data < 0) break;  // ENXIO: only a hole is left
    off_t hole = lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) hole = st.st_size;
    loff_t src = data, dst = data;
    while (src < hole) {
      ssize_t n =
          copy_file_range(in.get(), &src, out.get(), &dst, static_cast<size_t>(hole - src), 0);
      if (n <= 0) return MountErr("copy_file_range", partial);
    }
    pos = hole;
  }
  if (rename(partial.c_str(), to.c_str()) != 0) return MountErr("rename", to);
  return Status::Ok();
}

Status MountImage(const std::string& image, const std::string& target) {
  sys::UniqueFd file(open(image.c_str(), O_RDWR | O_CLOEXEC));
  if (!file.valid()) return MountErr("open", image);
  sys::UniqueFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) return MountErr("open", "/dev/loop-control");
  for (int attempt = 0; attempt < 32; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return MountErr("LOOP_CTL_GET_FREE", "/dev/loop-control");
    std::string dev = "/dev/loop" + std::to_string(n);
    sys::UniqueFd loop(open(dev.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop.valid()) {
      if (errno == ENOENT) continue;  // udev/devtmpfs has not made the node yet
      return MountErr("open", dev);
    }
    loop_config config{};
    config.fd = static_cast<uint32_t>(file.get());
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    if (ioctl(loop.get(), LOOP_CONFIGURE, &config) != 0) {
      if (errno == EBUSY) continue;  // another sandbox took it first
      return MountErr("LOOP_CONFIGURE", dev);
    }
    // The mount holds the device; closing ours leaves it attached until the last unmount.
    return Mount(dev.c_str(), target, "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME);
  }
  return Status::ResourceExhausted("no free loop device");
}

Status BuildBaseFs(const FsSpec& spec) {
  const std::string& root = spec.new_root;
  // Nothing done here may propagate back to the host.
  THAW_RETURN_IF_ERROR(Mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE));
  THAW_RETURN_IF_ERROR(Mount("/", root, nullptr, MS_BIND | MS_REC));
  for (const std::string& dir : spec.hidden) {
    THAW_RETURN_IF_ERROR(Mount("tmpfs", root + dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               "size=4k,nr_inodes=1,mode=0"));
  }
  THAW_RETURN_IF_ERROR(
      Mount("tmpfs", root + "/var", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755"));
  THAW_RETURN_IF_ERROR(MakeDir(root + "/var/task"));
  THAW_RETURN_IF_ERROR(MakeDir(root + "/var/tmp"));
  // A managed runtime's tree is bound over it in FinishFs.
  THAW_RETURN_IF_ERROR(MakeDir(root + "/var/runtime"));
  if (!spec.host_binary.empty()) {
    // The mechanisms' host must be reachable even when thaw itself lives under a hidden or
    // private path (a checkout in /tmp): a file bind, not the host's path.
    const std::string target = root + "/var/runtime/thaw-host";
    int fd = open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0555);
    if (fd < 0) return MountErr("open", target);
    close(fd);
    THAW_RETURN_IF_ERROR(Mount(spec.host_binary.c_str(), target, nullptr, MS_BIND));
  }
  THAW_RETURN_IF_ERROR(
      Mount("tmpfs", root + "/opt", "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755"));
  THAW_RETURN_IF_ERROR(MakeDevDir(root + "/dev"));
  THAW_RETURN_IF_ERROR(HideRun(root));
  THAW_RETURN_IF_ERROR(HideCgroups(root, spec.cgroups));
  // Everything so far becomes read-only, recursively, and no device node in it opens; /dev's
  // few nodes, /dev/shm, /var/task, /tmp and /proc come after.
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (mount_setattr(AT_FDCWD, root.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return MountErr("mount_setattr", root);
  }
  return BindDevices(root + "/dev");
}

Status MountTmp(const FsSpec& spec) {
  const std::string target = spec.new_root + "/tmp";
  if (!spec.tmp_image.empty()) {
    struct stat st {};
    if (stat(spec.tmp_image.c_str(), &st) != 0) {
      THAW_RETURN_IF_ERROR(CreateTmpImage(spec.tmp_image, spec.tmp_mb, spec.uid, spec.gid));
    }
    return MountImage(spec.tmp_image, target);
  }
  if (!spec.tmp_dir.empty()) {
    THAW_RETURN_IF_ERROR(Mount(spec.tmp_dir.c_str(), target, nullptr, MS_BIND));
  }
  return Status::Ok();
}

namespace {
int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
}  // namespace

Status FinishFs(const FsSpec& spec, std::string* timings) {
  const std::string& root = spec.new_root;
  const std::string task = root + "/var/task";
  int64_t t0 = NowUs();
  auto lap = [&](const char* what) {
    if (!timings) return;
    int64_t now = NowUs();
    *timings += std::string(what) + "=" + std::to_string(now - t0) + "us ";
    t0 = now;
  };
  THAW_RETURN_IF_ERROR(Mount(spec.code_dir.c_str(), task, nullptr, MS_BIND));
  THAW_RETURN_IF_ERROR(
      Mount(nullptr, task, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV));
  lap("task");
  if (!spec.opt_dir.empty()) {
    const std::string opt = root + "/opt";
    THAW_RETURN_IF_ERROR(Mount(spec.opt_dir.c_str(), opt, nullptr, MS_BIND));
    THAW_RETURN_IF_ERROR(
        Mount(nullptr, opt, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV));
    lap("opt");
  }
  if (!spec.runtime_dir.empty()) {
    // Over /var/runtime, hiding thaw-host: a managed runtime runs its own bootstrap.
    const std::string runtime = root + "/var/runtime";
    THAW_RETURN_IF_ERROR(Mount(spec.runtime_dir.c_str(), runtime, nullptr, MS_BIND));
    THAW_RETURN_IF_ERROR(
        Mount(nullptr, runtime, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV));
    lap("runtime");
  }
  THAW_RETURN_IF_ERROR(
      Mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  lap("proc");
  if (chdir(root.c_str()) != 0) return MountErr("chdir", root);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return MountErr("pivot_root", root);
  lap("pivot");
  // The old root is stacked under the new one; detach it.
  if (umount2(".", MNT_DETACH) != 0) return MountErr("umount2", "old root");
  if (chdir("/") != 0) return MountErr("chdir", "/");
  lap("detach");
  return Status::Ok();
}

}  // namespace thaw::sandbox
