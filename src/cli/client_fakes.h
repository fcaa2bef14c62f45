// Test-only helpers for cli_test: a scripted http::Client, answers, reading a zip back, and a
// fixture with a temporary directory. Header-only so the library glob does not pick it up.
// Thread-compatible.
#pragma once

#include <sys/stat.h>
#include <zip.h>

#include <cstdint>
#include <deque>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/status.h"
#include "http/client.h"
#include "http/message.h"
#include "sys/temp_dir.h"

namespace thaw::cli {

inline http::Response MakeResponse(
    int status, std::string body,
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  for (const auto& [k, v] : headers) r.headers.Set(k, v);
  return r;
}

// Answers scripted requests in order and records what was sent.
class FakeClient final : public http::Client {
 public:
  struct Call {
    std::string method;
    std::string target;
    std::string body;
    http::Headers headers;
    int64_t timeout_ms = 0;
  };

  void Expect(std::string method, std::string target, http::Response response) {
    script_.push_back({std::move(method), std::move(target), std::move(response)});
  }
  void ExpectUnavailable() { unavailable_ = true; }

  StatusOr<http::Response> Do(const std::string& method, const std::string& target,
                              const http::Headers& headers, const std::string& body,
                              int64_t timeout_ms) override {
    calls.push_back({method, target, body, headers, timeout_ms});
    if (unavailable_) return Status::Unavailable("cannot connect to thaw at 127.0.0.1:1");
    if (script_.empty()) return Status::Internal("unexpected " + method + " " + target);
    Step step = std::move(script_.front());
    script_.pop_front();
    EXPECT_EQ(step.method, method);
    EXPECT_EQ(step.target, target);
    return step.response;
  }

  bool Done() const { return script_.empty(); }
  std::vector<Call> calls;

 private:
  struct Step {
    std::string method;
    std::string target;
    http::Response response;
  };
  std::deque<Step> script_;
  bool unavailable_ = false;
};

struct ZipFileInfo {
  std::string name;
  std::string data;
  uint8_t opsys = 0;
  uint32_t attributes = 0;
};

// Reads an archive back with libzip.
inline std::vector<ZipFileInfo> ReadZip(const std::string& bytes) {
  std::vector<ZipFileInfo> out;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  EXPECT_NE(source, nullptr);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  EXPECT_NE(archive, nullptr) << zip_error_strerror(&error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return out;
  }
  zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    auto index = static_cast<zip_uint64_t>(i);
    ZipFileInfo info;
    info.name = zip_get_name(archive, index, 0);
    zip_file_get_external_attributes(archive, index, 0, &info.opsys, &info.attributes);
    zip_stat_t st;
    zip_stat_index(archive, index, 0, &st);
    info.data.resize(st.size);
    zip_file_t* file = zip_fopen_index(archive, index, 0);
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(zip_fread(file, info.data.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    out.push_back(std::move(info));
  }
  zip_close(archive);
  return out;
}

// A fresh directory per test, removed after it.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<sys::TempDir> made = sys::TempDir::Create("cli_test-");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    temp_ = std::move(*made);
    dir_ = temp_->path();
  }
  void WriteFile(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::ofstream(dir_ + "/" + name) << text;
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), mode), 0);
  }
  std::optional<sys::TempDir> temp_;
  std::string dir_;
};

}  // namespace thaw::cli
