// SnsService: SNS's operations (parse -> execute -> XML result) and the delivery of what is
// published. Publish renders one Delivery per confirmed subscription whose filter policy
// matches, stores them (TopicStore), answers once they are committed, and hands each to its
// target through delivery::Sinks: an Event invoke for lambda, a message for sqs, an HTTP POST
// (on a thread of its own, loopback only) for http/https. A delivery is deleted once its target
// holds it. Failures are retried on SNS's policy for the protocol, every delay times
// `delay_scale`; a client-side error (the queue or function does not exist) is not retried.
// The publisher's X-Amzn-Trace-Id goes with each delivery to Lambda and SQS (AWSTraceHeader),
// so Lambda's recursive loop detection counts hops through a topic, as on AWS.
// A delivery given up goes to the subscription's RedrivePolicy queue, else is dropped.
// Threads: the loop thread, apart from the HTTP sender thread (which only posts back).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "delivery/destinations.h"
#include "sns/delivery_policy.h"
#include "sns/message.h"
#include "sns/query.h"
#include "sns/topic_store.h"

namespace thaw::sns {

inline constexpr size_t kMaxMessageBytes = 262144;
inline constexpr char kServicePrincipal[] = "sns.amazonaws.com";

struct Context {
  std::string account = kDefaultAccount;  // the caller's
  // An unsigned GET of an UnsubscribeURL: the subscription ARN in it is the authority.
  bool unsubscribe_url = false;
  std::string trace_header = {};  // the request's X-Amzn-Trace-Id (Lineage and all)
};

class SnsService final : public delivery::TopicSink {
 public:
  struct Options {
    double delay_scale = 1.0;        // every retry delay is multiplied by this
    std::string endpoint;            // "http://127.0.0.1:9001", for the URLs messages carry
    std::shared_ptr<Signer> signer;  // none: empty signatures
  };
  // `store` and `sinks` must outlive the service. Takes over the store's delivery listener.
  SnsService(TopicStore& store, delivery::Sinks& sinks, Options options);
  ~SnsService() override;

  void set_endpoint(std::string endpoint) { options_.endpoint = std::move(endpoint); }
  const Signer* signer() const { return options_.signer.get(); }
  // Resumes the deliveries a restart left.
  void Start();

  static bool IsOperation(const std::string& op);
  // Runs one operation; `done` on the loop, once what it changed is committed.
  void Execute(const Context& ctx, const std::string& op, const Params& params,
               std::function<void(Outcome)> done);

  // delivery::TopicSink: a Lambda destination or dead-letter publish.
  void PublishToTopic(const std::string& topic_arn, std::string message,
                      sqs::MessageAttributes attributes, std::function<void(Status)> done) override;

  // How long before retry number `attempt` (1-based) of an AWS-managed endpoint (lambda, sqs),
  // unscaled; nullopt once the 100,015 attempts are spent.
  static std::optional<int64_t> ManagedRetryDelayMs(int attempt);

 private:
  struct Timer;
  Outcome CreateTopic(const Context& ctx, const Params& p);
  Outcome DeleteTopic(const Context& ctx, const Params& p);
  Outcome ListTopics(const Context& ctx, const Params& p);
  Outcome GetTopicAttributes(const Context& ctx, const Params& p);
  Outcome SetTopicAttributes(const Context& ctx, const Params& p);
  Outcome Subscribe(const Context& ctx, const Params& p);
  Outcome ConfirmSubscription(const Params& p);
  Outcome Unsubscribe(const Context& ctx, const Params& p);
  Outcome ListSubscriptions(const Context& ctx, const Params& p, bool by_topic);
  Outcome GetSubscriptionAttributes(const Context& ctx, const Params& p);
  Outcome SetSubscriptionAttributes(const Context& ctx, const Params& p);
  // Publish, or PublishBatch (`batch`): one path, each entry through PublishOne.
  Outcome Publish(const Context& ctx, const Params& p, bool batch);
  Outcome TagResource(const Context& ctx, const Params& p);
  Outcome UntagResource(const Context& ctx, const Params& p);
  Outcome ListTagsForResource(const Context& ctx, const Params& p);

  // Looks up a topic ARN parameter: InvalidParameter when malformed, NotFound when absent,
  // AuthorizationError when the topic's policy does not let the caller do `action`.
  Topic* LookUpTopic(const Context& ctx, const std::string& arn, const std::string& action,
                     Error* error);
  // A subscription the caller may manage (its owner or the topic's), else the error.
  Subscription* LookUpSubscription(const Context& ctx, const std::string& arn,
                                   const std::string& action, Error* error);
  // Validates and fans out one message. On success fills message_id / sequence_number.
  std::optional<Error> PublishOne(const Context& ctx, Topic& topic, const Params& entry,
                                  std::string* message_id, std::string* sequence_number);
  std::vector<Delivery> Render(const Published& p);
  void SendConfirmation(const Subscription& sub);

  void Attempt(const Delivery& d);
  void Finished(Delivery d, const Status& status);
  void GiveUp(const Delivery& d, const Status& why);
  void PostHttp(const Delivery& d);
  // An http/https delivery's DeliveryPolicy: its subscription's over its topic's.
  HttpPolicy HttpPolicyOf(const Delivery& d) const;
  // The delay before its retry number d.attempts, unscaled; nullopt when spent.
  std::optional<int64_t> HttpRetryDelayMs(const Delivery& d) const;

  TopicStore& store_;
  delivery::Sinks& sinks_;
  Options options_;
  std::shared_ptr<bool> alive_;
  std::map<int64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;  // retries due
  // HTTP/S deliveries run here: the client blocks.
  boost::asio::io_context http_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> http_work_;
  std::thread http_thread_;
};

}  // namespace thaw::sns
