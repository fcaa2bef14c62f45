// ControlService: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
// DeleteLayerVersion, and the resolution of a function's Layers into its /opt tree.
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <utility>

#include "auth/access.h"
#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_request.h"
#include "lambda/opt_tree.h"
#include "lambda/pagination.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

// A list member of strings with at most `max` items, each among `allowed`.
StatusOr<std::vector<std::string>> StringList(const json& body, const char* key, const char* field,
                                              size_t max,
                                              const std::function<bool(const std::string&)>& ok,
                                              const std::string& constraint) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return BadRequestContent(std::string(key) + " must be a list");
  std::string shown = "[";
  bool valid = it->size() <= max;
  for (const auto& v : *it) {
    if (!v.is_string()) return BadRequestContent(std::string(key) + " must be a list of strings");
    out.push_back(v.get<std::string>());
    shown += (shown.size() > 1 ? ", " : "") + out.back();
    valid = valid && ok(out.back());
  }
  shown += "]";
  if (it->size() > max) {
    return ValidationError(shown, field,
                           "Member must have length less than or equal to " + std::to_string(max));
  }
  if (!valid) return ValidationError(shown, field, constraint);
  return out;
}

Status LayerVersionNotFound() {
  return Status::NotFound("The resource you requested does not exist.");
}

StatusOr<int64_t> ParseVersionNumber(const std::string& text) {
  auto n = ParseInt(text);
  if (!n) {
    return BadRequestContent("VersionNumber must be a number");
  }
  return *n;
}

}  // namespace

StatusOr<http::Response> ControlService::PublishLayerVersion(const Route& route,
                                                             const http::Request& request) {
  if (request.oversized || request.body.size() > kMaxCodeRequestBytes) {
    return Status::ResourceExhausted("Request must be smaller than " +
                                     std::to_string(kMaxCodeRequestBytes) +
                                     " bytes for the PublishLayerVersion operation");
  }
  THAW_ASSIGN_OR_RETURN(std::string name, ParseLayerName(route.layer));
  name = LayerKey(account_, name);
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  auto content = body.find("Content");
  if (content == body.end() || content->is_null()) return MissingMember("content");
  if (!content->is_object()) return BadRequestContent("Content must be an object");
  THAW_ASSIGN_OR_RETURN(auto description, OptionalString(body, "Description"));
  THAW_ASSIGN_OR_RETURN(auto license, OptionalString(body, "LicenseInfo"));
  std::vector<std::string> violations;
  if (description && description->size() > 256) {
    violations.push_back(ConstraintViolation(*description, "description",
                                             "Member must have length less than or equal to 256"));
  }
  if (license && license->size() > 512) {
    violations.push_back(ConstraintViolation(*license, "licenseInfo",
                                             "Member must have length less than or equal to 512"));
  }
  if (!violations.empty()) return ValidationError(violations);
  THAW_ASSIGN_OR_RETURN(
      auto runtimes,
      StringList(
          body, "CompatibleRuntimes", "compatibleRuntimes", 15,
          [](const std::string& r) { return IsKnownRuntime(r); },
          "Member must satisfy constraint: [Member must satisfy enum value set of known "
          "runtimes]"));
  THAW_ASSIGN_OR_RETURN(
      auto architectures,
      StringList(
          body, "CompatibleArchitectures", "compatibleArchitectures", 2,
          [](const std::string& a) { return a == "x86_64" || a == "arm64"; },
          "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, "
          "arm64]]"));
  std::string zip;
  if (auto z = content->find("ZipFile"); z != content->end() && !z->is_null()) {
    THAW_ASSIGN_OR_RETURN(zip, DecodeZipFile(*z));
  } else if (content->contains("S3Bucket") || content->contains("S3Key")) {
    return Status::InvalidArgument("thaw takes layer content only as ZipFile; S3 is not supported");
  } else {
    return Status::InvalidArgument("Please provide a source for layer content.");
  }
  THAW_ASSIGN_OR_RETURN(StoredCode stored, code_store_.Put(zip));

  StoredLayer layer = layers_[name];  // a copy, adopted after the commit
  LayerVersion v;
  v.name = name;
  v.version = layer.last_version + 1;
  v.description = description.value_or("");
  v.license_info = license.value_or("");
  v.compatible_runtimes = std::move(runtimes);
  v.compatible_architectures = std::move(architectures);
  v.code_sha256 = stored.sha256;
  v.sha256_hex = stored.sha256_hex;
  v.code_size = stored.size;
  v.created_date = Now();
  THAW_RETURN_IF_ERROR(Transact([&] { return layer_store_.Put(v); }));
  layer.last_version = v.version;
  layer.versions[v.version] = v;
  layers_[name] = std::move(layer);
  return JsonResponse(201, RenderLayerVersion(v, CodeUrl(request, v.sha256_hex)));
}

