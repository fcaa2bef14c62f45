#include "sandbox/probe.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sys/temp_dir.h"

namespace thaw::sandbox {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with its contents at the end of the test.
sys::TempDir NewTempDir() { return sys::TempDir::Create("thaw-probe-test-").value(); }

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

constexpr char kRootStatus[] =
    "Name:\tthaw\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nSeccomp:\t0\n";
constexpr char kUserStatus[] =
    "Name:\tthaw\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\nSeccomp:\t0\n";

// This machine's hybrid layout (see cgroup_test.cc).
constexpr char kHybridCgroup[] =
    "8:pids:/\n6:freezer:/\n4:memory:/process_api/06ce\n2:cpuacct:/\n1:cpu:/\n0::/\n";
constexpr char kHybridMountinfo[] =
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr char kV2Cgroup[] = "0::/thaw.scope\n";
constexpr char kV2Mountinfo[] =
    "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n";

// A host with everything thaw wants, as a fake tree; tests then take pieces away.
struct FakeHost {
  sys::TempDir tmp = NewTempDir();
  ProbeOptions options;

  explicit FakeHost(const char* status = kRootStatus) {
    const std::string& root = tmp.path();
    Write(root + "/proc/self/status", status);
    for (const char* ns : {"pid", "mnt", "ipc", "uts", "net"}) {
      Write(root + "/proc/self/ns/" + ns, "");
      Write(root + "/proc/sys/user/max_" + std::string(ns) + "_namespaces", "96365\n");
    }
    Write(root + "/proc/sys/kernel/seccomp/actions_avail",
          "kill_process kill_thread trap errno user_notif trace log allow\n");
    Write(root + "/dev/loop-control", "");
    Write(root + "/sbin/mkfs.ext4", "#!/bin/sh\n");
    fs::permissions(root + "/sbin/mkfs.ext4", fs::perms::owner_all);
    Hybrid();
    options.root = root;
    options.path_env = "/nonexistent";
    options.kernel_release = "6.18.44-fc-v657";
  }

  void Hybrid() {
    const std::string& root = tmp.path();
    Write(root + "/proc/self/cgroup", kHybridCgroup);
    Write(root + "/proc/self/mountinfo", kHybridMountinfo);
    Write(root + "/sys/fs/cgroup/unified/cgroup.controllers", "");
    for (const char* dir : {"memory/process_api/06ce", "cpu", "cpuacct", "pids", "freezer"}) {
      fs::create_directories(root + "/sys/fs/cgroup/" + dir);
    }
  }

  void PureV2(const std::string& controllers) {
    const std::string& root = tmp.path();
    Write(root + "/proc/self/cgroup", kV2Cgroup);
    Write(root + "/proc/self/mountinfo", kV2Mountinfo);
    Write(root + "/sys/fs/cgroup/thaw.scope/cgroup.controllers", controllers);
  }

  SandboxProbe Probe() const {
    StatusOr<SandboxProbe> probe = ProbeHost(options);
    EXPECT_TRUE(probe.ok()) << probe.status().ToString();
    return probe.ok() ? *probe : SandboxProbe{};
  }
};

ProbeStatus StatusOf(const SandboxProbe& probe, const std::string& feature) {
  const ProbeItem* item = probe.Find(feature);
  EXPECT_NE(item, nullptr) << feature;
  return item == nullptr ? ProbeStatus::kMissing : item->status;
}

std::string DetailOf(const SandboxProbe& probe, const std::string& feature) {
  const ProbeItem* item = probe.Find(feature);
  return item == nullptr ? "" : item->detail;
}

TEST(ProbeTest, EverythingPresentMeansFullIsolation) {
  FakeHost host;
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "privileges"), ProbeStatus::kAvailable);
  for (const char* ns :
       {"pid namespace", "mount namespace", "ipc namespace", "uts namespace", "net namespace"}) {
    EXPECT_EQ(StatusOf(probe, ns), ProbeStatus::kEnforced) << ns;
  }
  EXPECT_EQ(DetailOf(probe, "cgroups"),
            "hybrid (v1: memory cpu cpuacct pids freezer; v2 without controllers)");
  EXPECT_EQ(StatusOf(probe, "cgroup create"), ProbeStatus::kAvailable);
  EXPECT_EQ(StatusOf(probe, "memory limit"), ProbeStatus::kEnforced);
  EXPECT_NE(DetailOf(probe, "memory limit").find("v1 memory.limit_in_bytes"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "cpu limit"), ProbeStatus::kEnforced);
  EXPECT_EQ(StatusOf(probe, "pids limit"), ProbeStatus::kEnforced);
  // A fake cgroup gets no cgroup.freeze from mkdir, as on a kernel before 5.2: v1 freezer.
  EXPECT_EQ(StatusOf(probe, "freeze"), ProbeStatus::kAvailable);
  EXPECT_NE(DetailOf(probe, "freeze").find("v1 freezer.state"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "cgroup kill"), ProbeStatus::kAvailable);
  EXPECT_EQ(StatusOf(probe, "cpu accounting"), ProbeStatus::kAvailable);
  EXPECT_EQ(StatusOf(probe, "memory peak"), ProbeStatus::kAvailable);
  EXPECT_EQ(StatusOf(probe, "loop devices"), ProbeStatus::kAvailable);
  EXPECT_EQ(DetailOf(probe, "mkfs.ext4"), host.tmp.path() + "/sbin/mkfs.ext4");
  EXPECT_EQ(StatusOf(probe, "/tmp size limit"), ProbeStatus::kEnforced);
  EXPECT_EQ(StatusOf(probe, "seccomp"), ProbeStatus::kEnforced);
  EXPECT_EQ(StatusOf(probe, "no_new_privs"), ProbeStatus::kEnforced);
  EXPECT_EQ(StatusOf(probe, "clone3/pidfd"), ProbeStatus::kAvailable);
  EXPECT_TRUE(probe.FullIsolation());
  EXPECT_TRUE(probe.Degraded().empty());
  EXPECT_EQ(FormatVerdict(probe).rfind("thaw would run with full isolation", 0), 0u);
  // The probe cgroups are gone again.
  const std::string probe_dir = "/thaw-probe-" + std::to_string(::getpid());
  for (const char* position : {"unified", "pids", "freezer", "memory/process_api/06ce"}) {
    EXPECT_FALSE(fs::exists(host.tmp.path() + "/sys/fs/cgroup/" + position + probe_dir));
  }
}

