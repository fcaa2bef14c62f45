// PostHttps: one POST over TLS to an https subscription's endpoint (loopback only, as thaw's
// http ones), with OpenSSL through Beast. The endpoint's certificate is not verified: a local
// endpoint's is nearly always self-signed, the connection never leaves the machine, and what a
// developer expects of a local SNS is that their https endpoint gets the message. (AWS would
// refuse a self-signed certificate; docs/design.md says so.) SNI carries the URL's host.
// Blocking, bounded by `timeout_ms`; called from SnsService's HTTP thread. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "http/message.h"

namespace thaw::sns {

// The response's status code, or why there was none (Unavailable: connect, TLS or timeout).
StatusOr<int> PostHttps(const std::string& host, const std::string& port, const std::string& target,
                        const http::Headers& headers, const std::string& body, int64_t timeout_ms);

}  // namespace thaw::sns
