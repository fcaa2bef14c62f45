#include "lambda/managed_runtime.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "sys/temp_dir.h"

namespace thaw::lambda {
namespace {

void WriteExecutable(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  chmod(path.c_str(), 0755);
}

// A fake runtime tree whose "interpreter" is a shell script printing `output` with `code`.
sys::TempDir FakeTree(const std::string& output, int code) {
  auto dir = sys::TempDir::Create("managed-runtime-");
  EXPECT_TRUE(dir.ok());
  mkdir((dir->path() + "/bin").c_str(), 0755);
  WriteExecutable(dir->path() + "/bootstrap", "#!/bin/sh\n");
  WriteExecutable(dir->path() + "/bin/python3",
                  "#!/bin/sh\necho '" + output + "'\nexit " + std::to_string(code) + "\n");
  return std::move(*dir);
}

TEST(ManagedRuntimeTest, PythonIdsAreManaged) {
  EXPECT_EQ(ManagedFamily("python3.12"), "python");
  EXPECT_EQ(ManagedFamily("python3.8"), "python");
  EXPECT_EQ(ManagedFamily("python2.7"), "");
  EXPECT_EQ(ManagedFamily("provided.al2023"), "");
  EXPECT_EQ(ManagedFamily("go1.x"), "");
}

TEST(ManagedRuntimeTest, NodejsIdsAreManaged) {
  EXPECT_EQ(ManagedFamily("nodejs20.x"), "nodejs");
  EXPECT_EQ(ManagedFamily("nodejs24.x"), "nodejs");
  EXPECT_EQ(ManagedFamily("nodejs4.3-edge"), "nodejs");
  EXPECT_EQ(ManagedFamily("nodejs"), "nodejs");
  std::vector<std::string> ids = ManagedRuntimeIds("nodejs");
  for (const char* id : {"nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10",
                         "nodejs10.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"}) {
    EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 1) << id;
  }
  EXPECT_EQ(ids.back(), "nodejs24.x");
  for (const std::string& id : ids) EXPECT_EQ(ManagedFamily(id), "nodejs") << id;
}

TEST(ManagedRuntimeTest, IdsComeFromTheRuntimeEnum) {
  std::vector<std::string> ids = ManagedRuntimeIds("python");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "python3.12"), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "python2.7"), 0);
  EXPECT_TRUE(ManagedRuntimeIds("cobol").empty());
}

TEST(ManagedRuntimeTest, ProbeReadsTheInterpretersVersion) {
  sys::TempDir tree = FakeTree("3.11.2", 0);
  ManagedRuntime r = ProbePython(tree.path());
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.version, "3.11.2");
  EXPECT_EQ(r.family, "python");
  EXPECT_EQ(ManagedRuntimeVersion(r), "python:3.11.v1");
}

// The server probes after it listens, and asio's sockets are not close-on-exec: the probe must
// hold none of the server's descriptors (a port kept by a probe fails a restart after kill -9).
TEST(ManagedRuntimeTest, ProbeInheritsNoDescriptors) {
  int leaky = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as an asio socket
  ASSERT_GE(leaky, 3);
  sys::TempDir tree = FakeTree("3.11.2", 0);
  WriteExecutable(tree.path() + "/bin/python3",
                  "#!/bin/sh\nif [ -e /proc/$$/fd/" + std::to_string(leaky) +
                      " ]; then echo inherited; else echo 3.11.2; fi\n");
  ManagedRuntime r = ProbePython(tree.path());
  close(leaky);
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.version, "3.11.2");
}

TEST(ManagedRuntimeTest, ProbeSaysWhyATreeCannotRun) {
  ManagedRuntime missing = ProbePython("/nonexistent/thaw/python");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.problem.find("no runtime tree at /nonexistent/thaw/python"), std::string::npos);
  EXPECT_NE(missing.problem.find("setup-python-runtime.sh"), std::string::npos);

  sys::TempDir broken = FakeTree("ModuleNotFoundError: No module named awslambdaric", 1);
  ManagedRuntime r = ProbePython(broken.path());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.problem.find("No module named awslambdaric"), std::string::npos) << r.problem;
  EXPECT_EQ(r.version, "");

  sys::TempDir garbled = FakeTree("hello", 0);
  EXPECT_FALSE(ProbePython(garbled.path()).ok());
}

