#pragma once
// A small Chrome DevTools Protocol client for browser tests: starts Debian's chromium
// headless on a fresh profile, attaches to its page over the DevTools WebSocket, and drives
// it (navigate, evaluate, type, press keys, screenshots). Commands are answered in order;
// events in between are kept (exceptions thrown by the page are counted).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../cloud-service/client.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/testing/process.hpp"

namespace spotter::testing {

class Browser {
 public:
  // `width` x `height`: the window (the desk: 1366 x 768).
  Browser(const std::filesystem::path& dir, int width, int height) : profile_(dir / "chromium-profile") {
    const std::string chromium = "/usr/bin/chromium";
    REQUIRE_MESSAGE(std::filesystem::exists(chromium), "chromium is missing: scripts/setup installs it");
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                 "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
                                 "--user-data-dir=" + profile_.string(), "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                                 "about:blank"},
        dir);
    // Chromium writes the port it took to DevToolsActivePort once it listens.
    const auto port_file = profile_ / "DevToolsActivePort";
    REQUIRE_MESSAGE(eventually([&] { return std::filesystem::exists(port_file) && std::filesystem::file_size(port_file) > 0; }, std::chrono::seconds(30)),
                    "chromium did not start: ", process_->stderr_text());
    std::ifstream in(port_file);
    in >> port_;
    HttpClient http(port_);
    Json page;
    REQUIRE(eventually([&] {
      auto list = http.get("/json/list");
      for (const auto& t : list.json)
        if (t.is_object() && t.value("type", "") == "page") page = t;
      return page.is_object();
    }, std::chrono::seconds(15)));
    const std::string url = page["webSocketDebuggerUrl"];
    ws_ = std::make_unique<WsTestClient>(port_, url.substr(url.find("/devtools/")));
    call("Page.enable");
    call("Runtime.enable");
  }
  ~Browser() {
    if (ws_ && !ws_->closed()) {
      try {
        ws_->send(Json{{"id", ++id_}, {"method", "Browser.close"}}.dump());
      } catch (...) {
      }
    }
    if (process_) (void)process_->wait(std::chrono::seconds(10));
  }

  Json call(const std::string& method, const Json& params = Json::object()) {
    const int id = ++id_;
    ws_->send(Json{{"id", id}, {"method", method}, {"params", params}}.dump());
    while (true) {
      auto m = ws_->next(std::chrono::seconds(30));
      REQUIRE_MESSAGE(m.has_value(), "no answer from chromium to ", method);
      if (m->value("method", "") == "Runtime.exceptionThrown") exceptions.push_back((*m)["params"]["exceptionDetails"].dump());
      if (m->value("id", 0) != id) continue;
      REQUIRE_MESSAGE(!m->contains("error"), method, ": ", m->dump());
      return (*m)["result"];
    }
  }
  // The value of a JavaScript expression (promises awaited).
  Json eval(const std::string& expression) {
    auto r = call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
    if (r.contains("exceptionDetails")) FAIL("page error in `", expression, "`: ", r["exceptionDetails"].dump());
    return r["result"].value("value", Json(nullptr));
  }
  // Polls until the expression is true (the page works asynchronously).
  bool wait_for(const std::string& expression, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return eventually([&] { return eval(expression) == true; }, timeout, std::chrono::milliseconds(100));
  }
  void go(const std::string& url) {
    call("Page.navigate", {{"url", url}});
    REQUIRE(wait_for("document.readyState === 'complete'"));
  }
  // Typing as a keyboard (or a card reader, which is one) does: into the focused element.
  void type(const std::string& text) { call("Input.insertText", {{"text", text}}); }
  void press_enter() {
    Json key = {{"key", "Enter"}, {"code", "Enter"}, {"windowsVirtualKeyCode", 13}, {"nativeVirtualKeyCode", 13}};
    Json down = key;
    down["type"] = "keyDown";
    down["text"] = "\r";
    call("Input.dispatchKeyEvent", down);
    key["type"] = "keyUp";
    call("Input.dispatchKeyEvent", key);
  }
  void viewport(int width, int height, bool mobile) {
    call("Emulation.setDeviceMetricsOverride", {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", mobile}});
  }
  // A PNG of the page as shown, written to `file`.
  void screenshot(const std::filesystem::path& file) {
    auto shot = call("Page.captureScreenshot", {{"format", "png"}});
    auto png = base64_decode(shot["data"].get<std::string>());
    REQUIRE(png.ok());
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
    MESSAGE("screenshot: ", file.string());
  }

  std::vector<std::string> exceptions;  // uncaught page errors seen so far

 private:
  std::filesystem::path profile_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  std::unique_ptr<WsTestClient> ws_;
  int id_ = 0;
};

}  // namespace spotter::testing
