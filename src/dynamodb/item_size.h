// ItemSize: an item's size as DynamoDB counts it for the 400 KB limit, capacity units and
// stream records' SizeBytes: each attribute's name in UTF-8 bytes plus its value's size.
// Stateless.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace thaw::dynamodb {

// `item` is a map of attribute names to AttributeValue JSON.
int64_t ItemSize(const nlohmann::json& item);
// One AttributeValue's size.
int64_t ValueSize(const nlohmann::json& value);

}  // namespace thaw::dynamodb
