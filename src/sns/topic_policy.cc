#include "sns/topic_policy.h"

#include <nlohmann/json.hpp>

namespace thaw::sns {

using nlohmann::json;

std::string DefaultTopicPolicy(const std::string& topic_arn, const std::string& owner) {
  nlohmann::ordered_json policy = {
      {"Version", "2008-10-17"},
      {"Id", "__default_policy_ID"},
      {"Statement",
       nlohmann::ordered_json::array(
           {{{"Sid", "__default_statement_ID"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", "*"}}},
             {"Action",
              json::array({"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                           "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                           "SNS:ListSubscriptionsByTopic", "SNS:Publish"})},
             {"Resource", topic_arn},
             {"Condition", {{"StringEquals", {{"AWS:SourceOwner", owner}}}}}}})}};
  return policy.dump();
}

StatusOr<auth::PolicyPtr> ParseTopicPolicy(const std::string& text) {
  if (text.empty()) return auth::PolicyPtr();
  auto parsed = auth::Policy::ParseText(text);
  if (!parsed.ok()) {
    return Status::InvalidArgument("Invalid parameter: Policy Error: " + parsed.status().message());
  }
  return std::make_shared<const auth::Policy>(std::move(*parsed));
}

std::optional<Error> AuthorizeTopic(const std::string& topic_arn, const std::string& owner,
                                    const auth::Policy* policy, const std::string& caller_account,
                                    const std::string& action) {
  if (caller_account == owner) return std::nullopt;
  auth::AccessRequest request;
  request.principal_account = caller_account;
  request.principal_arn = "arn:aws:iam::" + caller_account + ":root";
  request.action = action;
  request.resource = topic_arn;
  request.context["aws:sourceowner"] = caller_account;
  request.context["aws:sourceaccount"] = caller_account;
  // Without a policy of its own the topic has the default one, which admits only the owner.
  auth::Decision decision = policy ? policy->Evaluate(request) : auth::Decision::kImplicitDeny;
  if (decision == auth::Decision::kAllow) return std::nullopt;
  std::string message = "User: " + request.principal_arn +
                        " is not authorized to perform: " + action + " on resource: " + topic_arn;
  message += decision == auth::Decision::kExplicitDeny
                 ? " with an explicit deny in a resource-based policy"
                 : " because no resource-based policy allows the " + action + " action";
  return MakeError("AuthorizationError", message);
}

}  // namespace thaw::sns
