// DynamoDbApi: DynamoDB (X-Amz-Target DynamoDB_20120810.<Op>) and DynamoDB Streams
// (DynamoDBStreams_20120810.<Op>) on the front door, JSON 1.0 both; one instance per service
// (http/dispatch.h names them "dynamodb" and "dynamodbstreams"). Tables are kept per account
// (http::Request::account). Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dynamodb/table_store.h"
#include "http/api.h"

namespace thaw::dynamodb {

class DynamoDbApi final : public http::Api {
 public:
  enum class Service { kDynamoDb, kStreams };
  // `store` must outlive this object.
  DynamoDbApi(TableStore& store, Service service) : store_(store), service_(service) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;
  std::optional<http::Response> Refusal(const http::Request& request, int status,
                                        std::string_view type,
                                        std::string_view message) const override;

 private:
  std::string_view Prefix() const;
  std::optional<std::string> OperationOf(const http::Request& request) const;

  TableStore& store_;
  Service service_;
};

}  // namespace thaw::dynamodb
