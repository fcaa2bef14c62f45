// The event Lambda gives a function for a batch of SQS messages (aws-lambda-go's
// events.SQSEvent), and the partial batch response it may answer with. Pure; thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqs/queue_store.h"

namespace thaw::esm {

// {"Records":[{messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody,
// md5OfMessageAttributes, eventSource, eventSourceARN, awsRegion}, ...]}.
std::string RenderSqsEvent(const std::vector<sqs::Delivered>& batch, std::string_view queue_arn,
                           bool fifo);
// One of those records, as event filtering sees it (filter::SqsRecordView).
nlohmann::json SqsRecord(const sqs::Delivered& delivered, std::string_view queue_arn, bool fifo);

// The message ids a ReportBatchItemFailures response names as failed. nullopt when the whole
// batch counts as failed: a body that is not JSON, or an itemIdentifier that is empty, null or
// not in the batch (AWS's rules). An empty or null response, or no batchItemFailures, is success.
std::optional<std::set<std::string>> ParseBatchFailures(std::string_view body,
                                                        const std::set<std::string>& batch_ids);

}  // namespace thaw::esm
