#include "sns/message.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/codec.h"

namespace thaw::sns {
namespace {

using nlohmann::json;

Published Sample() {
  Published p;
  p.message_id = "95df01b4-ee98-5cb9-9903-4c221d41eb5e";
  p.topic_arn = "arn:aws:sns:us-east-1:123456789012:sns-lambda";
  p.message = "Hello from SNS!";
  p.timestamp_ms = 1546433107000;
  p.attributes["Test"] = {"String", "TestString"};
  p.attributes["TestBinary"] = {"Binary", "TestBinary"};
  return p;
}

TEST(SnsMessage, LambdaEventHasTheSnsEventShape) {
  Published p = Sample();
  const std::string sub = p.topic_arn + ":21be56ed-a058-49f5-8c98-aedd2564c486";
  json e = json::parse(LambdaEvent(p, sub, "http://127.0.0.1:9001", nullptr));
  ASSERT_EQ(e["Records"].size(), 1u);
  const json& r = e["Records"][0];
  EXPECT_EQ(r["EventSource"], "aws:sns");
  EXPECT_EQ(r["EventVersion"], "1.0");
  EXPECT_EQ(r["EventSubscriptionArn"], sub);
  const json& sns = r["Sns"];
  EXPECT_EQ(sns["Type"], "Notification");
  EXPECT_EQ(sns["MessageId"], p.message_id);
  EXPECT_EQ(sns["TopicArn"], p.topic_arn);
  EXPECT_TRUE(sns.contains("Subject"));
  EXPECT_TRUE(sns["Subject"].is_null());
  EXPECT_EQ(sns["Message"], "Hello from SNS!");
  EXPECT_EQ(sns["Timestamp"], "2019-01-02T12:45:07.000Z");
  EXPECT_EQ(sns["SignatureVersion"], "1");
  EXPECT_EQ(sns["SigningCertUrl"],
            "http://127.0.0.1:9001/thaw/sns/SimpleNotificationService-thaw.pem");
  EXPECT_EQ(sns["UnsubscribeUrl"],
            "http://127.0.0.1:9001/?Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%"
            "3A123456789012%3Asns-lambda%3A21be56ed-a058-49f5-8c98-aedd2564c486");
  EXPECT_FALSE(sns.contains("SigningCertURL"));
  EXPECT_EQ(sns["MessageAttributes"]["Test"], (json{{"Type", "String"}, {"Value", "TestString"}}));
  EXPECT_EQ(sns["MessageAttributes"]["TestBinary"],
            (json{{"Type", "Binary"}, {"Value", "VGVzdEJpbmFyeQ=="}}));
}

TEST(SnsMessage, LambdaEventWithoutAttributesHasAnEmptyMap) {
  Published p = Sample();
  p.attributes.clear();
  p.subject = "TestInvoke";
  json sns = json::parse(LambdaEvent(p, "s", "e", nullptr))["Records"][0]["Sns"];
  EXPECT_EQ(sns["MessageAttributes"], json::object());
  EXPECT_EQ(sns["Subject"], "TestInvoke");
}

TEST(SnsMessage, EnvelopeSpellsTheUrlsInCapitals) {
  Published p = Sample();
  json env = json::parse(Envelope(p, "sqs", "sub", "http://h:1", nullptr));
  EXPECT_EQ(env["Type"], "Notification");
  EXPECT_TRUE(env.contains("SigningCertURL"));
  EXPECT_TRUE(env.contains("UnsubscribeURL"));
  EXPECT_FALSE(env.contains("SigningCertUrl"));
  EXPECT_FALSE(env.contains("Subject"));  // absent, not null, in the envelope
  EXPECT_EQ(env["MessageAttributes"]["Test"]["Value"], "TestString");
  p.attributes.clear();
  env = json::parse(Envelope(p, "sqs", "sub", "http://h:1", nullptr));
  EXPECT_FALSE(env.contains("MessageAttributes"));
}

TEST(SnsMessage, StructuredMessagesPickTheProtocolsKey) {
  Published p = Sample();
  p.structured = true;
  p.message = R"({"default":"d","sqs":"for sqs"})";
  EXPECT_EQ(MessageFor(p, "sqs"), "for sqs");
  EXPECT_EQ(MessageFor(p, "lambda"), "d");
  EXPECT_TRUE(CheckStructured(p.message).ok());
  EXPECT_FALSE(CheckStructured(R"({"sqs":"x"})").ok());
  EXPECT_FALSE(CheckStructured("not json").ok());
  EXPECT_FALSE(CheckStructured(R"({"default":1})").ok());
}

TEST(SnsMessage, FilterViewTypesAttributes) {
  sqs::MessageAttributes a;
  a["n"] = {"Number", "12.5"};
  a["s"] = {"String", "x"};
  a["arr"] = {"String.Array", R"(["a","b"])"};
  a["b"] = {"Binary", "raw"};
  json v = FilterView(a);
  EXPECT_EQ(v["n"], 12.5);
  EXPECT_EQ(v["s"], "x");
  EXPECT_EQ(v["arr"], json::array({"a", "b"}));
  EXPECT_FALSE(v.contains("b"));
}

// A server's key is made once per state dir and read back at the next start (making one takes
// 20-300 ms of a start-up): the same key signs the same text the same way (PKCS#1 v1.5).
TEST(SnsMessage, SigningKeyIsKeptAtItsPath) {
  std::string dir = ::testing::TempDir() + "/sns_key_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/key.pem";
  auto first = Signer::Create(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);  // loosened by hand: tightened when read
  auto again = Signer::Create(path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE((*again)->Sign("text").empty());
  EXPECT_EQ((*first)->Sign("text"), (*again)->Sign("text"));
  EXPECT_EQ((*first)->certificate_pem().empty(), false);
  auto other = Signer::Create();  // no path: a key of its own
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*first)->Sign("text"), (*other)->Sign("text"));
  // A file that holds no key is replaced by a new one.
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("not a key", f);
  fclose(f);
  auto replaced = Signer::Create(path);
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE((*first)->Sign("text"), (*replaced)->Sign("text"));
  auto reread = Signer::Create(path);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ((*replaced)->Sign("text"), (*reread)->Sign("text"));
  std::filesystem::remove_all(dir);
}

TEST(SnsMessage, SignatureVerifiesWithTheServedCertificate) {
  auto signer = Signer::Create();
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  Published p = Sample();
  p.subject = "s";
  json sns = json::parse(LambdaEvent(p, "sub", "e", signer->get()))["Records"][0]["Sns"];
  std::string canonical = CanonicalNotification(p, p.message);
  EXPECT_NE(canonical.find("Subject\ns\n"), std::string::npos);
  auto sig = Base64Decode(sns["Signature"].get<std::string>());
  ASSERT_TRUE(sig.has_value());

  const std::string& pem = (*signer)->certificate_pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* key = X509_get_pubkey(cert);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha1(), nullptr, key), 1);
  int ok =
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
  EXPECT_EQ(ok, 1);
  canonical += "x";
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha1(), nullptr, key), 1);
  EXPECT_NE(
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size()),
      1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  X509_free(cert);
  BIO_free(bio);
}

}  // namespace
}  // namespace thaw::sns
