// XML (and HTML) text escaping, for the query protocol's answers and the HTML report.
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace thaw {

// Text or an attribute value for XML and HTML: & < > " ' escaped, and CR as &#13; (a parser
// would turn a raw CR or CRLF into LF, and an SQS body's MD5 would no longer match). What no
// XML 1.0 document may hold (control characters other than tab and LF, invalid UTF-8,
// U+FFFE and U+FFFF) becomes U+FFFD, so an error message that quotes a client's bytes still
// parses.
std::string XmlEscape(std::string_view text);

}  // namespace thaw
