# Compiler flags shared by every Spotter target, applied through spotter_target_defaults().
add_library(spotter_build_flags INTERFACE)
target_compile_options(spotter_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  # Designated initializers that leave defaulted members out are the point of them.
  -Wno-missing-field-initializers)
if(SPOTTER_WERROR)
  target_compile_options(spotter_build_flags INTERFACE -Werror)
endif()
if(SPOTTER_SANITIZE)
  target_compile_options(spotter_build_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(spotter_build_flags INTERFACE -fsanitize=address,undefined)
endif()

function(spotter_target_defaults target)
  target_link_libraries(${target} PRIVATE spotter_build_flags)
endfunction()
