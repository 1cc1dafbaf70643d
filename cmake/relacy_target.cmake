# oncecheck_relacy_target(NAME HEADERS): an interface target for a Relacy
# translation unit (a model runner), on top of the HEADERS target. Used by
# this project's build and, installed, by oncecheckConfig.cmake, so a user's
# model runner is compiled with the same flags as the project's own.
function(oncecheck_relacy_target name headers)
  find_path(RELACY_INCLUDE_DIR relacy/relacy.hpp REQUIRED)
  add_library(${name} INTERFACE)
  # Relacy's headers are not warning-clean; they are a system include here.
  target_include_directories(${name} SYSTEM INTERFACE ${RELACY_INCLUDE_DIR})
  target_link_libraries(${name} INTERFACE ${headers})
  # Relacy replaces operator new/delete but not the sized delete that libstdc++'s
  # allocators call; memory it handed out would reach glibc's free(). And its
  # freed-object check relies on a destructor's store that GCC would drop as a
  # dead store to an ending lifetime.
  target_compile_options(${name} INTERFACE -fno-sized-deallocation -fno-lifetime-dse)
  # GCC 12 reports -Warray-bounds after inlining, where a system header is no
  # longer told apart: Relacy's waitset.hpp gave 64 warnings per build, about
  # 730 lines before a user's first result (issue 16). Only the Relacy
  # translation units drop that one warning; the stress and explorer builds of
  # the same design headers still report it.
  target_compile_options(${name} INTERFACE -Wno-array-bounds)
endfunction()
