#include "sam/coerce.h"

#include <gtest/gtest.h>

namespace thaw::sam {
namespace {

using nlohmann::json;

TEST(CoerceTest, KnownKeysTakeTheirTypes) {
  EXPECT_EQ(CoerceTypes(json::parse(R"({
      "MemorySize": "256", "Timeout": 3, "Enabled": "false", "Handler": "128",
      "EphemeralStorage": {"Size": "1024"}, "RedrivePolicy": {"maxReceiveCount": "3"},
      "Layers": ["1"], "BatchSize": "ten", "Environment": {"Variables": {"Timeout": "5"}}})")),
            json::parse(R"({
      "MemorySize": 256, "Timeout": 3, "Enabled": false, "Handler": "128",
      "EphemeralStorage": {"Size": 1024}, "RedrivePolicy": {"maxReceiveCount": 3},
      "Layers": ["1"], "BatchSize": "ten", "Environment": {"Variables": {"Timeout": "5"}}})"));
}

}  // namespace
}  // namespace thaw::sam
