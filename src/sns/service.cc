#include "sns/service.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "sns/topic_policy.h"

namespace thaw::sns {

namespace asio = boost::asio;
using nlohmann::json;

SnsService::SnsService(TopicStore& store, delivery::Sinks& sinks, Options options)
    : store_(store),
      sinks_(sinks),
      options_(std::move(options)),
      alive_(std::make_shared<bool>(true)),
      http_work_(asio::make_work_guard(http_io_)) {
  store_.SetListener([this](const Delivery& d) { Attempt(d); });
  http_thread_ = std::thread([this] { http_io_.run(); });
}

SnsService::~SnsService() {
  *alive_ = false;
  store_.SetListener(nullptr);
  http_work_.reset();
  http_io_.stop();
  if (http_thread_.joinable()) http_thread_.join();
}

void SnsService::Start() { store_.Start(); }

bool SnsService::IsOperation(const std::string& op) {
  static const std::set<std::string> kOps = {
      "CreateTopic",
      "DeleteTopic",
      "ListTopics",
      "GetTopicAttributes",
      "SetTopicAttributes",
      "Subscribe",
      "ConfirmSubscription",
      "Unsubscribe",
      "ListSubscriptions",
      "ListSubscriptionsByTopic",
      "GetSubscriptionAttributes",
      "SetSubscriptionAttributes",
      "Publish",
      "PublishBatch",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
  };
  return kOps.count(op) > 0;
}

void SnsService::Execute(const Context& ctx, const std::string& op, const Params& p,
                         std::function<void(Outcome)> done) {
  Outcome o;
  if (op == "CreateTopic")
    o = CreateTopic(ctx, p);
  else if (op == "DeleteTopic")
    o = DeleteTopic(ctx, p);
  else if (op == "ListTopics")
    o = ListTopics(ctx, p);
  else if (op == "GetTopicAttributes")
    o = GetTopicAttributes(ctx, p);
  else if (op == "SetTopicAttributes")
    o = SetTopicAttributes(ctx, p);
  else if (op == "Subscribe")
    o = Subscribe(ctx, p);
  else if (op == "ConfirmSubscription")
    o = ConfirmSubscription(p);
  else if (op == "Unsubscribe")
    o = Unsubscribe(ctx, p);
  else if (op == "ListSubscriptions")
    o = ListSubscriptions(ctx, p, false);
  else if (op == "ListSubscriptionsByTopic")
    o = ListSubscriptions(ctx, p, true);
  else if (op == "GetSubscriptionAttributes")
    o = GetSubscriptionAttributes(ctx, p);
  else if (op == "SetSubscriptionAttributes")
    o = SetSubscriptionAttributes(ctx, p);
  else if (op == "Publish")
    o = Publish(ctx, p, false);
  else if (op == "PublishBatch")
    o = Publish(ctx, p, true);
  else if (op == "TagResource")
    o = TagResource(ctx, p);
  else if (op == "UntagResource")
    o = UntagResource(ctx, p);
  else if (op == "ListTagsForResource")
    o = ListTagsForResource(ctx, p);
  else
    o = Fail("InvalidAction",
             "The action " + op.substr(0, 64) + " is not valid for this endpoint.");
  if (o.error) {
    done(std::move(o));
    return;
  }
  // Answered once what it changed is durable.
  store_.AfterCommit([done = std::move(done), o = std::move(o)](const Status& s) mutable {
    if (!s.ok()) o = Fail("InternalError", "Internal error: " + s.message());
    done(std::move(o));
  });
}

Topic* SnsService::LookUpTopic(const Context& ctx, const std::string& arn,
                               const std::string& action, Error* error) {
  if (!ParseTopicArn(arn)) {
    *error = MakeError("InvalidParameter", "Invalid parameter: TopicArn");
    return nullptr;
  }
  Topic* t = store_.FindTopic(arn);
  if (!t) {
    *error = MakeError("NotFound", "Topic does not exist");
    return nullptr;
  }
  if (auto denied = AuthorizeTopic(arn, t->account, t->policy.get(), ctx.account, action)) {
    *error = std::move(*denied);
    return nullptr;
  }
  return t;
}

Subscription* SnsService::LookUpSubscription(const Context& ctx, const std::string& arn,
                                             const std::string& action, Error* error) {
  Subscription* s = store_.FindSubscription(arn);
  if (!s) {
    auto colon = arn.rfind(':');
    *error = colon == std::string::npos || !ParseTopicArn(arn.substr(0, colon))
                 ? MakeError("InvalidParameter", "Invalid parameter: SubscriptionArn")
                 : MakeError("NotFound", "Subscription does not exist");
    return nullptr;
  }
  // The subscriber and the topic's owner manage a subscription; nobody else.
  if (ctx.account != s->owner && ctx.account != auth::ArnAccount(s->topic_arn)) {
    *error = MakeError("AuthorizationError", "User: arn:aws:iam::" + ctx.account +
                                                 ":root is not authorized to perform: " + action +
                                                 " on resource: " + arn);
    return nullptr;
  }
  return s;
}

}  // namespace thaw::sns