StatusOr<const LayerVersion*> ControlService::FindLayerVersion(const std::string& name,
                                                               int64_t version) const {
  auto layer = layers_.find(name);
  if (layer == layers_.end()) return LayerVersionNotFound();
  auto v = layer->second.versions.find(version);
  if (v == layer->second.versions.end()) return LayerVersionNotFound();
  return &v->second;
}

StatusOr<http::Response> ControlService::GetLayerVersion(const Route& route,
                                                         const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(std::string name, ParseLayerName(route.layer));
  THAW_ASSIGN_OR_RETURN(int64_t number, ParseVersionNumber(route.layer_version));
  THAW_ASSIGN_OR_RETURN(const LayerVersion* v, FindLayerVersion(LayerKey(account_, name), number));
  return JsonResponse(200, RenderLayerVersion(*v, CodeUrl(request, v->sha256_hex)));
}

StatusOr<http::Response> ControlService::GetLayerVersionByArn(const http::Request& request) {
  std::string arn = request.QueryParam("Arn").value_or("");
  if (arn.empty()) return MissingMember("arn");
  auto ref = ParseLayerVersionArn(arn);
  if (!ref) {
    return ValidationError(arn, "arn",
                           "Member must satisfy regular expression pattern: "
                           "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:"
                           "[0-9]+");
  }
  if (!ref->local || ref->account != account_) return LayerVersionNotFound();
  THAW_ASSIGN_OR_RETURN(const LayerVersion* v,
                        FindLayerVersion(LayerKey(account_, ref->name), ref->version));
  return JsonResponse(200, RenderLayerVersion(*v, CodeUrl(request, v->sha256_hex)));
}

StatusOr<http::Response> ControlService::ListLayers(const http::Request& request) {
  if (request.QueryParam("find").value_or("") == "LayerVersion") {
    return GetLayerVersionByArn(request);
  }
  auto runtime = request.QueryParam("CompatibleRuntime");
  auto architecture = request.QueryParam("CompatibleArchitecture");
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  std::vector<std::pair<std::string, json>> items;
  for (const auto& [name, layer] : layers_) {
    if (LayerKey(account_, LayerNameOf(name)) != name) continue;  // another account's
    // The newest version that matches the filters.
    for (auto it = layer.versions.rbegin(); it != layer.versions.rend(); ++it) {
      if (!LayerMatches(it->second, runtime, architecture)) continue;
      items.emplace_back(name, json{{"LayerName", LayerNameOf(name)},
                                    {"LayerArn", LayerArn(name)},
                                    {"LatestMatchingVersion", RenderLayerVersionItem(it->second)}});
      break;
    }
  }
  return JsonResponse(200, Paginate(items, page, "Layers"));
}

