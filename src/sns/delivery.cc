#include <algorithm>
#include <cmath>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "base/codec.h"
#include "base/log.h"
#include "http/client.h"
#include "sns/delivery_policy.h"
#include "sns/https_post.h"
#include "sns/service.h"

namespace thaw::sns {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

bool ClientSide(const Status& s) {
  return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kFailedPrecondition;
}

// The HTTP status a failure stands for in a dead-letter message's ErrorCode.
int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kResourceExhausted:
      return 429;
    default:
      return 500;
  }
}

}  // namespace

std::optional<int64_t> SnsService::ManagedRetryDelayMs(int attempt) {
  if (attempt < 1) return 0;
  if (attempt <= 3) return 0;     // 3 immediate
  if (attempt <= 5) return 1000;  // 2 at 1 s
  if (attempt <= 15) {            // 10 backing off from 1 to 20 s
    double step = std::pow(20.0, (attempt - 6) / 9.0);
    return static_cast<int64_t>(std::lround(step * 1000));
  }
  if (attempt <= 100015) return 20000;  // 100,000 at 20 s
  return std::nullopt;
}

// ---- Delivery ----

void SnsService::Attempt(const Delivery& d) {
  auto finish = [this, d, alive = std::weak_ptr<bool>(alive_)](const Status& s) {
    auto a = alive.lock();
    if (!a || !*a) return;
    Finished(d, s);
  };
  // SNS delivers as its service principal for the topic, so the function's resource policy and
  // another account's queue policy decide, as on AWS.
  const std::string topic_arn = d.TopicArn();
  const auto who =
      lambda::InvokePrincipal::Service(kServicePrincipal, topic_arn, auth::ArnAccount(topic_arn));
  if (d.protocol == "lambda") {
    sinks_.InvokeAsyncAs(who, d.target, d.body, d.trace_header, std::move(finish));
  } else if (d.protocol == "sqs") {
    sqs::Message m;
    m.body = d.body;
    m.attributes = d.attributes;
    m.group_id = d.group_id;
    m.dedup_id = d.dedup_id;
    m.trace_header = d.trace_header;  // AWSTraceHeader
    sinks_.SendToQueueAs(who, d.target, std::move(m), std::move(finish));
  } else if (d.protocol == "http" || d.protocol == "https") {
    PostHttp(d);
  } else {
    Finished(d, Status::InvalidArgument("unknown protocol " + d.protocol));
  }
}

void SnsService::PostHttp(const Delivery& d) {
  const std::string content_type = HttpPolicyOf(d).content_type;
  asio::post(http_io_, [this, d, content_type, alive = std::weak_ptr<bool>(alive_)] {
    // scheme://host:port/path -> ("scheme://host:port", "/path")
    const std::string& url = d.target;
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string base = slash == std::string::npos ? url : url.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : url.substr(slash);
    http::Headers headers;
    headers.Set("Content-Type", content_type);
    headers.Set("x-amz-sns-message-type", d.message_type);
    headers.Set("x-amz-sns-message-id", d.message_id);
    headers.Set("x-amz-sns-topic-arn", d.TopicArn());
    if (d.message_type == "Notification") {
      headers.Set("x-amz-sns-subscription-arn", d.subscription_arn);
    }
    headers.Set("User-Agent", "Amazon Simple Notification Service Agent");
    constexpr int64_t kTimeoutMs = 15000;
    StatusOr<int> answer = Status::Unavailable("not sent");
    if (base.starts_with("https://")) {
      // host[:port], the host maybe "[::1]"
      std::string authority = base.substr(8);
      auto colon = authority.rfind(':');
      bool has_port = colon != std::string::npos && authority.find(']', colon) == std::string::npos;
      std::string host = has_port ? authority.substr(0, colon) : authority;
      std::string port = has_port ? authority.substr(colon + 1) : "443";
      answer = PostHttps(host, port, path, headers, d.body, kTimeoutMs);
    } else {
      auto client = http::Client::Create(base);
      if (!client.ok()) {
        answer = client.status();
      } else {
        auto r = (*client)->Do("POST", path, headers, d.body, kTimeoutMs);
        if (r.ok()) {
          answer = r->status;
        } else {
          answer = Status::Unavailable(r.status().message());
        }
      }
    }
    Status status = Status::Ok();
    if (!answer.ok()) {
      status = answer.status();
    } else if (*answer >= 500) {
      status = Status::Unavailable("HTTP " + std::to_string(*answer));
    } else if (*answer >= 400) {
      status = Status::InvalidArgument("HTTP " + std::to_string(*answer));
    }
    asio::post(store_.loop(), [this, d, status, alive] {
      auto a = alive.lock();
      if (!a || !*a) return;
      Finished(d, status);
    });
  });
}

