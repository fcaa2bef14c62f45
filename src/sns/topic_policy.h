// Who may act on a topic: its `Policy` attribute (AWS's default when none was set: the owner's
// account may do everything), enforced for callers of another account. A caller of the topic's
// own account is allowed, as an administrator is (thaw's keys are the operator's). A caller of
// another account needs a statement that allows its principal (arn:aws:iam::ACCOUNT:root) the
// action (SNS:Publish, SNS:Subscribe, ...) on the topic ARN, conditions met (aws:SourceOwner
// and aws:SourceAccount are the caller's account), and no Deny; else AuthorizationError (403)
// with AWS's text. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "auth/policy_eval.h"
#include "base/status.h"
#include "sns/query.h"

namespace thaw::sns {

// AWS's default topic policy document ("__default_policy_ID"), as GetTopicAttributes shows it.
std::string DefaultTopicPolicy(const std::string& topic_arn, const std::string& owner);

// Parses a Policy attribute (empty: none). A document the evaluator cannot fully understand is
// InvalidParameter ("Invalid parameter: Policy Error: ...").
StatusOr<auth::PolicyPtr> ParseTopicPolicy(const std::string& text);

// nullopt when `caller_account` may perform `action` ("SNS:Publish") on the topic `topic_arn`
// owned by `owner` with `policy` (null: the default policy); else the AuthorizationError.
std::optional<Error> AuthorizeTopic(const std::string& topic_arn, const std::string& owner,
                                    const auth::Policy* policy, const std::string& caller_account,
                                    const std::string& action);

}  // namespace thaw::sns
