#include "http/aws_error.h"

#include <string>

#include <nlohmann/json.hpp>

#include "base/xml.h"

namespace thaw::http {

Response RestJsonError(int status, std::string_view type, std::string_view message,
                       std::string_view fault) {
  nlohmann::json body = {{"Type", std::string(fault)}, {"Message", std::string(message)}};
  // replace: a message may quote invalid UTF-8 from the request, and dump() would throw.
  Response r =
      Response::Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.Set("x-amzn-ErrorType", type);
  return r;
}

Response JsonRpcError(int status, std::string_view type, std::string_view message) {
  nlohmann::json body = {{"__type", std::string(type)}, {"message", std::string(message)}};
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/x-amz-json-1.1");
  r.headers.Set("x-amzn-ErrorType", type);
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response QueryXmlError(int status, std::string_view code, std::string_view message,
                       std::string_view request_id) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/xml");
  r.body = std::string("<?xml version=\"1.0\"?><ErrorResponse><Error><Type>") +
           (status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + XmlEscape(code) +
           "</Code><Message>" + XmlEscape(message) + "</Message></Error><RequestId>" +
           XmlEscape(request_id) + "</RequestId></ErrorResponse>";
  return r;
}

}  // namespace thaw::http
