#include "cli/tables.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::cli {
namespace {

using nlohmann::json;

TEST(ListTest, FormatsAlignedSortedTable) {
  std::vector<json> functions = {
      json::parse(R"({"FunctionName":"zeta","Runtime":"provided.al2023","MemorySize":1024,)"
                  R"("Timeout":900,"LastModified":"2024-12-28T19:04:46.553+0000"})"),
      json::parse(R"({"FunctionName":"a","MemorySize":128})")};
  EXPECT_EQ(FormatFunctionTable(functions),
            "NAME  RUNTIME          MEMORY   TIMEOUT  LAST MODIFIED\n"
            "a     -                128 MB   -        -\n"
            "zeta  provided.al2023  1024 MB  900 s    2024-12-28T19:04:46.553+0000\n");
}

TEST(ListTest, FormatTableTrimsTrailingSpaces) {
  EXPECT_EQ(FormatTable({{"A", "B"}, {"long", ""}}), "A     B\nlong\n");
  EXPECT_EQ(FormatTable({}), "");
}

TEST(PrintTest, PrintLineAddsOneNewline) {
  std::ostringstream out;
  PrintLine(out, "a");
  PrintLine(out, "b\n");
  PrintLine(out, "");
  EXPECT_EQ(out.str(), "a\nb\n");
}

}  // namespace
}  // namespace thaw::cli
