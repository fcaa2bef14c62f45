// SnsApi: SNS on the front door, registered for the "sns" service (http/dispatch.h): the query
// protocol (a form POST, or a GET with Action=<Op>, as the SubscribeURL and UnsubscribeURL
// are), answered in XML with SNS's namespace, errors as <ErrorResponse>. Also registered for
// "thaw", to serve the signing certificate at /thaw/sns/SimpleNotificationService-thaw.pem.
// The account is the caller's access key id when that is 12 digits, else 000000000000.
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/api.h"
#include "sns/service.h"

namespace thaw::sns {

inline constexpr std::string_view kCertificatePath = "/thaw/sns/SimpleNotificationService-thaw.pem";

class SnsApi final : public http::Api {
 public:
  // `service` must outlive this object.
  explicit SnsApi(SnsService& service) : service_(service) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;
  std::optional<http::Response> Refusal(const http::Request& request, int status,
                                        std::string_view type,
                                        std::string_view message) const override;

 private:
  SnsService& service_;
};

// The query parameters of a request: the URL's query, then a POST's form body.
Params QueryParams(const http::Request& request);
http::Response RenderXml(std::string_view operation, const Outcome& outcome,
                         std::string_view request_id);
http::Response RenderXmlError(const Error& error, std::string_view request_id);

}  // namespace thaw::sns
