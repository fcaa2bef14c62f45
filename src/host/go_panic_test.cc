#include "host/go_panic.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::host {
namespace {

// What Go 1.2x prints for an unrecovered panic in a handler called from main.
constexpr char kPanic[] = R"(some earlier log line
panic: boom

goroutine 1 [running]:
thaw.dev/examples/mech/logic.Handle({0x5a1f00, 0xc000012345}, {{0xc00001a0c0, 0x5}, {0x0, 0x0}, 0x0, 0x0, 0x0, {0x0, 0x0, 0x0}})
	/src/examples/functions/go/mech/logic/logic.go:58 +0x3a5
main.main()
	/src/examples/functions/go/mech/spawn/main.go:31 +0x1d2

goroutine 6 [chan receive]:
main.other()
	/src/x.go:3 +0x1
exit status 2
)";

TEST(GoPanicTest, ParsesMessageAndThePanickingGoroutinesFrames) {
  std::optional<std::string> json = ParseGoPanic(kPanic);
  ASSERT_TRUE(json.has_value());
  nlohmann::json j = nlohmann::json::parse(*json);
  EXPECT_EQ(j["errorMessage"], "boom");
  EXPECT_EQ(j["errorType"], "panic");
  ASSERT_EQ(j["stackTrace"].size(), 2u);
  EXPECT_EQ(j["stackTrace"][0]["path"], "functions/go/mech/logic/logic.go");
  EXPECT_EQ(j["stackTrace"][0]["line"], 58);
  EXPECT_EQ(j["stackTrace"][0]["label"], "Handle");
  EXPECT_EQ(j["stackTrace"][1]["label"], "main");
  EXPECT_EQ(j["stackTrace"][1]["path"], "spawn/main.go");
}

TEST(GoPanicTest, NoPanicNoError) {
  EXPECT_FALSE(ParseGoPanic("").has_value());
  EXPECT_FALSE(ParseGoPanic("error: something panic: not at line start\n").has_value());
}

}  // namespace
}  // namespace thaw::host
