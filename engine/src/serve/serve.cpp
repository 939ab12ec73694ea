#include <spaceuse/error.hpp>
#include <spaceuse/serve.hpp>

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

namespace spaceuse {

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path& root, const fs::path& path) {
    const std::string& r = root.native();
    const std::string& p = path.native();
    if (p == r) {
        return true;
    }
    return p.size() > r.size() && p.compare(0, r.size(), r) == 0 &&
           (r.back() == '/' || p[r.size()] == '/');
}

/// `candidate` with every symbolic link resolved, when that is a regular file under `root`.
std::optional<fs::path> regular_file_inside(const fs::path& root, const fs::path& candidate) {
    std::error_code ec;
    const fs::path real = fs::canonical(candidate, ec);
    if (ec || !inside(root, real) || !fs::is_regular_file(real, ec) || ec) {
        return std::nullopt;
    }
    return real;
}

std::string lower_extension(const fs::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

/// HTTP date (RFC 9110, IMF-fixdate) of a time.
std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf.data(), n);
}

/// Pages and the style change when a viewer is written again: revalidated each time (the ETag
/// makes that a 304). Tiles, scripts and images may be kept an hour.
const char* cache_control(const std::string& ext) {
    if (ext == ".html" || ext == ".htm" || ext == ".json" || ext == ".geojson") {
        return "no-cache";
    }
    return "public, max-age=3600";
}

bool starts_gzip(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::array<unsigned char, 2> magic{};
    in.read(reinterpret_cast<char*>(magic.data()), 2);
    return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

void answer_file(const fs::path& file, const httplib::Request& req, httplib::Response& res) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    const long long mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                               st.st_mtim.tv_nsec;
    const std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(mtime_ns) + "\"";
    const std::string ext = lower_extension(file);
    res.set_header("ETag", etag);
    res.set_header("Last-Modified", http_date(st.st_mtim.tv_sec));
    res.set_header("Cache-Control", cache_control(ext));
    res.set_header("X-Content-Type-Options", "nosniff");
    if (req.has_header("If-None-Match") && req.get_header_value("If-None-Match") == etag) {
        res.status = 304;
        return;
    }
    // Vector tiles written compressed (GDAL's MVT driver by default) are sent as they are, and
    // said to be gzip: the browser inflates them.
    if ((ext == ".pbf" || ext == ".mvt") && starts_gzip(file)) {
        res.set_header("Content-Encoding", "gzip");
    }
    const std::string type = served_content_type(file);
    if (size == 0) {
        res.set_content(std::string(), type);
        return;
    }
    auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!*stream) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
    }
    // httplib asks for the ranges the request names (Range: bytes=...), piece by piece.
    res.set_content_provider(
        size, type, [stream](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            std::array<char, 65536> buf{};
            stream->clear();
            stream->seekg(static_cast<std::streamoff>(offset));
            while (length > 0) {
                const auto want = static_cast<std::streamsize>(std::min(length, buf.size()));
                stream->read(buf.data(), want);
                const std::streamsize got = stream->gcount();
                if (got <= 0 || !sink.write(buf.data(), static_cast<std::size_t>(got))) {
                    return false;  // the file shrank, or the client left
                }
                length -= static_cast<std::size_t>(got);
            }
            return true;
        });
}

}  // namespace

std::optional<fs::path> resolve_served_path(const fs::path& canonical_root,
                                            std::string_view request_path) {
    if (request_path.empty() || request_path.front() != '/' ||
        request_path.find('\0') != std::string_view::npos ||
        request_path.find('\\') != std::string_view::npos) {
        return std::nullopt;
    }
    fs::path candidate = canonical_root;
    std::size_t start = 1;
    while (start <= request_path.size()) {
        std::size_t end = request_path.find('/', start);
        if (end == std::string_view::npos) {
            end = request_path.size();
        }
        const std::string_view part = request_path.substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") {
            continue;
        }
        if (part.front() == '.') {
            return std::nullopt;  // "..", and hidden names (staging folders, .git)
        }
        candidate /= std::string(part);
    }
    std::error_code ec;
    const fs::path real = fs::canonical(candidate, ec);
    if (ec || !inside(canonical_root, real)) {
        return std::nullopt;  // missing, or a symbolic link leading out
    }
    if (fs::is_directory(real, ec)) {
        return regular_file_inside(canonical_root, real / "index.html");  // never a listing
    }
    return regular_file_inside(canonical_root, real);
}

