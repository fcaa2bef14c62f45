#include "sns/delivery_policy.h"

#include <algorithm>
#include <cmath>

namespace thaw::sns {

using nlohmann::json;

namespace {

Status Invalid(const std::string& why) {
  return Status::InvalidArgument("Invalid parameter: DeliveryPolicy: " + why);
}

// Reads an integer member into `out`; absent keeps the default.
Status ReadInt(const json& j, const char* key, int lo, int hi, int* out) {
  if (!j.contains(key)) return Status::Ok();
  const json& v = j[key];
  if (!v.is_number_integer()) return Invalid(std::string(key) + " must be an integer");
  const int64_t n = v.get<int64_t>();
  if (n < lo || n > hi) {
    return Invalid(std::string(key) + " must be between " + std::to_string(lo) + " and " +
                   std::to_string(hi));
  }
  *out = static_cast<int>(n);
  return Status::Ok();
}

StatusOr<RetryPolicy> ParseRetry(const json& j, RetryPolicy base) {
  if (!j.is_object()) return Invalid("healthyRetryPolicy must be an object");
  RetryPolicy r = base;
  THAW_RETURN_IF_ERROR(ReadInt(j, "numRetries", 0, 100, &r.num_retries));
  THAW_RETURN_IF_ERROR(ReadInt(j, "minDelayTarget", 1, 3600, &r.min_delay_s));
  THAW_RETURN_IF_ERROR(ReadInt(j, "maxDelayTarget", 1, 3600, &r.max_delay_s));
  THAW_RETURN_IF_ERROR(ReadInt(j, "numNoDelayRetries", 0, 100, &r.num_no_delay));
  THAW_RETURN_IF_ERROR(ReadInt(j, "numMinDelayRetries", 0, 100, &r.num_min_delay));
  THAW_RETURN_IF_ERROR(ReadInt(j, "numMaxDelayRetries", 0, 100, &r.num_max_delay));
  if (j.contains("backoffFunction")) {
    const json& b = j["backoffFunction"];
    if (!b.is_string() ||
        (b != "linear" && b != "arithmetic" && b != "geometric" && b != "exponential")) {
      return Invalid("backoffFunction must be one of linear, arithmetic, geometric, exponential");
    }
    r.backoff = b.get<std::string>();
  }
  if (r.min_delay_s > r.max_delay_s) {
    return Invalid("minDelayTarget must be less than or equal to maxDelayTarget");
  }
  if (r.num_no_delay + r.num_min_delay + r.num_max_delay > r.num_retries) {
    return Invalid(
        "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries");
  }
  return r;
}

StatusOr<json> ParseObject(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Invalid("failed to parse JSON");
  return j;
}

}  // namespace

std::optional<int64_t> RetryPolicy::DelayMs(int retry) const {
  if (retry < 1 || retry > num_retries) return std::nullopt;
  if (retry <= num_no_delay) return 0;
  if (retry <= num_no_delay + num_min_delay) return int64_t{min_delay_s} * 1000;
  const int backoff_count = num_retries - num_no_delay - num_min_delay - num_max_delay;
  const int k = retry - num_no_delay - num_min_delay;  // 1-based within the backoff phase
  if (k > backoff_count) return int64_t{max_delay_s} * 1000;
  const double lo = min_delay_s;
  const double hi = max_delay_s;
  // t runs from 0 (the first backoff retry, at minDelayTarget) to 1 (the last, at max).
  const double t = backoff_count <= 1 ? 1.0 : static_cast<double>(k - 1) / (backoff_count - 1);
  double s = lo;
  if (backoff == "linear") {
    s = lo + (hi - lo) * t;
  } else if (backoff == "arithmetic") {
    s = lo + (hi - lo) * t * t;
  } else if (backoff == "geometric") {
    s = lo * std::pow(hi / lo, t);
  } else {  // exponential: doubling steps
    const double n = backoff_count <= 1 ? 1.0 : backoff_count - 1;
    s = lo + (hi - lo) * (std::pow(2.0, t * n) - 1) / (std::pow(2.0, n) - 1);
  }
  return static_cast<int64_t>(std::lround(std::clamp(s, lo, hi) * 1000));
}

nlohmann::ordered_json RetryPolicy::ToJson() const {
  return nlohmann::ordered_json{
      {"minDelayTarget", min_delay_s},     {"maxDelayTarget", max_delay_s},
      {"numRetries", num_retries},         {"numMaxDelayRetries", num_max_delay},
      {"numNoDelayRetries", num_no_delay}, {"numMinDelayRetries", num_min_delay},
      {"backoffFunction", backoff}};
}

StatusOr<HttpPolicy> ParseTopicDeliveryPolicy(const std::string& text) {
  HttpPolicy out;
  if (text.empty()) return out;
  THAW_ASSIGN_OR_RETURN(json j, ParseObject(text));
  if (!j.contains("http")) return out;  // other protocols' sections are not ours to check
  const json& http = j["http"];
  if (!http.is_object()) return Invalid("http must be an object");
  if (http.contains("defaultHealthyRetryPolicy")) {
    THAW_ASSIGN_OR_RETURN(out.healthy, ParseRetry(http["defaultHealthyRetryPolicy"], out.healthy));
  }
  if (http.contains("disableSubscriptionOverrides")) {
    if (!http["disableSubscriptionOverrides"].is_boolean()) {
      return Invalid("disableSubscriptionOverrides must be a boolean");
    }
    out.disable_overrides = http["disableSubscriptionOverrides"].get<bool>();
  }
  if (http.contains("defaultRequestPolicy")) {
    const json& rp = http["defaultRequestPolicy"];
    if (rp.is_object() && rp.contains("headerContentType") && rp["headerContentType"].is_string()) {
      out.content_type = rp["headerContentType"].get<std::string>();
    }
  }
  return out;
}

StatusOr<HttpPolicy> ParseSubscriptionDeliveryPolicy(const std::string& text,
                                                     const HttpPolicy& topic) {
  HttpPolicy out = topic;
  if (text.empty()) return out;
  THAW_ASSIGN_OR_RETURN(json j, ParseObject(text));
  if (j.contains("healthyRetryPolicy")) {
    THAW_ASSIGN_OR_RETURN(out.healthy, ParseRetry(j["healthyRetryPolicy"], RetryPolicy{}));
  }
  if (j.contains("requestPolicy")) {
    const json& rp = j["requestPolicy"];
    if (rp.is_object() && rp.contains("headerContentType") && rp["headerContentType"].is_string()) {
      out.content_type = rp["headerContentType"].get<std::string>();
    }
  }
  if (topic.disable_overrides) {
    out.healthy = topic.healthy;
  }
  return out;
}

HttpPolicy EffectiveHttpPolicy(const std::string& topic_policy,
                               const std::string& subscription_policy) {
  auto topic = ParseTopicDeliveryPolicy(topic_policy);
  HttpPolicy base = topic.ok() ? *topic : HttpPolicy{};
  auto sub = ParseSubscriptionDeliveryPolicy(subscription_policy, base);
  return sub.ok() ? *sub : base;
}

std::string TopicEffectiveJson(const HttpPolicy& policy) {
  nlohmann::ordered_json j = {
      {"http",
       {{"defaultHealthyRetryPolicy", policy.healthy.ToJson()},
        {"disableSubscriptionOverrides", policy.disable_overrides},
        {"defaultRequestPolicy", {{"headerContentType", policy.content_type}}}}}};
  return j.dump();
}

std::string SubscriptionEffectiveJson(const HttpPolicy& policy) {
  nlohmann::ordered_json j = {{"healthyRetryPolicy", policy.healthy.ToJson()},
                              {"sicklyRetryPolicy", nullptr},
                              {"throttlePolicy", nullptr},
                              {"requestPolicy", {{"headerContentType", policy.content_type}}},
                              {"guaranteed", false}};
  return j.dump();
}

}  // namespace thaw::sns
