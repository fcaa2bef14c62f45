#include "records/record_codec.h"

#include <array>
#include <cstring>

namespace thaw::records {

namespace {

enum Flags : uint8_t {
  kCold = 1,
  kAsync = 2,
  kStatusShift = 2,  // two bits; kExtended in them: an extension byte follows the identity
  kIdentity = 16,
  kHlc = 32,         // hybrid logical clock stamps of the arrival and the answer follow the figures
  kUuid = 64,        // the request id is a lowercase UUID, stored as 16 bytes
  kXRayTrace = 128,  // the trace header has X-Ray's usual shape, stored as 25 bytes
};

constexpr size_t kMaxVarint = 10;

// Status 3 (no RecordStatus has it) marks a record written after the flags byte filled up: an
// extension byte follows the identity segment (where AppendWithIdentity leaves it), with the
// real status in its low two bits and the flags below. Older records never have it.
constexpr uint8_t kExtended = 3;
enum ExtensionFlags : uint8_t {
  kSource = 4,  // the event source batch (record.h BasicSource) follows the HLC stamps
};

// Where the lowercase hex runs of a shape start and how many digits they have; elsewhere the
// text must equal the shape, where '?' stands for any one character.
struct Run {
  size_t at, digits;
};
constexpr std::string_view kUuidShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
constexpr Run kUuidRuns[] = {{0, 8}, {9, 4}, {14, 4}, {19, 4}, {24, 12}};
constexpr size_t kUuidBytes = 16;
// The header thaw makes and SDKs send; the last byte (Sampled) is stored as it is.
constexpr std::string_view kTraceShape =
    "Root=1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx;Parent=xxxxxxxxxxxxxxxx;Sampled=?";
constexpr Run kTraceRuns[] = {{7, 8}, {16, 24}, {48, 16}};
constexpr size_t kTraceBytes = 25;

// Lowercase hex digit values, -1 for anything else: a table, since the loop packs ~80 digits
// per record and branches per character showed.
constexpr auto kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
           : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
                                  : int8_t{-1};
  }
  return t;
}();

bool Literal(std::string_view text, std::string_view shape) {
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] != '?' && shape[i] != text[i]) return false;
  }
  return true;
}

// Packs the hex runs of `text` into `out` if the text has the shape's form.
template <size_t N>
bool PackShape(std::string_view text, std::string_view shape, const Run (&runs)[N], uint8_t* out) {
  if (text.size() != shape.size()) return false;
  size_t pos = 0;
  for (const Run& run : runs) {
    if (!Literal(text.substr(pos, run.at - pos), shape.substr(pos, run.at - pos))) return false;
    for (size_t i = 0; i < run.digits; i += 2) {
      int hi = kHexValue[static_cast<uint8_t>(text[run.at + i])];
      int lo = kHexValue[static_cast<uint8_t>(text[run.at + i + 1])];
      if ((hi | lo) < 0) return false;
      *out++ = static_cast<uint8_t>(hi << 4 | lo);
    }
    pos = run.at + run.digits;
  }
  return Literal(text.substr(pos), shape.substr(pos));
}

