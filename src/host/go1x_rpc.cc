#include "host/go1x_rpc.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace thaw::host {
namespace {

using gob::Value;

Status Io(std::string_view what) {
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK) {
    return Status::DeadlineExceeded("go1.x: timed out " + std::string(what));
  }
  return Status::Unavailable("go1.x: " + std::string(what) + ": " + std::strerror(err));
}

// Go's encoding/json string: escapes ", \, control characters and (escapeHTML) <, >, &, writes
// U+2028 and U+2029 as escapes and each byte of invalid UTF-8 as \ufffd.
void AppendGoJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
      if (size_t k = kEscaped.find(static_cast<char>(b)); k != std::string_view::npos) {
        out.push_back('\\');
        out.push_back("\"\\bfnrt"[k]);
      } else if (b < 0x20 || b == '<' || b == '>' || b == '&') {
        out += "\\u00";
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
      } else {
        out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    // The length of a valid sequence, with Go's (RFC 3629) ranges for the second byte.
    size_t n = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;  // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;
    }
    bool valid = n != 0 && i + n <= s.size();
    for (size_t k = 1; valid && k < n; ++k) {
      auto c = static_cast<uint8_t>(s[i + k]);
      valid = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
    }
    if (!valid) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    std::string_view seq = s.substr(i, n);
    if (seq == "\xe2\x80\xa8" || seq == "\xe2\x80\xa9") {
      out += seq[2] == '\xa8' ? "\\u2028" : "\\u2029";
    } else {
      out.append(seq);
    }
    i += n;
  }
  out.push_back('"');
}

StatusOr<GoInvokeResponse> ToInvokeResponse(const Value& v) {
  GoInvokeResponse r;
  THAW_ASSIGN_OR_RETURN(r.payload, gob::GetBytes(v, "Payload"));
  THAW_ASSIGN_OR_RETURN(const Value* error, gob::GetField(v, "Error", gob::Kind::kStruct));
  if (error == nullptr) return r;
  GoInvokeError e;
  THAW_ASSIGN_OR_RETURN(e.message, gob::GetString(*error, "Message"));
  THAW_ASSIGN_OR_RETURN(e.type, gob::GetString(*error, "Type"));
  THAW_ASSIGN_OR_RETURN(e.should_exit, gob::GetBool(*error, "ShouldExit"));
  THAW_ASSIGN_OR_RETURN(const Value* stack, gob::GetField(*error, "StackTrace", gob::Kind::kSlice));
  if (stack != nullptr) {
    for (const Value& f : stack->elems) {
      GoStackFrame frame;
      THAW_ASSIGN_OR_RETURN(frame.path, gob::GetString(f, "Path"));
      THAW_ASSIGN_OR_RETURN(int64_t line, gob::GetInt(f, "Line"));
      if (line < INT32_MIN || line > INT32_MAX) {
        return Status::InvalidArgument("go1.x: stack frame line " + std::to_string(line));
      }
      frame.line = static_cast<int32_t>(line);
      THAW_ASSIGN_OR_RETURN(frame.label, gob::GetString(f, "Label"));
      e.stack_trace.push_back(std::move(frame));
    }
  }
  r.error = std::move(e);
  return r;
}

}  // namespace

std::string GoErrorJson(const GoInvokeError& error) {
  std::string out = "{\"errorMessage\":";
  AppendGoJsonString(error.message, out);
  out += ",\"errorType\":";
  AppendGoJsonString(error.type, out);
  if (!error.stack_trace.empty()) {
    out += ",\"stackTrace\":[";
    for (size_t i = 0; i < error.stack_trace.size(); ++i) {
      const GoStackFrame& f = error.stack_trace[i];
      out += i == 0 ? "{\"path\":" : ",{\"path\":";
      AppendGoJsonString(f.path, out);
      out += ",\"line\":" + std::to_string(f.line) + ",\"label\":";
      AppendGoJsonString(f.label, out);
      out += "}";
    }
    out += "]";
  }
  out += "}";
  return out;
}

