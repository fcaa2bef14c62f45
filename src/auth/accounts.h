// Accounts: which AWS account a request acts in, from the access key id of its signature, and
// the secrets `thaw serve --verify-signatures` checks signatures against.
//   - a key listed in the accounts file (`thaw serve --accounts FILE`) is its account;
//   - else a 12-digit key id is that account (LocalStack's convention);
//   - else 000000000000.
// The file is JSON:
//   {"keys": [{"accessKeyId": "AKIA...", "secretAccessKey": "...", "account": "111111111111"}]}
// ("account" may be left out for a 12-digit key id, which is its own account). Immutable once
// loaded; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::auth {

struct AccountKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string account;  // 12 digits
};

// True for a 12-digit account id.
bool IsAccountId(std::string_view text);

// The account of a key id without a file: a 12-digit key id is itself, anything else
// 000000000000.
std::string DefaultAccountOf(std::string_view access_key_id);

// The account field of an ARN ("arn:aws:sns:us-east-1:111111111111:topic" -> "111111111111");
// "" when there is none.
std::string ArnAccount(std::string_view arn);

class Accounts {
 public:
  Accounts() = default;
  // Parses the file's text; InvalidArgument names what is wrong (and never quotes a secret).
  static StatusOr<Accounts> Parse(std::string_view json_text);
  static StatusOr<Accounts> Load(const std::string& path);

  // The account `access_key_id` acts in (see above).
  std::string AccountOf(std::string_view access_key_id) const;
  // The listed key, or null.
  const AccountKey* Find(std::string_view access_key_id) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, AccountKey, std::less<>> keys_;
};

}  // namespace thaw::auth
