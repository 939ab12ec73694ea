#pragma once

// A small static HTTP server for a viewer folder (`spaceuse serve DIR`): GET and HEAD only,
// Range requests, MIME types by extension, ETag revalidation, and only the regular files under
// the folder — no "..", no hidden names (staging folders), no symbolic link leading out, no
// directory listings. Built on cpp-httplib (Debian's libcpp-httplib-dev): a maintained HTTP/1.1
// server with a thread pool, keep-alive, Range and request-size limits, small enough for a
// static folder; Boost.Beast would need the connection handling written by hand.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace spaceuse {

struct ServeOptions {
    /// The folder served.
    std::filesystem::path root;
    /// Address to listen on: loopback unless told otherwise.
    std::string bind = "127.0.0.1";
    /// TCP port; 0 takes a free one (the URL passed to `on_listening` says which).
    int port = 8080;
    /// Worker threads (0: 4 per core, at least 16): a browser keeps 6 connections open.
    int threads = 0;
};

/// The file a request path (already percent-decoded, starting with '/') names under
/// `canonical_root` (an absolute path without symbolic links), or nothing when it is not served:
/// a "..", a hidden name, a NUL or backslash, a path that does not exist, a symbolic link
/// leading out of the root, a directory without index.html.
std::optional<std::filesystem::path> resolve_served_path(
    const std::filesystem::path& canonical_root, std::string_view request_path);

/// The Content-Type sent for a file name ("application/octet-stream" when unknown).
std::string served_content_type(const std::filesystem::path& file);

/// Serves `options.root` until `stop_requested()` turns true (polled ten times a second).
/// `on_listening(url)` is called once the socket listens, with "http://ADDRESS:PORT/".
/// Throws InputError when the root is not a folder, Error when the address cannot be bound.
void serve_folder(const ServeOptions& options,
                  const std::function<void(const std::string& url)>& on_listening,
                  const std::function<bool()>& stop_requested);

}  // namespace spaceuse
