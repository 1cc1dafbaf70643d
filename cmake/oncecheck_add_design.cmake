# oncecheck_add_design: check a user's once-map design from the user's own
# CMake project, one CTest test per cell.
#
#   find_package(oncecheck CONFIG REQUIRED)
#   enable_testing()
#   oncecheck_add_design(TARGET my_map HEADER my_map.hpp
#                        [EXPECT "coalesce=deadlock" ...]     scenario=verdict (the model verdict)
#                        [SCENARIOS coalesce lost_wakeup ...]  default: every scenario
#                        [SCHEDULERS random dpor plain ...]    default: random dpor pct plain
#                        [BUDGET quick|default] [ROUNDS n] [THREADS n] [TIMEOUT seconds])
#
# HEADER ends with ONCECHECK_REGISTER_DESIGN(...) (impls/register_design.hpp).
# Builds, for the schedulers named, <TARGET>-model (Relacy: random, bound,
# full), <TARGET>-explore (dpor, pct, dfs), <TARGET>-stress (real threads:
# plain) and <TARGET>-stress-tsan (ThreadSanitizer: tsan), each compiled
# around HEADER alone and, with SCENARIOS, instantiating only those (the
# Relacy translation unit is the slow one to compile). Registers
# `oncecheck/<TARGET>/<scenario>/<scheduler>` for every scenario x scheduler,
# labelled oncecheck and oncecheck-model, -explore, -stress or -tsan, so
# `ctest -L oncecheck-tsan` picks a mode. A test passes when every cell it
# runs gives what the design is expected to give: what the project's correct
# designs of its kind give (the run prints the rule), except where the
# registration or EXPECT says otherwise (a model `deadlock` is a `hang` on
# real threads). A test that fails prints the counterexample and the command
# that replays it; an expected failure prints them too. Each test writes
# its results beside it: oncecheck/<TARGET>/<scenario>.<scheduler>.json and
# .xml (JUnit).
include_guard(GLOBAL)

