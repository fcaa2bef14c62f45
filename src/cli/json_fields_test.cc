#include "cli/json_fields.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::cli {
namespace {

using nlohmann::json;

TEST(JsonTest, GettersNeverThrow) {
  json object = {{"s", "v"}, {"n", 5}, {"f", 1.5}};
  EXPECT_EQ(JsonString(object, "s"), "v");
  EXPECT_EQ(JsonString(object, "n"), "");
  EXPECT_EQ(JsonString(object, "missing"), "");
  EXPECT_EQ(JsonString(json::array({1}), "s"), "");
  EXPECT_EQ(JsonString(json(), "s"), "");
  EXPECT_EQ(JsonInt(object, "n"), 5);
  EXPECT_EQ(JsonInt(object, "f", -1), -1);
  EXPECT_EQ(JsonInt(json("str"), "n", 7), 7);
}

TEST(JsonTest, DumpReplacesInvalidUtf8) {
  json value = {{"k", std::string("bad\xff")}};
  EXPECT_EQ(DumpJson(value), "{\"k\":\"bad\xEF\xBF\xBD\"}");
  EXPECT_EQ(DumpJson(json::object({{"a", 1}}), 2), "{\n  \"a\": 1\n}");
}

TEST(JsonTest, WriteJsonFileIndentsAndReportsFailure) {
  std::string path = ::testing::TempDir() + "/json_fields_test_" + std::to_string(::getpid());
  ASSERT_TRUE(WriteJsonFile(path, json::object({{"a", 1}})).ok());
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\n  \"a\": 1\n}\n");
  std::remove(path.c_str());
  Status failed = WriteJsonFile("/nonexistent/dir/x.json", json());
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_EQ(failed.message(), "cannot write --json file /nonexistent/dir/x.json");
}

}  // namespace
}  // namespace thaw::cli
