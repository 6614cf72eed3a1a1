# Every third-party library Spotter uses, found once, exposed as imported targets.
# Package names are in scripts/setup; the notes on each are in docs/building.md.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

# mbedTLS 2.28 ships neither a CMake config nor a .pc file.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/version.h REQUIRED)
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(spotter_mbedtls INTERFACE)
target_include_directories(spotter_mbedtls SYSTEM INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(spotter_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

# Time zones: Howard Hinnant's date/tz, built by Debian to read the OS tzdb (USE_OS_TZDB).
find_package(date REQUIRED)

find_package(PahoMqttCpp REQUIRED)
# SQLiteCpp 3.2.1 ships a static library only; its target has no namespace.
find_package(SQLiteCpp REQUIRED)
# QR codes in images: ZXing-C++ decodes, Debian's compiled stb_image loads the picture.
find_package(ZXing REQUIRED)
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
pkg_check_modules(NFC REQUIRED IMPORTED_TARGET libnfc)

if(SPOTTER_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()
