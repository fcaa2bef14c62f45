// CloudFormation converts a property's value to the type the resource takes: a Ref to a Number
// parameter is text ("256") where MemorySize wants an integer. This does that for the numeric
// and boolean properties of the types thaw deploys. Plain function; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

namespace thaw::sam {

// `properties` with text under known integer keys (MemorySize, Timeout, BatchSize, ...) turned
// into integers and "true"/"false" under known boolean keys (Enabled, ...) into booleans, at any
// depth. Text that does not read as the type is left for the API to refuse.
nlohmann::json CoerceTypes(const nlohmann::json& properties);

}  // namespace thaw::sam
