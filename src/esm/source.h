// Source: what an event source mapping reads from. SQS is the one today; Kinesis and DynamoDB
// Streams add their own Source (checks such as StartingPosition, a shard reader) without
// touching the API or the mapping record. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "esm/mapping.h"

namespace thaw::esm {

// Delivers one mapping's records to its function until destroyed.
class Reader {
 public:
  virtual ~Reader() = default;
  // The mapping's settings changed (BatchSize, window, concurrency, function, filters).
  virtual void Update(const Mapping& m) = 0;
  // LastProcessingResult once a batch has been processed (streams).
  virtual std::optional<std::string> last_result() const { return std::nullopt; }
  // Per-shard counters for `thaw esm` (streams); null when there are none.
  virtual nlohmann::json Stats() const { return nullptr; }
};

class Source {
 public:
  virtual ~Source() = default;
  virtual SourceKind kind() const = 0;
  // Whether this source reads the ARN's service ("arn:aws:sqs:...").
  virtual bool Reads(std::string_view arn) const = 0;
  virtual int64_t default_batch_size() const = 0;
  // The source exists and the settings suit it and the function (its timeout, in seconds),
  // with AWS's error texts.
  virtual Status Validate(const Mapping& m, int64_t function_timeout_s) const = 0;
  virtual std::unique_ptr<Reader> Start(const Mapping& m) = 0;
  // The mapping is deleted: drop what the source kept for it (checkpoints).
  virtual void Deleted(const std::string& uuid) { (void)uuid; }
};

}  // namespace thaw::esm
