// The compact form of an invocation record, as the loop writes it into the record ring and as
// it is stored (a batch is one blob of records back to back): a flags byte; the identity
// (function, version, mechanism, architecture, memory, environment) unless it is the previous
// record's; the request id and trace header (16 and 25 bytes in their usual shapes); times as
// varints relative to the arrival. A warm invocation takes about 80 bytes.
// Why so compact, and why the loop encodes: on this VM SQLite costs 1-2 ns per byte written
// (WAL, then checkpoint) and about 1 us per row, and a writer thread reading 640-byte structs
// the loop wrote 100 ms before spent ~1 us per record on cache misses alone.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "records/record.h"

namespace thaw::records {

// At least as many bytes as EncodeRecord writes for `r`.
size_t MaxEncodedSize(const InvocationRecord& r);

// Writes `r` at `out` (MaxEncodedSize(r) bytes) and returns how many bytes it wrote. Without
// `with_identity` the identity is left out: the reader takes the previous record's.
size_t EncodeRecord(const InvocationRecord& r, bool with_identity, char* out);

// For a writer cutting a stream of encoded records into batches: the identity bytes an encoded
// record carries (empty when it has none), and the same record with `identity` put in.
std::string_view IdentityOf(std::string_view encoded);
void AppendWithIdentity(std::string_view encoded, std::string_view identity, std::string& out);

// Every record of a batch, in order. The first must carry its identity. InvalidArgument when
// the bytes are not a batch.
StatusOr<std::vector<DecodedRecord>> DecodeBatch(std::string_view data);

}  // namespace thaw::records
