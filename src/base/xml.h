// XML (and HTML) text escaping, for the query protocol's answers and the HTML report.
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace thaw {

// Text or an attribute value for XML and HTML: & < > " ' escaped, and CR as &#13; (a parser
// would turn a raw CR or CRLF into LF, and an SQS body's MD5 would no longer match).
std::string XmlEscape(std::string_view text);

}  // namespace thaw
