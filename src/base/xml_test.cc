#include "base/xml.h"

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(XmlTest, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  // A raw CR would come back from a parser as LF; UTF-8 and other controls pass as they are.
  EXPECT_EQ(XmlEscape("x\r\ny\t\xc3\xa9"), "x&#13;\ny\t\xc3\xa9");
  EXPECT_EQ(XmlEscape("&amp;"), "&amp;amp;");
  EXPECT_EQ(XmlEscape(""), "");
}

}  // namespace
}  // namespace thaw
