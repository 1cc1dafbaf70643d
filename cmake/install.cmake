# What `cmake --install` (make install PREFIX=..., make package) puts where:
#
#   bin/oncecheck-model, oncecheck-explore, oncecheck-stress   the runners
#   include/oncecheck/{impls,scenarios,harness,models,explore}/ the headers a
#       user's translation unit includes, and the runners' main sources
#       (models/model_main.cpp ...) that oncecheck_add_design compiles around
#       a user's design: they include their headers by relative path, so they
#       keep the source tree's layout
#   share/oncecheck/expected.tsv     the expected matrix (a user's design is
#                                    held to its correct designs' rows)
#   share/cmake/oncecheck/           oncecheckConfig.cmake, its version file,
#                                    the exported oncecheck::headers target,
#                                    oncecheck_add_design and the GTest hook
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Installing (and CPack, which runs the `preinstall` target first) takes the
# runners as they are built: it must not build `all`, the tests and
# benchmarks, first (make install and make package build the runners alone).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(ONCECHECK_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/oncecheck)
set(ONCECHECK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_DATADIR}/cmake/oncecheck)
set(ONCECHECK_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/oncecheck)

target_include_directories(oncecheck_headers INTERFACE $<INSTALL_INTERFACE:${ONCECHECK_INSTALL_INCLUDEDIR}>)
set_target_properties(oncecheck_headers PROPERTIES EXPORT_NAME headers)
install(TARGETS oncecheck_headers EXPORT oncecheckTargets)
install(EXPORT oncecheckTargets NAMESPACE oncecheck:: DESTINATION ${ONCECHECK_INSTALL_CMAKEDIR})

foreach(dir impls scenarios harness models explore)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${ONCECHECK_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "*_main.cpp")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/models/expected.tsv DESTINATION ${ONCECHECK_INSTALL_DATADIR})

set(oncecheck_runners oncecheck-stress)
if(ONCECHECK_MODELS)
  list(APPEND oncecheck_runners oncecheck-model oncecheck-explore)
endif()
install(TARGETS ${oncecheck_runners} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/oncecheckConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/oncecheckConfig.cmake
                              INSTALL_DESTINATION ${ONCECHECK_INSTALL_CMAKEDIR}
                              PATH_VARS ONCECHECK_INSTALL_INCLUDEDIR ONCECHECK_INSTALL_DATADIR)
# Header-only and source: any architecture's build may use it.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/oncecheckConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/oncecheckConfig.cmake ${PROJECT_BINARY_DIR}/oncecheckConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/relacy_target.cmake ${PROJECT_SOURCE_DIR}/cmake/oncecheck_add_design.cmake
              ${PROJECT_SOURCE_DIR}/cmake/oncecheck_scenarios.cmake
        DESTINATION ${ONCECHECK_INSTALL_CMAKEDIR})
