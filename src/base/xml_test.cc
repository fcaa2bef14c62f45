#include "base/xml.h"

#include <string>

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

// Found by sqs_request_fuzz: an SQS error quoting an attribute name with \x01 in it made XML no
// parser reads.
TEST(XmlTest, WhatXmlCannotHoldBecomesTheReplacementCharacter) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(XmlEscape(std::string("a\x01"
                                  "b\0"
                                  "c\x1f",
                                  6)),
            "a" + kFffd + "b" + kFffd + "c" + kFffd);
  // Invalid UTF-8: a stray continuation byte, a truncated sequence, an overlong '/', a
  // surrogate, a code point past U+10FFFF, U+FFFF.
  EXPECT_EQ(XmlEscape("\x80"), kFffd);
  EXPECT_EQ(XmlEscape("x\xE2\x82"), "x" + kFffd + kFffd);
  EXPECT_EQ(XmlEscape("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(XmlEscape("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(XmlEscape("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBF"), kFffd + kFffd + kFffd);
  // Valid sequences of every length pass.
  EXPECT_EQ(XmlEscape("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
}

}  // namespace
}  // namespace thaw
