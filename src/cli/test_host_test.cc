#include "cli/test_host.h"

#include <gtest/gtest.h>

namespace thaw::cli {
namespace {

TEST(TestHostTest, NamesFitAndDoNotCollide) {
  TestHostNames n = NamesForPid(4194303);  // the largest pid_max
  EXPECT_EQ(n.netns, "thaw-lat-4194303");
  EXPECT_EQ(n.host_link, "thl4194303h");
  EXPECT_LE(n.host_link.size(), 15u);  // IFNAMSIZ - 1
  EXPECT_LE(n.ns_link.size(), 15u);
  TestHostNames a = NamesForPid(64);
  EXPECT_EQ(a.host_address, "10.213.1.1/30");
  EXPECT_EQ(a.ns_address, "10.213.1.2/30");
  EXPECT_EQ(a.ns_ip, "10.213.1.2");
  TestHostNames b = NamesForPid(65);
  EXPECT_EQ(b.host_address, "10.213.1.5/30");
  EXPECT_NE(a.ns_ip, b.ns_ip);
}

TEST(TestHostTest, StaleNamespaces) {
  auto alive = [](pid_t pid) { return pid == 100; };
  std::vector<std::string> names = {"thaw-lat-100", "thaw-lat-200", "thaw-lat-x",
                                    "other-300",    "thaw-lat-",    "thaw-lat-12a"};
  EXPECT_EQ(StaleNamespaces(names, +alive), std::vector<std::string>{"thaw-lat-200"});
}

}  // namespace
}  // namespace thaw::cli
