#include "lambda/managed_runtime.h"

#include <sys/stat.h>

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
  EXPECT_EQ(ManagedFamily("nodejs20.x"), "");
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
