#pragma once
// The front-desk page's files (cloud-service/web/desk/), compiled into the program by
// web/embed.cmake.
#include <span>
#include <string_view>

namespace spotter::cloud::desk {

struct DeskFile {
  std::string_view name;   // "app.js"
  std::string_view bytes;
};

std::span<const DeskFile> desk_files();

}  // namespace spotter::cloud::desk
