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
# libnfc: the .pc comes with libnfc-dev, which a cross build cannot install for the target
# (docs/cross-compiling.md); then the headers (the same on every architecture) and the
# target's libnfc.so.6 are found directly.
add_library(spotter_nfc INTERFACE)
pkg_check_modules(NFC QUIET IMPORTED_TARGET libnfc)
if(NFC_FOUND)
  target_link_libraries(spotter_nfc INTERFACE PkgConfig::NFC)
else()
  find_path(NFC_INCLUDE_DIR nfc/nfc.h REQUIRED)
  find_library(NFC_LIBRARY NAMES nfc libnfc.so.6 REQUIRED)
  target_include_directories(spotter_nfc SYSTEM INTERFACE ${NFC_INCLUDE_DIR})
  target_link_libraries(spotter_nfc INTERFACE ${NFC_LIBRARY})
endif()

if(SPOTTER_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()

# Boost.Beast/Asio (Boost 1.74 in Debian 12): the cloud's server, the gateway's cloud client.
find_package(Boost 1.74 REQUIRED COMPONENTS system)
# OpenSSL (libssl-dev, which Paho's TLS needs too): the gateway's https:// link to the cloud.
find_package(OpenSSL REQUIRED)
# libargon2 (password hashes; its .pc is in libargon2-dev): the cloud only.
if(SPOTTER_BUILD_CLOUD)
  pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
  # zlib (zlib1g-dev): gzip for the availability list, the most fetched answer.
  find_package(ZLIB REQUIRED)
  # libpq (libpq-dev): PostgreSQL, the database of a chain running several instances.
  pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
endif()
