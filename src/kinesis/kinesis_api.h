// KinesisApi: Kinesis Data Streams (X-Amz-Target Kinesis_20131202.<Op>, JSON 1.1) on the front
// door (http/dispatch.h names it "kinesis"). Streams are kept per account
// (http::Request::account). CBOR bodies (the Java SDKs' default) are refused with the switches
// that turn them off. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/api.h"
#include "kinesis/stream_store.h"

namespace thaw::kinesis {

class KinesisApi final : public http::Api {
 public:
  // `store` must outlive this object.
  explicit KinesisApi(StreamStore& store) : store_(store) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;
  std::optional<http::Response> Refusal(const http::Request& request, int status,
                                        std::string_view type,
                                        std::string_view message) const override;

 private:
  StreamStore& store_;
};

// The refusal of a CBOR request, naming the SDK switches.
inline constexpr char kCborRefusal[] =
    "thaw's Kinesis speaks JSON 1.1 only, not CBOR (application/x-amz-cbor-1.1). Turn CBOR off "
    "in the client: AWS_CBOR_DISABLE=true (environment) for the AWS SDK for Java v1 and KCL 1.x; "
    "-Daws.cborEnabled=false (system property) or CBOR_ENABLED=false (environment) for the AWS "
    "SDK for Java v2 and KCL 2.x.";

}  // namespace thaw::kinesis