template <size_t N>
std::string UnpackShape(const uint8_t* in, std::string_view shape, const Run (&runs)[N]) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(shape);
  for (const Run& run : runs) {
    for (size_t i = 0; i < run.digits; i += 2, ++in) {
      out[run.at + i] = kDigits[*in >> 4];
      out[run.at + i + 1] = kDigits[*in & 15];
    }
  }
  return out;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Writer {
 public:
  explicit Writer(char* out) : begin_(out), p_(out) {}
  size_t size() const { return static_cast<size_t>(p_ - begin_); }
  void Byte(uint8_t b) { *p_++ = static_cast<char>(b); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Text(std::string_view text) {
    Varint(text.size());
    Bytes(text.data(), text.size());
  }
  void Bytes(const void* data, size_t n) {
    if (n == 0) return;  // an empty string_view's data() may be null
    memcpy(p_, data, n);
    p_ += n;
  }
  // A time as an offset from the arrival; 0 stands for "did not happen".
  void Time(int64_t t, int64_t arrived) { Varint(t == 0 ? 0 : ZigZag(t - arrived) + 1); }

 private:
  char* begin_;
  char* p_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Fail();
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return Fail();
  }
  uint8_t Byte() {
    if (pos_ >= data_.size()) return static_cast<uint8_t>(Fail());
    return static_cast<uint8_t>(data_[pos_++]);
  }
  std::string_view Bytes(uint64_t n) {
    if (n > data_.size() - pos_) n = Fail();
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view Text() { return Bytes(Varint()); }
  int64_t Time(int64_t arrived) {
    uint64_t v = Varint();
    return v == 0 ? 0 : arrived + UnZigZag(v - 1);
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = data_.size();
    return 0;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Skips the identity segment; `r` gets it when not null.
void ReadIdentity(Reader& in, DecodedRecord* r) {
  std::string_view function = in.Text(), version = in.Text(), mechanism = in.Text(),
                   architecture = in.Text();
  uint64_t memory = in.Varint();
  std::string_view environment = in.Text();
  if (!r) return;
  r->function = function;
  r->version = version;
  r->mechanism = mechanism;
  r->architecture = architecture;
  r->memory_mb = static_cast<int64_t>(memory);
  r->environment = environment;
}

}  // namespace

size_t MaxEncodedSize(const InvocationRecord& r) {
  return 1 + 9 * kMaxVarint + r.function.size() + r.version.size() + r.mechanism.size() +
         r.architecture.size() + r.environment.size() + r.request_id.size() + r.trace.size() +
         r.error_type.size() + 18 * kMaxVarint + 2 + r.source.mapping.size() +
         r.source.source_arn.size() + r.source.shard.size() + r.source.first_seq.size() +
         r.source.last_seq.size() + 11 * kMaxVarint;
}

size_t EncodeRecord(const InvocationRecord& r, bool with_identity, char* out) {
  uint8_t uuid[kUuidBytes], trace[kTraceBytes];
  bool packed_uuid = PackShape(r.request_id, kUuidShape, kUuidRuns, uuid);
  bool packed_trace = PackShape(r.trace, kTraceShape, kTraceRuns, trace);
  if (packed_trace) trace[kTraceBytes - 1] = static_cast<uint8_t>(r.trace.back());
  bool hlc = !r.hlc_arrived.empty();
  bool source = !r.source.empty();
  auto status = static_cast<uint8_t>(r.status);

  Writer w(out);
  w.Byte(static_cast<uint8_t>((r.cold ? kCold : 0) | (r.async ? kAsync : 0) |
                              ((source ? kExtended : status) << kStatusShift) |
                              (with_identity ? kIdentity : 0) | (packed_uuid ? kUuid : 0) |
                              (packed_trace ? kXRayTrace : 0) | (hlc ? kHlc : 0)));
  if (with_identity) {
    w.Text(r.function);
    w.Text(r.version);
    w.Text(r.mechanism);
    w.Text(r.architecture);
    w.Varint(static_cast<uint64_t>(r.memory_mb));
    w.Text(r.environment);
  }
  if (source) w.Byte(static_cast<uint8_t>(status | kSource));
  if (packed_uuid) {
    w.Bytes(uuid, sizeof uuid);
  } else {
    w.Text(r.request_id);
  }
  if (packed_trace) {
    w.Bytes(trace, sizeof trace);
  } else {
    w.Text(r.trace);
  }
  w.Text(r.error_type);
  w.Varint(static_cast<uint64_t>(r.arrived_ns));
  for (int64_t t :
       {r.acquired_ns, r.ready_ns, r.sent_ns, r.responded_ns, r.answered_ns, r.ended_ns}) {
    w.Time(t, r.arrived_ns);
  }
  for (int64_t v :
       {r.init_ns, r.freeze_ns, r.duration_ns, r.billed_ms, r.max_memory_mb, r.cpu_ns}) {
    w.Varint(ZigZag(v));
  }
  if (hlc) {
    w.Varint(static_cast<uint64_t>(r.hlc_arrived.l));
    w.Varint(r.hlc_arrived.c);
    w.Varint(ZigZag(r.hlc_answered.l - r.hlc_arrived.l));
    w.Varint(r.hlc_answered.c);
  }
  if (source) {
    const auto& src = r.source;
    for (std::string_view text :
         {src.mapping, src.source_arn, src.shard, src.first_seq, src.last_seq}) {
      w.Text(text);
    }
    w.Varint(ZigZag(src.batch_size));
    w.Varint(ZigZag(src.attempt));
    w.Byte(src.bisected ? 1 : 0);
    w.Varint(ZigZag(src.invoked_ms));
    w.Varint(ZigZag(src.invoked_ms - src.first_arrival_ms));
    w.Varint(ZigZag(src.invoked_ms - src.last_arrival_ms));
  }
  return w.size();
}

std::string_view IdentityOf(std::string_view encoded) {
  if (encoded.empty() || !(static_cast<uint8_t>(encoded[0]) & kIdentity)) return {};
  Reader in(encoded);
  in.Byte();
  ReadIdentity(in, nullptr);
  return encoded.substr(1, in.pos() - 1);
}

void AppendWithIdentity(std::string_view encoded, std::string_view identity, std::string& out) {
  if (encoded.empty()) return;
  auto flags = static_cast<uint8_t>(encoded[0]);
  if (flags & kIdentity) {
    out.append(encoded);
    return;
  }
  out.push_back(static_cast<char>(flags | kIdentity));
  out.append(identity);
  out.append(encoded.substr(1));
}

StatusOr<std::vector<DecodedRecord>> DecodeBatch(std::string_view data) {
  std::vector<DecodedRecord> out;
  Reader in(data);
  while (!in.done()) {
    DecodedRecord r;
    uint8_t flags = in.Byte();
    r.cold = flags & kCold;
    r.async = flags & kAsync;
    auto status = static_cast<uint8_t>((flags >> kStatusShift) & 3);
    if (flags & kIdentity) {
      ReadIdentity(in, &r);
    } else if (!out.empty()) {
      const DecodedRecord& prev = out.back();
      r.function = prev.function;
      r.version = prev.version;
      r.mechanism = prev.mechanism;
      r.architecture = prev.architecture;
      r.memory_mb = prev.memory_mb;
      r.environment = prev.environment;
    } else {
      return Status::InvalidArgument("the first record of a batch has no identity");
    }
    uint8_t extension = 0;
    if (status == kExtended) {
      extension = in.Byte();
      status = static_cast<uint8_t>(extension & 3);
    }
    if (status == kExtended) return Status::InvalidArgument("not a record status");
    r.status = static_cast<RecordStatus>(status);
    if (flags & kUuid) {
      std::string_view packed = in.Bytes(kUuidBytes);
      if (in.ok()) {
        r.request_id =
            UnpackShape(reinterpret_cast<const uint8_t*>(packed.data()), kUuidShape, kUuidRuns);
      }
    } else {
      r.request_id = in.Text();
    }
    if (flags & kXRayTrace) {
      std::string_view packed = in.Bytes(kTraceBytes);
      if (in.ok()) {
        r.trace =
            UnpackShape(reinterpret_cast<const uint8_t*>(packed.data()), kTraceShape, kTraceRuns);
        r.trace.back() = packed.back();
      }
    } else {
      r.trace = in.Text();
    }
    r.error_type = in.Text();
    r.arrived_ns = static_cast<int64_t>(in.Varint());
    for (int64_t* t :
         {&r.acquired_ns, &r.ready_ns, &r.sent_ns, &r.responded_ns, &r.answered_ns, &r.ended_ns}) {
      *t = in.Time(r.arrived_ns);
    }
    for (int64_t* v :
         {&r.init_ns, &r.freeze_ns, &r.duration_ns, &r.billed_ms, &r.max_memory_mb, &r.cpu_ns}) {
      *v = UnZigZag(in.Varint());
    }
    if (flags & kHlc) {
      r.hlc_arrived.l = static_cast<int64_t>(in.Varint());
      r.hlc_arrived.c = static_cast<uint32_t>(in.Varint());
      r.hlc_answered.l = r.hlc_arrived.l + UnZigZag(in.Varint());
      r.hlc_answered.c = static_cast<uint32_t>(in.Varint());
    }
    if (extension & kSource) {
      auto& src = r.source;
      for (std::string* text :
           {&src.mapping, &src.source_arn, &src.shard, &src.first_seq, &src.last_seq}) {
        *text = in.Text();
      }
      src.batch_size = UnZigZag(in.Varint());
      src.attempt = UnZigZag(in.Varint());
      src.bisected = in.Byte() != 0;
      src.invoked_ms = UnZigZag(in.Varint());
      src.first_arrival_ms = src.invoked_ms - UnZigZag(in.Varint());
      src.last_arrival_ms = src.invoked_ms - UnZigZag(in.Varint());
    }
    if (!in.ok()) return Status::InvalidArgument("not a batch of invocation records");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace thaw::records