void SnsService::Finished(Delivery d, const Status& status) {
  if (status.ok()) {
    store_.RemoveDelivery(d.id);
    return;
  }
  d.attempts++;
  std::optional<int64_t> delay;
  if (d.message_type == "SubscriptionConfirmation") {
    delay = std::nullopt;  // sent once; Subscribe may be called again
  } else if (d.protocol == "http" || d.protocol == "https") {
    delay = HttpRetryDelayMs(d);
  } else {
    delay = ManagedRetryDelayMs(d.attempts);
  }
  if (ClientSide(status) || !delay) {
    GiveUp(d, status);
    return;
  }
  store_.SaveDelivery(d);
  const auto scaled = static_cast<int64_t>(static_cast<double>(*delay) * options_.delay_scale);
  auto timer = std::make_unique<asio::steady_timer>(store_.loop());
  timer->expires_after(std::chrono::milliseconds(scaled));
  timer->async_wait([this, d, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    timers_.erase(d.id);
    Attempt(d);
  });
  timers_[d.id] = std::move(timer);
}

HttpPolicy SnsService::HttpPolicyOf(const Delivery& d) const {
  std::string topic_policy, subscription_policy;
  if (Subscription* s = store_.FindSubscription(d.subscription_arn)) {
    auto it = s->attributes.find("DeliveryPolicy");
    if (it != s->attributes.end()) subscription_policy = it->second;
  }
  if (Topic* t = store_.FindTopic(d.TopicArn())) {
    auto it = t->attributes.find("DeliveryPolicy");
    if (it != t->attributes.end()) topic_policy = it->second;
  }
  return EffectiveHttpPolicy(topic_policy, subscription_policy);
}

std::optional<int64_t> SnsService::HttpRetryDelayMs(const Delivery& d) const {
  return HttpPolicyOf(d).healthy.DelayMs(d.attempts);
}

void SnsService::GiveUp(const Delivery& d, const Status& why) {
  THAW_LOG(kInfo, "sns") << "delivery of " << d.message_id << " to " << d.target
                         << " failed: " << why.message()
                         << (d.dlq_arn.empty() ? "; dropped" : "; to " + d.dlq_arn);
  if (d.dlq_arn.empty() || d.message_type != "Notification") {
    store_.RemoveDelivery(d.id);
    return;
  }
  // The DLQ gets what the subscriber would have: for Lambda, the notification's SNS body.
  std::string body = d.body;
  if (d.protocol == "lambda") {
    auto event = json::parse(d.body, nullptr, false);
    if (event.is_object() && event["Records"].is_array() && !event["Records"].empty()) {
      json sns = event["Records"][0]["Sns"];
      if (sns.is_object()) {
        sns["SigningCertURL"] = sns["SigningCertUrl"];
        sns["UnsubscribeURL"] = sns["UnsubscribeUrl"];
        sns.erase("SigningCertUrl");
        sns.erase("UnsubscribeUrl");
        if (sns["Subject"].is_null()) sns.erase("Subject");
        body = sns.dump();
      }
    }
  }
  // What the subscriber would have had, and why it did not (as Lambda's dead-letter messages).
  sqs::MessageAttributes attributes = d.attributes;
  std::string error_message = why.message();
  if (error_message.size() > 1024) error_message.resize(1024);
  attributes["RequestID"] = {"String", NewUuid()};
  attributes["ErrorCode"] = {"Number", std::to_string(HttpStatusOf(why))};
  attributes["ErrorMessage"] = {"String", error_message};
  sqs::Message m;
  m.body = std::move(body);
  m.attributes = std::move(attributes);
  m.group_id = d.group_id;
  m.dedup_id = d.dedup_id;
  m.trace_header = d.trace_header;
  // The DLQ is the subscription's account's (AWS requires it), so SNS sends there as the owner.
  const std::string topic_arn = d.TopicArn();
  sinks_.SendToQueueAs(
      lambda::InvokePrincipal::Service(kServicePrincipal, topic_arn, auth::ArnAccount(d.dlq_arn)),
      d.dlq_arn, std::move(m),
      [this, id = d.id, dlq = d.dlq_arn, alive = std::weak_ptr<bool>(alive_)](const Status& s) {
        auto a = alive.lock();
        if (!a || !*a) return;
        if (!s.ok()) {
          THAW_LOG(kWarn, "sns") << "cannot send to DLQ " << dlq << ": " << s.message();
        }
        store_.RemoveDelivery(id);
      });
}

}  // namespace thaw::sns
