#pragma once
// Certificates for TLS tests, made by the openssl command line: a CA (ca.pem), and signed by
// it good.{crt,key,pem} for 127.0.0.1 and wrong.{crt,key,pem} for another host name.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "spotter/testing/process.hpp"

namespace spotter::testing {

// A CA, a certificate for 127.0.0.1 and one for another name, both signed by it (openssl).
inline void make_test_certificates(const std::filesystem::path& d) {
  const std::string script = R"(set -e
cd ")" + d.string() + R"("
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Spotter test CA" 2>/dev/null
for name in good wrong; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $name.key -out $name.csr -subj "/CN=spotter-cloud" 2>/dev/null
done
echo "subjectAltName=IP:127.0.0.1" >good.ext
echo "subjectAltName=DNS:cloud.other.example" >wrong.ext
for name in good wrong; do
  openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.crt -days 2 -extfile $name.ext 2>/dev/null
  cat $name.crt $name.key >$name.pem
done
)";
  using namespace std::chrono_literals;
  ChildProcess sh({"/bin/sh", "-c", script}, d);
  REQUIRE_MESSAGE(sh.wait(60s) == 0, sh.stderr_text());
}


}  // namespace spotter::testing
