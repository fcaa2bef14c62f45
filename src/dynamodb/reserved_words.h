// DynamoDB's reserved words (ddb-dg ReservedWords): an attribute name in an expression that is
// one of them must be written through ExpressionAttributeNames. Stateless; thread-safe.
#pragma once

#include <string_view>

namespace thaw::dynamodb {

// Case-insensitive, as DynamoDB matches them.
bool IsReservedWord(std::string_view word);

}  // namespace thaw::dynamodb
