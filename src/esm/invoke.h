// The InvokeFn that event source mappings use in the server: a synchronous invoke on the
// Invoker, as Lambda's pollers make (RequestResponse). The message's AWSTraceHeader becomes the
// invocation's trace header, so recursion detection and traces follow the message.
// Loop thread only.
#pragma once

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "esm/sqs_poller.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"

namespace thaw::esm {

// Every reference must outlive the returned function.
InvokeFn InvokerFn(boost::asio::io_context& loop, invoker::Invoker& invoker,
                   const lambda::Registry& registry, const Clock& clock);

}  // namespace thaw::esm
