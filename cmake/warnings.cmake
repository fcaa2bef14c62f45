# Warnings are errors for our own targets (applied per target in thaw_helpers.cmake).
set(THAW_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wconversion
    -Wno-sign-conversion -Wimplicit-fallthrough)
