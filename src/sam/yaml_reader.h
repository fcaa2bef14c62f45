// Reading a CloudFormation/SAM template (YAML or JSON) into JSON: the short-form tags (!Ref,
// !GetAtt, !Sub, ...) become their long forms ({"Ref": ...}, {"Fn::GetAtt": [...]}), so the
// rest of the module sees one shape. yaml-cpp throws; this is the one place that catches.
// Free functions; thread-safe.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::sam {

// The document as JSON. Plain scalars that read as integers, decimals, booleans or null take
// those types (YAML 1.1's core schema as CloudFormation reads it); quoted scalars stay strings.
// InvalidArgument naming the line and column for malformed YAML and unknown tags.
StatusOr<nlohmann::json> ReadTemplateText(std::string_view text);

}  // namespace thaw::sam
