# make package: a Debian package of what cmake/install.cmake installs,
# under /usr, built by CPack. Its dependencies are the Debian packages a
# user's build needs beside it: Relacy, CLI11 and nlohmann-json for the
# headers and runner sources, GoogleTest for the GTest hook, CMake and a
# C++20 compiler for oncecheck_add_design; dpkg-shlibdeps adds the
# binaries' own (libc6, libstdc++6, libgcc-s1).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME oncecheck)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "model checker and stress harness for once-map (single-flight) designs")
set(CPACK_PACKAGE_DESCRIPTION
    "Runners (Relacy model checker, DPOR explorer, real-thread stress) for the project's designs, and the headers,\n sources and CMake package (find_package(oncecheck), oncecheck_add_design) to check a user's own design.")
set(CPACK_PACKAGE_CONTACT "oncecheck maintainers <oncecheck@users.noreply.github.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "relacy-dev, libcli11-dev, nlohmann-json3-dev, libgtest-dev, cmake (>= 3.25), g++ (>= 4:12), make")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