GoRpcClient::GoRpcClient(sys::UniqueFd conn) : conn_(std::move(conn)) {
  // Go's own names for net/rpc's and aws-lambda-go's types, so the stream matches Go's.
  request_type_ =
      encoder_.DefineStruct("Request", {{"ServiceMethod", gob::kStringId}, {"Seq", gob::kUintId}});
  ping_type_ = encoder_.DefineStruct("PingRequest", {});
  gob::TypeId timestamp = encoder_.DefineStruct("InvokeRequest_Timestamp",
                                                {{"Seconds", gob::kIntId}, {"Nanos", gob::kIntId}});
  invoke_type_ = encoder_.DefineStruct("InvokeRequest", {{"Payload", gob::kBytesId},
                                                         {"RequestId", gob::kStringId},
                                                         {"XAmznTraceId", gob::kStringId},
                                                         {"Deadline", timestamp},
                                                         {"InvokedFunctionArn", gob::kStringId},
                                                         {"CognitoIdentityId", gob::kStringId},
                                                         {"CognitoIdentityPoolId", gob::kStringId},
                                                         {"ClientContext", gob::kBytesId}});
}

Status GoRpcClient::Ping() { return CallEmpty("Function.Ping").status(); }

StatusOr<Value> GoRpcClient::CallEmpty(std::string_view method) {
  return Call(method, ping_type_, Value::Struct({}));
}

StatusOr<GoInvokeResponse> GoRpcClient::Invoke(const GoInvokeRequest& r) {
  Value deadline = Value::Struct(
      {{"Seconds", Value::Int(r.deadline_seconds)}, {"Nanos", Value::Int(r.deadline_nanos)}});
  Value args = Value::Struct({{"Payload", Value::Bytes(r.payload)},
                              {"RequestId", Value::String(r.request_id)},
                              {"XAmznTraceId", Value::String(r.trace_id)},
                              {"Deadline", std::move(deadline)},
                              {"InvokedFunctionArn", Value::String(r.invoked_function_arn)},
                              {"CognitoIdentityId", Value::String(r.cognito_identity_id)},
                              {"CognitoIdentityPoolId", Value::String(r.cognito_identity_pool_id)},
                              {"ClientContext", Value::Bytes(r.client_context)}});
  THAW_ASSIGN_OR_RETURN(Value reply, Call("Function.Invoke", invoke_type_, args));
  return ToInvokeResponse(reply);
}

// net/rpc's gob codec: a Request header and the arguments, answered by a Response header
// (ServiceMethod, Seq, Error) and the reply, which is an empty struct after an error.
StatusOr<Value> GoRpcClient::Call(std::string_view method, gob::TypeId args_type,
                                  const Value& args) {
  uint64_t seq = seq_++;
  std::string out;
  THAW_RETURN_IF_ERROR(
      encoder_.Encode(request_type_,
                      Value::Struct({{"ServiceMethod", Value::String(std::string(method))},
                                     {"Seq", Value::Uint(seq)}}),
                      out));
  THAW_RETURN_IF_ERROR(encoder_.Encode(args_type, args, out));
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = send(conn_.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Io("writing to the function");
    sent += static_cast<size_t>(n);
  }
  auto read = [this](char* data, size_t size) { return Read(data, size); };
  THAW_ASSIGN_OR_RETURN(Value header, decoder_.Decode(read));
  THAW_ASSIGN_OR_RETURN(uint64_t reply_seq, gob::GetUint(header, "Seq"));
  THAW_ASSIGN_OR_RETURN(std::string error, gob::GetString(header, "Error"));
  THAW_ASSIGN_OR_RETURN(Value body, decoder_.Decode(read));
  if (reply_seq != seq) {
    return Status::InvalidArgument("go1.x: a reply to call " + std::to_string(reply_seq) +
                                   " while waiting for call " + std::to_string(seq));
  }
  if (!error.empty()) return Status::FailedPrecondition(error);
  return body;
}

StatusOr<size_t> GoRpcClient::Read(char* data, size_t size) {
  if (buffer_pos_ == buffer_.size()) {
    buffer_.resize(64 * 1024);
    ssize_t n;
    while ((n = recv(conn_.get(), buffer_.data(), buffer_.size(), 0)) < 0 && errno == EINTR) {
    }
    if (n < 0) {
      buffer_.clear();
      buffer_pos_ = 0;
      return Io("reading from the function");
    }
    buffer_.resize(static_cast<size_t>(n));
    buffer_pos_ = 0;
    if (n == 0) return size_t{0};
  }
  size_t n = std::min(size, buffer_.size() - buffer_pos_);
  std::memcpy(data, buffer_.data() + buffer_pos_, n);
  buffer_pos_ += n;
  return n;
}

}  // namespace thaw::host
