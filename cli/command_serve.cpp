#include "command_serve.hpp"

#include "console.hpp"
#include "describe.hpp"
#include "interrupt.hpp"

#include <cstdio>
#include <filesystem>

namespace spaceuse::cli {

CLI::App* CommandServe::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "serve", "Serve a viewer folder over HTTP (GET and HEAD, Range requests, only the files "
                 "under DIR) until Ctrl-C");
    sub->add_option("DIR", m_options.root, "Folder to serve (a tiled viewer folder, say)")
        ->required();
    range_param(sub->add_option("--port", m_options.port,
                                "TCP port (0: any free port; the line printed says which)")
                    ->capture_default_str(),
                0, 65535, true);
    sub->add_option("--bind", m_options.bind,
                    "Address to listen on; other machines reach the server only when it is "
                    "not a loopback address (0.0.0.0: every interface)")
        ->capture_default_str();
    advanced(range_param(sub->add_option("--threads", m_options.threads,
                                         "Worker threads (default: 4 per core, at least 16)"),
                         1, 1024, true));
    return sub;
}

namespace {

bool is_loopback(const std::string& address) {
    return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

}  // namespace

int CommandServe::run() {
    if (!is_loopback(m_options.bind)) {
        sayf("warning: listening on %s: every machine that reaches this one can read %s",
             m_options.bind.c_str(), m_options.root.string().c_str());
    }
    serve_folder(
        m_options,
        [this](const std::string& url) {
        std::error_code ec;
        const auto root = std::filesystem::canonical(m_options.root, ec);
        // Point the browser at the viewer page the folder holds.
        std::string page = url;
        if (!std::filesystem::exists(root / "index.html", ec) &&
            std::filesystem::exists(root / "viewer.html", ec)) {
            page += "viewer.html";
        }
        if (message_format() == MessageFormat::jsonl) {
            say_event({{"type", "listening"}, {"url", url}, {"page", page}});
        }
        std::printf("serving %s at %s\nopen %s in a browser; Ctrl-C stops\n", root.string().c_str(),
                    url.c_str(), page.c_str());
        std::fflush(stdout);
        },
        [] { return interrupted(); });
    if (!m_global.quiet) {
        say("spaceuse serve: stopped");
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
