#include "sns/message.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/codec.h"

namespace thaw::sns {

using nlohmann::json;

namespace {

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

namespace {

// The key at `path` (its mode tightened to 0600, as the stores do with theirs), or nullptr when
// the file is missing or holds no PEM private key.
StatusOr<EVP_PKEY*> ReadKey(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    return ErrnoStatus("open", path, errno);
  }
  if (fchmod(fd, 0600) != 0) {
    Status s = ErrnoStatus("fchmod", path, errno);
    close(fd);
    return s;
  }
  FILE* f = fdopen(fd, "r");
  if (f == nullptr) {
    close(fd);
    return ErrnoStatus("fdopen", path, errno);
  }
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  return key;
}

// Writes `key` to `path` (0600) through a temporary file and a rename.
Status WriteKey(EVP_PKEY* key, const std::string& path) {
  std::string partial = path + ".new";
  int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("open", partial, errno);
  FILE* f = fdopen(fd, "w");
  if (f == nullptr) {
    close(fd);
    return ErrnoStatus("fdopen", partial, errno);
  }
  bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = fflush(f) == 0 && ok;
  ok = fsync(fd) == 0 && ok;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(partial.c_str(), path.c_str()) != 0) {
    unlink(partial.c_str());
    return Status::Internal("cannot write the SNS signing key to " + path);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::shared_ptr<Signer>> Signer::Create(const std::string& key_path) {
  std::shared_ptr<Signer> signer(new Signer());
  EVP_PKEY* key = nullptr;
  if (!key_path.empty()) {
    THAW_ASSIGN_OR_RETURN(key, ReadKey(key_path));
  }
  const bool made = key == nullptr;
  if (made) key = EVP_RSA_gen(2048);
  if (!key) return Status::Internal("cannot make the SNS signing key");
  signer->key_ = key;  // ~Signer frees it on every path below
  if (made && !key_path.empty()) THAW_RETURN_IF_ERROR(WriteKey(key, key_path));
  X509* cert = X509_new();
  if (!cert) return Status::Internal("cannot make the SNS signing certificate");
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sns.amazonaws.com"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  BIO* bio = BIO_new(BIO_s_mem());
  ok = ok && bio && PEM_write_bio_X509(bio, cert) == 1;
  if (ok) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    signer->cert_pem_.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  X509_free(cert);
  if (!ok) return Status::Internal("cannot sign the SNS signing certificate");
  return signer;
}

Signer::~Signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

std::string Signer::Sign(const std::string& text) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(512, '\0');
  size_t len = sig.size();
  bool ok =
      ctx &&
      EVP_DigestSignInit(ctx, nullptr, EVP_sha1(), nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  sig.resize(len);
  return Base64Encode(sig);
}

std::string SigningCertUrl(const std::string& endpoint) {
  return endpoint + "/thaw/sns/SimpleNotificationService-thaw.pem";
}

std::string UnsubscribeUrl(const std::string& endpoint, const std::string& subscription_arn) {
  return endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + UrlEncode(subscription_arn);
}

Status CheckStructured(const std::string& message) {
  auto j = json::parse(message, nullptr, false);
  if (!j.is_object()) {
    return Status::InvalidArgument(
        "Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  auto it = j.find("default");
  if (it == j.end() || !it->is_string()) {
    return Status::InvalidArgument(
        "Invalid parameter: Message Structure - No default entry in JSON message body");
  }
  for (auto& [k, v] : j.items()) {
    if (!v.is_string()) {
      return Status::InvalidArgument(
          "Invalid parameter: Message Structure - JSON message body failed to parse");
    }
  }
  return Status::Ok();
}

std::string MessageFor(const Published& p, const std::string& protocol) {
  if (!p.structured) return p.message;
  auto j = json::parse(p.message, nullptr, false);
  if (!j.is_object()) return p.message;
  if (auto it = j.find(protocol); it != j.end() && it->is_string()) return *it;
  if (auto it = j.find("default"); it != j.end() && it->is_string()) return *it;
  return p.message;
}

std::string CanonicalNotification(const Published& p, const std::string& message) {
  std::string s = "Message\n" + message + "\nMessageId\n" + p.message_id + "\n";
  if (p.subject) s += "Subject\n" + *p.subject + "\n";
  s += "Timestamp\n" + FormatIsoMillis(p.timestamp_ms) + "\nTopicArn\n" + p.topic_arn +
       "\nType\nNotification\n";
  return s;
}

json AttributesJson(const sqs::MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, a] : attributes) {
    out[name] = {{"Type", a.data_type}, {"Value", a.binary() ? Base64Encode(a.value) : a.value}};
  }
  return out;
}

json FilterView(const sqs::MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, a] : attributes) {
    if (a.binary()) continue;
    if (a.data_type.starts_with("Number")) {
      auto n = json::parse(a.value, nullptr, false);
      out[name] = n.is_number() ? n : json(a.value);
    } else if (a.data_type.starts_with("String.Array")) {
      auto arr = json::parse(a.value, nullptr, false);
      out[name] = arr.is_array() ? arr : json(a.value);
    } else {
      out[name] = a.value;
    }
  }
  return out;
}

std::string LambdaEvent(const Published& p, const std::string& subscription_arn,
                        const std::string& endpoint, const Signer* signer) {
  std::string message = MessageFor(p, "lambda");
  json sns = {
      {"Type", "Notification"},
      {"MessageId", p.message_id},
      {"TopicArn", p.topic_arn},
      {"Subject", p.subject ? json(*p.subject) : json(nullptr)},
      {"Message", message},
      {"Timestamp", FormatIsoMillis(p.timestamp_ms)},
      {"SignatureVersion", "1"},
      {"Signature", signer ? signer->Sign(CanonicalNotification(p, message)) : ""},
      {"SigningCertUrl", SigningCertUrl(endpoint)},
      {"UnsubscribeUrl", UnsubscribeUrl(endpoint, subscription_arn)},
      {"MessageAttributes", AttributesJson(p.attributes)},
  };
  json record = {{"EventSource", "aws:sns"},
                 {"EventVersion", "1.0"},
                 {"EventSubscriptionArn", subscription_arn},
                 {"Sns", std::move(sns)}};
  json event = {{"Records", json::array({std::move(record)})}};
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Envelope(const Published& p, const std::string& protocol,
                     const std::string& subscription_arn, const std::string& endpoint,
                     const Signer* signer) {
  std::string message = MessageFor(p, protocol);
  json env = json::object();
  env["Type"] = "Notification";
  env["MessageId"] = p.message_id;
  if (!p.sequence_number.empty()) env["SequenceNumber"] = p.sequence_number;
  env["TopicArn"] = p.topic_arn;
  if (p.subject) env["Subject"] = *p.subject;
  env["Message"] = message;
  env["Timestamp"] = FormatIsoMillis(p.timestamp_ms);
  env["SignatureVersion"] = "1";
  env["Signature"] = signer ? signer->Sign(CanonicalNotification(p, message)) : "";
  env["SigningCertURL"] = SigningCertUrl(endpoint);
  env["UnsubscribeURL"] = UnsubscribeUrl(endpoint, subscription_arn);
  if (!p.attributes.empty()) env["MessageAttributes"] = AttributesJson(p.attributes);
  return env.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace thaw::sns
