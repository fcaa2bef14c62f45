// `thaw stress --via kinesis|dynamodb`: the failing stress functions behind a stream trigger (a
// Kinesis stream, or a DynamoDB table's stream). loop and leak block their shard until
// MaximumRetryAttempts gives the record up to OnFailure; panic is bisected down to its poison
// record; selfsend is an event bomb on its own stream, which Lambda does not stop, sampled through
// GET /thaw/esm until the run disables its mapping. Each behaviour runs with its own connection
// and deletes what it created; one call per thread, nothing shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace thaw::cli {

struct StreamStressOptions {
  std::string endpoint;
  std::string via;       // "kinesis" or "dynamodb"
  std::string examples;  // the directory of stress-<name>.zip
  int64_t memory_mb = 128;
  int64_t timeout_s = 2;
};

struct StreamStressResult {
  std::string expected;  // Lambda's outcome
  std::string observed;
  bool recovered = false;
  bool pass = false;
  std::vector<std::string> details;
};

// Whether `via` is a stream trigger (kinesis, dynamodb).
bool IsStreamVia(std::string_view via);
// The behaviours of a stream --via, in table order.
std::vector<std::string> StreamBehaviourNames();
// Runs one behaviour on thaw-stress-<via>-<behaviour>.
StreamStressResult RunStreamBehaviour(const StreamStressOptions& options,
                                      const std::string& behaviour);

}  // namespace thaw::cli
