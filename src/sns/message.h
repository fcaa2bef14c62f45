// What SNS delivers: the events.SNSEvent record a Lambda subscription gets, the JSON envelope
// an SQS or HTTP subscription gets (SigningCertURL / UnsubscribeURL there, SigningCertUrl /
// UnsubscribeUrl in Lambda's record), the view of a message a filter policy is matched
// against, and the message's signature (SignatureVersion 1: RSA-SHA1 over SNS's canonical
// string, with thaw's own key). Pure apart from the key (Signer); thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sqs/message.h"

namespace thaw::sns {

struct Published {
  std::string message_id;
  std::string topic_arn;
  std::optional<std::string> subject;
  std::string message;                // as published
  bool structured = false;            // MessageStructure=json: `message` is a JSON object
  sqs::MessageAttributes attributes;  // Binary values raw
  int64_t timestamp_ms = 0;
  std::string group_id;
  std::string dedup_id;
  std::string sequence_number;  // FIFO
  std::string trace_header;     // the publisher's X-Amzn-Trace-Id, for its deliveries
};

// The key messages are signed with: RSA 2048, and its self-signed certificate (PEM), served at
// the SigningCertURL. Making the key takes 20-300 ms, so a server keeps it in its state dir.
class Signer {
 public:
  // With `key_path`, the key is read from that PEM file, or made and written there (0600) when
  // the file is missing; without, it is made for this process only.
  static StatusOr<std::shared_ptr<Signer>> Create(const std::string& key_path = "");
  ~Signer();
  const std::string& certificate_pem() const { return cert_pem_; }
  // base64 RSA-SHA1 signature of `text`.
  std::string Sign(const std::string& text) const;

 private:
  Signer() = default;
  void* key_ = nullptr;  // EVP_PKEY
  std::string cert_pem_;
};

// The URLs a message carries, built from the front door's address ("http://127.0.0.1:9001").
std::string SigningCertUrl(const std::string& endpoint);
std::string UnsubscribeUrl(const std::string& endpoint, const std::string& subscription_arn);

// The message text a protocol gets: with MessageStructure=json its key, else "default".
std::string MessageFor(const Published& p, const std::string& protocol);

// Checks a MessageStructure=json message: a JSON object with a string "default".
Status CheckStructured(const std::string& message);

// SNS's canonical string for a Notification's signature (Subject left out when absent).
std::string CanonicalNotification(const Published& p, const std::string& message);

// The events.SNSEvent payload (one record) for a Lambda subscription.
std::string LambdaEvent(const Published& p, const std::string& subscription_arn,
                        const std::string& endpoint, const Signer* signer);

// The JSON envelope an SQS or HTTP subscription gets.
std::string Envelope(const Published& p, const std::string& protocol,
                     const std::string& subscription_arn, const std::string& endpoint,
                     const Signer* signer);

// {name: {Type, Value}} as the envelope and the Lambda record carry them (Binary as base64).
nlohmann::json AttributesJson(const sqs::MessageAttributes& attributes);

// The document a MessageAttributes-scope filter policy is matched against: each attribute by
// name, Number as a JSON number, String.Array as its array, Binary left out.
nlohmann::json FilterView(const sqs::MessageAttributes& attributes);

}  // namespace thaw::sns
