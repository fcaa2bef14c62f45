// CORS of a function URL, as AWS answers it from the URL's Cors configuration: a preflight
// (OPTIONS with Origin and Access-Control-Request-Method) is answered by the URL itself, and a
// real response from an allowed Origin gets Access-Control-Allow-Origin, -Expose-Headers and
// -Allow-Credentials. An Origin the configuration does not allow gets no CORS headers, so the
// browser refuses. Pure; thread-safe.
#pragma once

#include <optional>

#include "http/message.h"
#include "lambda/function_url.h"

namespace thaw::httpfront {

bool IsPreflight(const http::Request& request);
// The preflight's answer (200; CORS headers only when the Origin is allowed).
http::Response Preflight(const lambda::UrlCors& cors, const http::Request& request);
// Adds the CORS headers of a real response for the request's Origin.
void AddCorsHeaders(const lambda::UrlCors& cors, const http::Request& request,
                    http::Response* response);

}  // namespace thaw::httpfront