StatusOr<http::Response> ControlService::ListLayerVersions(const Route& route,
                                                           const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(std::string name, ParseLayerName(route.layer));
  name = LayerKey(account_, name);
  auto runtime = request.QueryParam("CompatibleRuntime");
  auto architecture = request.QueryParam("CompatibleArchitecture");
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  std::vector<std::pair<std::string, json>> items;
  if (auto layer = layers_.find(name); layer != layers_.end()) {
    // Newest first, as AWS lists them; the key's byte order must follow.
    for (auto it = layer->second.versions.rbegin(); it != layer->second.versions.rend(); ++it) {
      if (!LayerMatches(it->second, runtime, architecture)) continue;
      char key[32];
      snprintf(key, sizeof key, "%020lld", static_cast<long long>(INT64_MAX - it->second.version));
      items.emplace_back(key, RenderLayerVersionItem(it->second));
    }
  }
  return JsonResponse(200, Paginate(items, page, "LayerVersions"));
}

StatusOr<http::Response> ControlService::DeleteLayerVersion(const Route& route) {
  THAW_ASSIGN_OR_RETURN(std::string name, ParseLayerName(route.layer));
  name = LayerKey(account_, name);
  THAW_ASSIGN_OR_RETURN(int64_t number, ParseVersionNumber(route.layer_version));
  // Idempotent, as on AWS (204 for a version that does not exist). Functions that use the
  // version keep it: their configuration names its zip, so CollectGarbage keeps zip and tree.
  auto layer = layers_.find(name);
  if (layer != layers_.end() && layer->second.versions.count(number) > 0) {
    THAW_RETURN_IF_ERROR(Transact([&] { return layer_store_.Delete(name, number); }));
    layer->second.versions.erase(number);
  }
  return http::Response{204, {}, {}};
}

Status ControlService::ApplyLayers(const std::vector<std::string>& arns, FunctionConfig* config) {
  if (arns.size() > kMaxFunctionLayers) {
    return Status::InvalidArgument("Cannot reference more than 5 layers.");
  }
  std::vector<LayerRef> refs;
  std::set<std::string> names;
  for (const std::string& arn : arns) {
    auto parsed = ParseLayerVersionArn(arn);
    if (!parsed) return LayersPatternError(arns);
    if (!names.insert(parsed->name).second) {
      return Status::InvalidArgument(
          "Two different versions of the same layer are not allowed to be referenced in the "
          "same function. " +
          arn);
    }
    // A version deleted since the function took it stays usable by that function.
    auto kept = std::find_if(config->layers.begin(), config->layers.end(),
                             [&](const LayerRef& l) { return l.arn == arn; });
    // Only the function's own account's layers (thaw has no layer permissions).
    auto found = parsed->local && parsed->account == config->account
                     ? FindLayerVersion(LayerKey(config->account, parsed->name), parsed->version)
                     : StatusOr<const LayerVersion*>(LayerVersionNotFound());
    if (found.ok()) {
      refs.push_back({arn, (*found)->code_size, (*found)->sha256_hex});
    } else if (kept != config->layers.end()) {
      refs.push_back(*kept);
    } else {
      return Status::InvalidArgument("Layer version " + arn + " does not exist.");
    }
  }
  config->layers = std::move(refs);
  return PrepareOpt(config);
}

Status ControlService::PrepareOpt(FunctionConfig* config) {
  config->opt_dir.clear();
  config->extensions.clear();
  if (config->layers.empty()) return Status::Ok();
  std::vector<std::string> dirs;
  std::string key;
  for (const LayerRef& l : config->layers) {
    THAW_ASSIGN_OR_RETURN(std::string dir, code_store_.EnsureExtracted(l.sha256_hex));
    dirs.push_back(std::move(dir));
    key += l.sha256_hex + "\n";
  }
  THAW_ASSIGN_OR_RETURN(config->opt_dir, EnsureOptTree(code_store_.root(), key, dirs));
  THAW_ASSIGN_OR_RETURN(config->extensions, ListExtensions(config->opt_dir));
  return Status::Ok();
}

}  // namespace thaw::lambda