TEST(ProbeTest, WithoutRootNamespacesAndMountsAreNotEnforced) {
  FakeHost host(kUserStatus);
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "privileges"), ProbeStatus::kMissing);
  EXPECT_EQ(DetailOf(probe, "privileges").rfind("uid 1000 without CAP_SYS_ADMIN", 0), 0u);
  EXPECT_EQ(StatusOf(probe, "pid namespace"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "/tmp size limit"), ProbeStatus::kNotEnforced);
  // The fake cgroup tree is writable, so cgroup limits still hold (as with v2 delegation).
  EXPECT_EQ(StatusOf(probe, "memory limit"), ProbeStatus::kEnforced);
  EXPECT_FALSE(probe.FullIsolation());
  EXPECT_EQ(FormatVerdict(probe),
            "thaw would run in degraded mode; not enforced: pid namespace, mount namespace, ipc "
            "namespace, uts namespace, net namespace, /tmp size limit");
}

TEST(ProbeTest, DisabledNamespaceTypeAndMissingKernelSupport) {
  FakeHost host;
  Write(host.tmp.path() + "/proc/sys/user/max_net_namespaces", "0\n");
  fs::remove(host.tmp.path() + "/proc/self/ns/ipc");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "net namespace"), ProbeStatus::kNotEnforced);
  EXPECT_NE(DetailOf(probe, "net namespace").find("max_net_namespaces is 0"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "ipc namespace"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "pid namespace"), ProbeStatus::kEnforced);
  EXPECT_EQ(probe.Degraded(), (std::vector<std::string>{"ipc namespace", "net namespace"}));
}

TEST(ProbeTest, SeccompNeedsKillProcessAndErrno) {
  FakeHost host;
  Write(host.tmp.path() + "/proc/sys/kernel/seccomp/actions_avail", "kill trap errno allow\n");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "seccomp"), ProbeStatus::kNotEnforced);
  EXPECT_NE(DetailOf(probe, "seccomp").find("kill_process"), std::string::npos);

  fs::remove(host.tmp.path() + "/proc/sys/kernel/seccomp/actions_avail");
  EXPECT_EQ(StatusOf(host.Probe(), "seccomp"), ProbeStatus::kNotEnforced);
}

TEST(ProbeTest, TmpLimitNeedsLoopDevicesAndMkfs) {
  FakeHost host;
  fs::remove(host.tmp.path() + "/sbin/mkfs.ext4");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "mkfs.ext4"), ProbeStatus::kMissing);
  EXPECT_EQ(StatusOf(probe, "/tmp size limit"), ProbeStatus::kNotEnforced);

  // Found through PATH too.
  Write(host.tmp.path() + "/bin/mkfs.ext4", "");
  fs::permissions(host.tmp.path() + "/bin/mkfs.ext4", fs::perms::owner_all);
  host.options.path_env = "/nonexistent:" + host.tmp.path() + "/bin";
  fs::remove(host.tmp.path() + "/dev/loop-control");
  probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "mkfs.ext4"), ProbeStatus::kAvailable);
  EXPECT_EQ(StatusOf(probe, "loop devices"), ProbeStatus::kMissing);
  EXPECT_EQ(StatusOf(probe, "/tmp size limit"), ProbeStatus::kNotEnforced);
}