function(oncecheck_add_design)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;HEADER;BUDGET;ROUNDS;THREADS;TIMEOUT"
                        "EXPECT;SCENARIOS;SCHEDULERS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "oncecheck_add_design: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET OR NOT arg_HEADER)
    message(FATAL_ERROR "oncecheck_add_design: TARGET and HEADER are required")
  endif()
  _oncecheck_design_definitions(definitions "oncecheck_add_design(${arg_TARGET})" "${arg_HEADER}" "${arg_SCENARIOS}")
  set(scenarios ${arg_SCENARIOS})
  if(NOT scenarios)
    set(scenarios ${ONCECHECK_ALL_SCENARIOS})
  endif()
  set(schedulers ${arg_SCHEDULERS})
  if(NOT schedulers)
    set(schedulers random dpor pct plain)
  endif()
  foreach(e IN LISTS arg_EXPECT)
    if(NOT e MATCHES "^[a-z_/0-9]+=[a-z_]+$")
      message(FATAL_ERROR "oncecheck_add_design(${arg_TARGET}): EXPECT '${e}' is not scenario=verdict")
    endif()
  endforeach()
  # Defaults: the quick budget, and stress runs of 200 rounds of 4 threads
  # that call a round a hang after 5 s without progress.
  foreach(default BUDGET=quick ROUNDS=200 THREADS=4 TIMEOUT=5)
    string(REPLACE "=" ";" pair ${default})
    list(GET pair 0 name)
    list(GET pair 1 value)
    if(NOT arg_${name})
      set(arg_${name} ${value})
    endif()
  endforeach()

  set(results "${CMAKE_CURRENT_BINARY_DIR}/oncecheck/${arg_TARGET}")

  foreach(sched IN LISTS schedulers)
    if(sched IN_LIST ONCECHECK_MODEL_SCHEDULERS)
      set(kind model)
    elseif(sched IN_LIST ONCECHECK_EXPLORE_SCHEDULERS)
      set(kind explore)
    elseif(sched STREQUAL "plain")
      set(kind stress)
    elseif(sched STREQUAL "tsan")
      set(kind tsan)
    else()
      message(FATAL_ERROR "oncecheck_add_design(${arg_TARGET}): unknown scheduler '${sched}' (known: "
                          "${ONCECHECK_MODEL_SCHEDULERS} ${ONCECHECK_EXPLORE_SCHEDULERS} ${ONCECHECK_STRESS_SCHEDULERS})")
    endif()
    set(runner ${arg_TARGET}-${kind})
    if(kind STREQUAL "tsan")
      set(runner ${arg_TARGET}-stress-tsan)
    endif()
    if(NOT TARGET ${runner})
      _oncecheck_add_runner(${runner} ${kind} "${definitions}")
    endif()

    set(args --check-all --budget ${arg_BUDGET} --schedulers ${sched} --expected "${ONCECHECK_EXPECTED_MATRIX}"
             --display-name $<TARGET_FILE:${runner}>)
    if(kind STREQUAL "stress" OR kind STREQUAL "tsan")
      list(APPEND args --rounds ${arg_ROUNDS} --threads ${arg_THREADS} --timeout ${arg_TIMEOUT})
    endif()
    if(arg_EXPECT)
      list(JOIN arg_EXPECT " " expect)
      list(APPEND args --expect-verdicts "${expect}")
    endif()
    foreach(scn IN LISTS scenarios)
      set(test oncecheck/${arg_TARGET}/${scn}/${sched})
      add_test(NAME ${test}
               COMMAND ${runner} ${args} --scenario ${scn}
                       --json "${results}/${scn}.${sched}.json" --junit "${results}/${scn}.${sched}.xml")
      set(label oncecheck-${kind})
      set_tests_properties(${test} PROPERTIES LABELS "oncecheck;${label}" TIMEOUT 1800)
      if(kind STREQUAL "tsan")
        set_tests_properties(${test} PROPERTIES
                             ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 detect_deadlocks=1 second_deadlock_stack=1")
      endif()
    endforeach()
  endforeach()
endfunction()

# oncecheck_gtest_cells(target HEADER my_map.hpp [SCENARIOS ...]): the
# GoogleTest binary `target` may use ONCECHECK_GTEST_CELLS(Suite) (include
# "harness/gtest_cells.hpp") to run HEADER's cells as its own test cases.
# The target links GoogleTest itself.
function(oncecheck_gtest_cells target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "HEADER" "SCENARIOS")
  if(NOT arg_HEADER)
    message(FATAL_ERROR "oncecheck_gtest_cells(${target}): HEADER is required")
  endif()
  _oncecheck_design_definitions(definitions "oncecheck_gtest_cells(${target})" "${arg_HEADER}" "${arg_SCENARIOS}")
  target_compile_definitions(${target} PRIVATE ${definitions}
                             ONCECHECK_EXPECTED_MATRIX="${ONCECHECK_EXPECTED_MATRIX}")
  target_link_libraries(${target} PRIVATE oncecheck::headers)
endfunction()

# The compile definitions that build the catalogue around one design header
# (harness/registry.hpp), and with `scenarios` only those scenarios.
function(_oncecheck_design_definitions out caller header scenarios)
  get_filename_component(header "${header}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${header}")
    message(FATAL_ERROR "${caller}: no header ${header}")
  endif()
  set(definitions "ONCECHECK_USER_IMPL=\"${header}\"")
  foreach(s IN LISTS scenarios)
    if(NOT s IN_LIST ONCECHECK_ALL_SCENARIOS)
      message(FATAL_ERROR "${caller}: unknown scenario '${s}' (known: ${ONCECHECK_ALL_SCENARIOS})")
    endif()
  endforeach()
  if(scenarios)
    list(JOIN scenarios "," selection)
    list(APPEND definitions "ONCECHECK_SCENARIOS=\"${selection}\"")
  endif()
  set(${out} "${definitions}" PARENT_SCOPE)
endfunction()

# One runner around the design: kind model (Relacy), explore, stress or tsan.
function(_oncecheck_add_runner runner kind definitions)
  set(source_model models/model_main.cpp)
  set(source_explore explore/explore_main.cpp)
  set(source_stress harness/stress/stress_main.cpp)
  set(source_tsan harness/stress/stress_main.cpp)
  add_executable(${runner} "${ONCECHECK_SOURCE_DIR}/${source_${kind}}")
  target_compile_definitions(${runner} PRIVATE ${definitions})
  if(kind STREQUAL "model")
    target_link_libraries(${runner} PRIVATE oncecheck::relacy CLI11::CLI11)
  else()
    target_link_libraries(${runner} PRIVATE oncecheck::headers CLI11::CLI11)
  endif()
  if(kind STREQUAL "stress")
    target_compile_definitions(${runner} PRIVATE ONCECHECK_STRESS_LABEL="plain")
  elseif(kind STREQUAL "tsan")
    target_compile_definitions(${runner} PRIVATE ONCECHECK_STRESS_LABEL="tsan")
    target_compile_options(${runner} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${runner} PRIVATE -fsanitize=thread)
  endif()
endfunction()
