#include "cli/json_fields.h"

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

}  // namespace
}  // namespace thaw::cli
