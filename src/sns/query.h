// The query protocol's pieces every SNS operation uses: parameters (`.member.N`, `.entry.N`),
// errors as SNS names them (code, text, HTTP status), results as the inner XML of <OpResult>,
// and topic ARNs. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thaw::sns {

inline constexpr char kXmlNamespace[] = "http://sns.amazonaws.com/doc/2010-03-31/";
inline constexpr char kDefaultAccount[] = "000000000000";

// An error as the query protocol names it.
struct Error {
  std::string code;  // "NotFound", "InvalidParameter", ...
  std::string message;
  int status = 400;
  bool sender = true;
};
Error MakeError(std::string code, std::string message);

// A result: the inner XML of <OpResult>, or an error.
struct Outcome {
  std::optional<Error> error;
  std::string result;       // XML inside <OpResult>
  bool has_result = false;  // DeleteTopic and the like answer without an <OpResult>
};

// Query parameters by name (the first of a repeated name wins).
using Params = std::map<std::string, std::string>;

// prefix.N.rest -> the Nth member's {rest: value}, in index order.
std::vector<Params> Members(const Params& params, const std::string& prefix);
// prefix.N -> values, in index order.
std::vector<std::string> ScalarMembers(const Params& params, const std::string& prefix);

std::string Get(const Params& p, const std::string& key);
bool Has(const Params& p, const std::string& key);

// <name>value</name>, escaped.
std::string Element(const std::string& name, const std::string& value);
// <Attributes><entry><key>..</key><value>..</value></entry>...</Attributes>
std::string Entries(const std::map<std::string, std::string>& map);
Outcome Result(std::string xml);
Outcome Empty();
Outcome Fail(std::string code, std::string message);
Outcome Fail(Error e);

// One page of a List* answer: up to 100 of `members` ((key, the <member>'s inner XML), sorted
// by key) after the NextToken's key, inside <list>, and the next page's NextToken.
Outcome Page(const Params& p, const std::string& list,
             const std::vector<std::pair<std::string, std::string>>& members);

// Letters, digits, '-' and '_', 1 to 256 characters; a FIFO topic's ends with ".fifo".
bool ValidTopicName(const std::string& name, bool fifo);
bool IsDigits(const std::string& s, size_t n);

// "arn:aws:sns:REGION:ACCOUNT:NAME" with a valid topic name; nullopt otherwise.
struct TopicArnParts {
  std::string region;
  std::string account;
  std::string name;
};
std::optional<TopicArnParts> ParseTopicArn(const std::string& arn);

}  // namespace thaw::sns