std::string served_content_type(const fs::path& file) {
    static const std::array<std::pair<const char*, const char*>, 26> types = {{
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".geojson", "application/geo+json"},
        {".pbf", "application/x-protobuf"},
        {".mvt", "application/vnd.mapbox-vector-tile"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".pdf", "application/pdf"},
        {".csv", "text/csv; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".xml", "application/xml"},
        {".qml", "application/xml"},
        {".gpkg", "application/geopackage+sqlite3"},
        {".mbtiles", "application/vnd.sqlite3"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
    }};
    const std::string ext = lower_extension(file);
    for (const auto& [e, type] : types) {
        if (ext == e) {
            return type;
        }
    }
    return "application/octet-stream";
}

void serve_folder(const ServeOptions& options,
                  const std::function<void(const std::string& url)>& on_listening,
                  const std::function<bool()>& stop_requested) {
    std::error_code ec;
    if (!fs::is_directory(options.root, ec)) {
        throw InputError(options.root.string() + ": not a folder (spaceuse serve serves a "
                                                 "viewer folder)");
    }
    const fs::path root = fs::canonical(options.root);

    httplib::Server server;
    const int threads = options.threads > 0 ? options.threads
                                            : static_cast<int>(std::max(
                                                  16U, 4U * std::thread::hardware_concurrency()));
    server.new_task_queue = [threads] {
        return new httplib::ThreadPool(static_cast<std::size_t>(threads));
    };
    std::atomic<int> listening_socket{-1};
    server.set_socket_options([&listening_socket](socket_t sock) {
        const int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listening_socket = sock;
    });
    server.set_keep_alive_max_count(100);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(5);
    server.set_write_timeout(10);
    server.set_payload_max_length(16 * 1024);  // GET and HEAD carry no body worth reading
    server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        if (req.method == "GET" || req.method == "HEAD") {
            return httplib::Server::HandlerResponse::Unhandled;
        }
        res.status = 405;
        res.set_header("Allow", "GET, HEAD");
        res.set_content("method not allowed\n", "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
    });
    server.Get("/.*", [&root](const httplib::Request& req, httplib::Response& res) {
        const auto file = resolve_served_path(root, req.path);
        if (!file) {
            res.status = 404;
            res.set_content("not found\n", "text/plain; charset=utf-8");
            return;
        }
        answer_file(*file, req, res);
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("internal error\n", "text/plain; charset=utf-8");
    });

    int port = options.port;
    bool bound = false;
    if (port == 0) {
        port = server.bind_to_any_port(options.bind);
        bound = port > 0;
    } else {
        bound = server.bind_to_port(options.bind, port);
    }
    if (!bound) {
        throw Error("cannot listen on " + options.bind + ":" + std::to_string(options.port) +
                    " (the port is in use, or the address is not one of this machine's; "
                    "--port 0 takes any free port)");
    }
    // Debian's httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into
    // the library): connections beyond it wait for a SYN retry, a second each. listen() again on
    // the listening socket raises the backlog (Linux updates it in place).
    if (listening_socket >= 0) {
        ::listen(listening_socket, SOMAXCONN);
    }

    std::atomic<bool> finished{false};
    std::thread worker([&server, &finished] {
        server.listen_after_bind();
        finished = true;
    });
    const std::string host = options.bind.find(':') != std::string::npos ? "[" + options.bind + "]"
                                                                         : options.bind;
    on_listening("http://" + host + ":" + std::to_string(port) + "/");
    while (!stop_requested() && !finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    server.stop();
    worker.join();
}

}  // namespace spaceuse