TEST(ProbeTest, NoCgroupsMeansNoLimitsAndTheSigstopFallback) {
  FakeHost host;
  Write(host.tmp.path() + "/proc/self/cgroup", "0::/\n");
  Write(host.tmp.path() + "/proc/self/mountinfo", "27 1 254:0 / / rw - ext4 /dev/vda rw\n");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "cgroups"), ProbeStatus::kMissing);
  EXPECT_EQ(probe.Find("cgroup create"), nullptr);
  EXPECT_EQ(StatusOf(probe, "memory limit"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "freeze"), ProbeStatus::kMissing);
  EXPECT_NE(DetailOf(probe, "freeze").find("SIGSTOP"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "cgroup kill"), ProbeStatus::kMissing);
  EXPECT_EQ(probe.Degraded(),
            (std::vector<std::string>{"memory limit", "cpu limit", "pids limit", "freeze"}));
}

TEST(ProbeTest, CgroupCreateFailureUnenforcesEveryCgroupFeature) {
  FakeHost host;
  // The memory position is missing: mkdir fails there, so Cgroup::Create would fail.
  fs::remove_all(host.tmp.path() + "/sys/fs/cgroup/memory");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "cgroup create"), ProbeStatus::kMissing);
  EXPECT_NE(DetailOf(probe, "cgroup create").find("memory: mkdir"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "memory limit"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "pids limit"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "freeze"), ProbeStatus::kMissing);
}

TEST(ProbeTest, V2FeaturesByKernelVersionWhenNotTryingCgroups) {
  FakeHost host;
  host.PureV2("cpu memory pids\n");
  Write(host.tmp.path() + "/sys/fs/cgroup/thaw.scope/cgroup.subtree_control", "cpu memory pids\n");
  host.options.try_cgroup_create = false;
  host.options.kernel_release = "5.10.0-28-amd64";
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(DetailOf(probe, "cgroups"), "v2 (controllers: cpu memory pids)");
  EXPECT_EQ(DetailOf(probe, "cgroup create"), "not tried");
  EXPECT_EQ(DetailOf(probe, "memory limit").rfind("v2 memory.max", 0), 0u);
  EXPECT_EQ(DetailOf(probe, "freeze").rfind("v2 cgroup.freeze", 0), 0u);
  EXPECT_NE(DetailOf(probe, "cgroup kill").find("5.14"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "memory peak"), ProbeStatus::kMissing);  // 5.19+
  EXPECT_TRUE(probe.FullIsolation());

  host.options.kernel_release = "6.6.13";
  probe = host.Probe();
  EXPECT_EQ(DetailOf(probe, "cgroup kill"), "v2 cgroup.kill");
  EXPECT_NE(DetailOf(probe, "memory peak").find("not resettable"), std::string::npos);

  host.options.kernel_release = "4.19.0";
  probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "clone3/pidfd"), ProbeStatus::kMissing);
  EXPECT_EQ(StatusOf(probe, "freeze"), ProbeStatus::kMissing);  // no v1 freezer either
}

TEST(ProbeTest, V2ControllersThatCannotBeDelegated) {
  FakeHost host;
  host.PureV2("cpu memory pids\n");
  const std::string position = host.tmp.path() + "/sys/fs/cgroup/thaw.scope";
  Write(position + "/cgroup.subtree_control", "pids\n");
  Write(position + "/cgroup.procs", "1234\n");
  Write(position + "/cgroup.events", "populated 1\nfrozen 0\n");
  SandboxProbe probe = host.Probe();
  EXPECT_EQ(StatusOf(probe, "memory limit"), ProbeStatus::kNotEnforced);
  EXPECT_NE(DetailOf(probe, "memory limit").find("Delegate=yes"), std::string::npos);
  EXPECT_EQ(StatusOf(probe, "cpu limit"), ProbeStatus::kNotEnforced);
  EXPECT_EQ(StatusOf(probe, "pids limit"), ProbeStatus::kEnforced);
}

TEST(ProbeTest, UnreadableProcIsAnError) {
  ProbeOptions options;
  options.root = "/nonexistent-thaw-root";
  EXPECT_EQ(ProbeHost(options).status().code(), StatusCode::kNotFound);
}

TEST(ProbeTest, RealHostProbeRuns) {
  StatusOr<SandboxProbe> probe = ProbeHost();
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_NE(probe->Find("no_new_privs"), nullptr);
  std::printf("%s\n%s\n", FormatProbe(*probe).c_str(), FormatVerdict(*probe).c_str());
}

TEST(ProbeFormatTest, AlignedTable) {
  SandboxProbe probe;
  probe.items.push_back({"seccomp", ProbeStatus::kEnforced, "filter", true});
  probe.items.push_back({"memory limit", ProbeStatus::kNotEnforced, "no memory controller", true});
  probe.items.push_back({"mkfs.ext4", ProbeStatus::kMissing, "", false});
  EXPECT_EQ(FormatProbe(probe),
            "FEATURE       STATUS        DETAIL\n"
            "seccomp       enforced      filter\n"
            "memory limit  not enforced  no memory controller\n"
            "mkfs.ext4     missing\n");
  EXPECT_EQ(FormatVerdict(probe), "thaw would run in degraded mode; not enforced: memory limit");
  EXPECT_EQ(std::string(ProbeStatusName(ProbeStatus::kAvailable)), "available");
}

}  // namespace
}  // namespace thaw::sandbox
