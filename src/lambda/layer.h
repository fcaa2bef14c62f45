// Lambda layers: one published layer version, its ARNs, the parsing of layer names and ARNs
// given by callers, and the JSON shapes of the layer operations (botocore's
// GetLayerVersionResponse, LayerVersionsListItem, LayersListItem). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::lambda {

// AWS's limit on Layers per function.
inline constexpr size_t kMaxFunctionLayers = 5;

struct LayerVersion {
  std::string name;
  int64_t version = 0;
  std::string description;
  std::string license_info;
  std::vector<std::string> compatible_runtimes;
  std::vector<std::string> compatible_architectures;
  std::string code_sha256;  // base64
  std::string sha256_hex;   // names the zip and its tree in the CodeStore
  int64_t code_size = 0;
  std::string created_date;  // "2024-12-28T19:04:46.553+0000"
};

// A layer's identity inside thaw, as FunctionKey is a function's: the plain name in
// 000000000000, else "ACCOUNT:layer:NAME". LayerVersion::name holds it.
std::string LayerKey(std::string_view account, std::string_view name);
// The LayerName of a key.
std::string LayerNameOf(std::string_view key);

// "arn:aws:lambda:us-east-1:ACCOUNT:layer:NAME" of a LayerKey.
std::string LayerArn(const std::string& key);
// LayerArn plus ":VERSION".
std::string LayerVersionArn(const std::string& key, int64_t version);

// A {LayerName} path value: a name or a layer ARN (pattern of botocore's LayerName, at most
// 140 characters). Returns the bare name; InvalidArgument (ValidationException) otherwise.
StatusOr<std::string> ParseLayerName(const std::string& text);

// A layer version ARN (botocore's LayerVersionArn pattern). nullopt when malformed. Layers of
// other accounts or regions parse, and are then simply not found here.
struct LayerVersionRef {
  std::string account;
  std::string name;
  int64_t version = 0;
  bool local = false;  // this thaw's region
};
std::optional<LayerVersionRef> ParseLayerVersionArn(std::string_view arn);

// The validation message AWS gives for a malformed entry of a function's Layers.
Status LayersPatternError(const std::vector<std::string>& layers);

// GetLayerVersion / PublishLayerVersion's body; `location` is Content.Location.
nlohmann::json RenderLayerVersion(const LayerVersion& v, const std::string& location);
// One item of ListLayerVersions, and LatestMatchingVersion of ListLayers.
nlohmann::json RenderLayerVersionItem(const LayerVersion& v);

// ListLayers' and ListLayerVersions' filters (?CompatibleRuntime=, ?CompatibleArchitecture=):
// a version matches when the filter is unset or listed among its compatibles.
bool LayerMatches(const LayerVersion& v, const std::optional<std::string>& runtime,
                  const std::optional<std::string>& architecture);

}  // namespace thaw::lambda
