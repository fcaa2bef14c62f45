# Warnings are errors for our own targets (applied per target in thaw_helpers.cmake).
set(THAW_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wconversion
    -Wno-sign-conversion -Wimplicit-fallthrough)
# Clang checks the thread-safety annotations (base/thread_annotations.h); gcc has no such check.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND THAW_WARNINGS -Wthread-safety)
endif()
