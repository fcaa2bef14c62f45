#include "sam/coerce.h"

#include <charconv>
#include <set>
#include <string>

namespace thaw::sam {

namespace {

using nlohmann::json;

const std::set<std::string>& IntegerKeys() {
  static const std::set<std::string> kKeys = {"MemorySize",
                                              "Timeout",
                                              "ReservedConcurrentExecutions",
                                              "Size",
                                              "BatchSize",
                                              "MaximumBatchingWindowInSeconds",
                                              "MaximumRetryAttempts",
                                              "MaximumRecordAgeInSeconds",
                                              "ParallelizationFactor",
                                              "TumblingWindowInSeconds",
                                              "MaximumEventAgeInSeconds",
                                              "MaximumConcurrency",
                                              "ShardCount",
                                              "RetentionPeriodHours",
                                              "ReadCapacityUnits",
                                              "WriteCapacityUnits",
                                              "maxReceiveCount"};
  return kKeys;
}

const std::set<std::string>& BooleanKeys() {
  static const std::set<std::string> kKeys = {"Enabled", "BisectBatchOnFunctionError", "SSEEnabled",
                                              "RawMessageDelivery", "DeletionProtectionEnabled"};
  return kKeys;
}

// Maps whose keys are the user's names, not property names.
bool FreeForm(const std::string& key) {
  return key == "Variables" || key == "Tags" || key == "FilterPolicy" || key == "FilterCriteria" ||
         key == "Policies" || key == "Metadata";
}

json Coerce(const std::string& key, const json& value) {
  if (FreeForm(key)) return value;
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : value.items()) out[k] = Coerce(k, v);
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& v : value) out.push_back(Coerce("", v));
    return out;
  }
  if (!value.is_string()) return value;
  const std::string& s = value.get_ref<const std::string&>();
  if (IntegerKeys().contains(key)) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  if (BooleanKeys().contains(key) && (s == "true" || s == "false")) return s == "true";
  return value;
}

}  // namespace

json CoerceTypes(const json& properties) { return Coerce("", properties); }

}  // namespace thaw::sam