// A fake Node tree: bin/node prints `output` and exits with `code`; `client` says whether the
// client's addon is there (the fake node fails as node would when it is not).
sys::TempDir FakeNodeTree(const std::string& output, int code, bool client = true) {
  auto dir = sys::TempDir::Create("managed-node-");
  EXPECT_TRUE(dir.ok());
  const std::string root = dir->path();
  mkdir((root + "/bin").c_str(), 0755);
  WriteExecutable(root + "/bootstrap", "#!/bin/sh\n");
  if (client) {
    mkdir((root + "/node_modules").c_str(), 0755);
    mkdir((root + "/node_modules/aws-lambda-ric").c_str(), 0755);
    mkdir((root + "/node_modules/aws-lambda-ric/dist").c_str(), 0755);
    std::ofstream(root + "/node_modules/aws-lambda-ric/dist/rapid-client.node") << "";
  }
  // $1 is "-e", $2 the probe, $3 the first addon's path.
  WriteExecutable(root + "/bin/node",
                  "#!/bin/sh\n[ -f \"$3\" ] || { echo \"Error: Cannot find module '$3'\"; "
                  "exit 1; }\necho '" +
                      output + "'\nexit " + std::to_string(code) + "\n");
  return std::move(*dir);
}

TEST(ManagedRuntimeTest, NodeProbeReadsNodesVersion) {
  sys::TempDir tree = FakeNodeTree("22.23.5", 0);
  ManagedRuntime r = ProbeNode(tree.path());
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.family, "nodejs");
  EXPECT_EQ(r.version, "22.23.5");
  EXPECT_EQ(ManagedRuntimeVersion(r), "nodejs:22.v1");
}

TEST(ManagedRuntimeTest, NodeProbeSaysWhyATreeCannotRun) {
  ManagedRuntime missing = ProbeNode("/nonexistent/thaw/nodejs");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.problem.find("no runtime tree at /nonexistent/thaw/nodejs"), std::string::npos);
  EXPECT_NE(missing.problem.find("setup-node-runtime.sh"), std::string::npos);

  sys::TempDir no_client = FakeNodeTree("22.23.5", 0, /*client=*/false);
  ManagedRuntime r = ProbeNode(no_client.path());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.problem.find("Cannot find module"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("rapid-client.node"), std::string::npos) << r.problem;

  sys::TempDir garbled = FakeNodeTree("hello", 0);
  EXPECT_FALSE(ProbeNode(garbled.path()).ok());
}

TEST(ManagedRuntimeTest, NodeVersionNoteSaysWhatReallyRuns) {
  ManagedRuntime host{"nodejs", "/rt/nodejs", "22.23.5", ""};
  EXPECT_EQ(VersionNote("nodejs22.x", host), "");
  EXPECT_EQ(VersionNote("nodejs20.x", host),
            "nodejs20.x runs on the host's Node.js 22.23.5 (INIT_START says nodejs:22)");
  EXPECT_EQ(ManagedRuntimeVersion({"nodejs", "", "24.1.0", ""}), "nodejs:24.v1");
  ManagedRuntime missing{"nodejs", "/rt/nodejs", "", "no runtime tree at /rt/nodejs"};
  EXPECT_EQ(CheckRuntimeAvailable("nodejs20.x", &missing).message(),
            "The runtime parameter of nodejs20.x is not available on this host: no runtime tree "
            "at /rt/nodejs.");
  EXPECT_TRUE(CheckRuntimeAvailable("nodejs20.x", &host).ok());
}

TEST(ManagedRuntimeTest, CreateIsRefusedWhenTheRuntimeCannotRun) {
  ManagedRuntime ready{"python", "/rt/python", "3.12.1", ""};
  ManagedRuntime missing{"python", "/rt/python", "", "no runtime tree at /rt/python"};
  EXPECT_TRUE(CheckRuntimeAvailable("python3.12", &ready).ok());
  EXPECT_TRUE(CheckRuntimeAvailable("provided.al2023", nullptr).ok());
  Status s = CheckRuntimeAvailable("python3.12", &missing);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "The runtime parameter of python3.12 is not available on this host: no runtime tree "
            "at /rt/python.");
  EXPECT_EQ(CheckRuntimeAvailable("python3.12", nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(ManagedRuntimeTest, VersionNoteSaysWhatReallyRuns) {
  ManagedRuntime host{"python", "/rt/python", "3.11.2", ""};
  EXPECT_EQ(VersionNote("python3.11", host), "");
  EXPECT_EQ(VersionNote("python3.12", host),
            "python3.12 runs on the host's Python 3.11.2 (INIT_START says python:3.11)");
  EXPECT_EQ(ManagedRuntimeVersion({"python", "", "3.13.0", ""}), "python:3.13.v1");
}

}  // namespace
}  // namespace thaw::lambda
