// How control-plane failures become AWS error responses, and builders for the messages AWS
// uses. Stateless, thread-safe.
//
// Handlers return Status; ErrorResponse maps it onto the REST-JSON error botocore parses:
//   InvalidArgument "N validation error(s) detected: ..."  -> 400 ValidationException
//   InvalidArgument "Could not parse request body ..."     -> 400 InvalidRequestContentException
//   InvalidArgument (anything else)                        -> 400 InvalidParameterValueException
//   NotFound                                               -> 404 ResourceNotFoundException
//   AlreadyExists (conflicts with the current state)       -> 409 ResourceConflictException
//   FailedPrecondition (RevisionId mismatch)               -> 412 PreconditionFailedException
//   ResourceExhausted (request too large)                  -> 413 RequestEntityTooLargeException
//   anything else                                          -> 500 ServiceException
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/message.h"

namespace thaw::lambda {

http::Response ErrorResponse(const Status& status);

// "Value 'V' at 'field' failed to satisfy constraint: C", one item of a ValidationException.
std::string ConstraintViolation(std::string_view value, std::string_view field,
                                std::string_view constraint);
// Joins violations into "1 validation error detected: ..." / "2 validation errors detected: ...".
Status ValidationError(const std::vector<std::string>& violations);
Status ValidationError(std::string_view value, std::string_view field, std::string_view constraint);
// "Value null at 'field' failed to satisfy constraint: Member must not be null".
Status MissingMember(std::string_view field);
// 400 InvalidRequestContentException: the body is not the JSON the operation takes.
Status BadRequestContent(std::string_view detail);
// 404 "Function not found: arn:...:function:NAME[:QUALIFIER]".
Status FunctionNotFound(const std::string& name, const std::string& qualifier = "");
// 412 for a RevisionId that is not the current one.
Status RevisionMismatch();

}  // namespace thaw::lambda
