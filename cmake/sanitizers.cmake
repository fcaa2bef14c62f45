if(THAW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(THAW_UBSAN=1)
endif()
# The clang fuzzing build (scripts/fuzz.sh): the whole tree gets libFuzzer's coverage hooks and
# ASan+UBSan; only the targets under tests/fuzz link libFuzzer's main.
if(THAW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "THAW_FUZZ needs clang (CC=clang-14 CXX=clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(THAW_UBSAN=1)
endif()
if(THAW_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  # gcc warns that TSan cannot model atomic_thread_fence, which Boost.Asio's handler hand-off
  # uses; with -Werror that would stop the build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
endif()
