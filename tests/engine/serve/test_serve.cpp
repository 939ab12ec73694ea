// spaceuse serve's path resolution: only regular files under the folder are served.

#include "test_support.hpp"

#include <spaceuse/serve.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spaceuse::resolve_served_path;
using spaceuse::served_content_type;
using spaceuse::test::temp_dir;

namespace {

void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
}

}  // namespace

TEST_CASE("serve: a request path names a file under the folder, or nothing", "[serve]") {
    const fs::path base = fs::canonical(temp_dir("serve_resolve"));
    const fs::path root = base / "viewer";
    touch(root / "index.html");
    touch(root / "tiles" / "13" / "4198" / "2739.pbf");
    touch(root / "data" / "a b.json");
    touch(root / ".staging" / "index.html");
    touch(base / "secret.txt");
    fs::create_directories(root / "empty");
    fs::create_symlink(base / "secret.txt", root / "out.txt");
    fs::create_symlink(base, root / "up");
    fs::create_symlink(root / "index.html", root / "alias.html");
    const fs::path real = fs::canonical(root);

    SECTION("files and folders with an index") {
        CHECK(resolve_served_path(real, "/") == real / "index.html");
        CHECK(resolve_served_path(real, "/index.html") == real / "index.html");
        CHECK(resolve_served_path(real, "/tiles/13/4198/2739.pbf") ==
              real / "tiles" / "13" / "4198" / "2739.pbf");
        CHECK(resolve_served_path(real, "//tiles/./13//4198/2739.pbf") ==
              real / "tiles" / "13" / "4198" / "2739.pbf");
        CHECK(resolve_served_path(real, "/data/a b.json") == real / "data" / "a b.json");
        // A link inside the folder to a file inside it is followed.
        CHECK(resolve_served_path(real, "/alias.html") == real / "index.html");
    }
    SECTION("nothing outside the folder, hidden, missing or listed") {
        CHECK_FALSE(resolve_served_path(real, "/../secret.txt"));
        CHECK_FALSE(resolve_served_path(real, "/tiles/../../secret.txt"));
        CHECK_FALSE(resolve_served_path(real, "/tiles/.."));
        CHECK_FALSE(resolve_served_path(real, "/out.txt"));        // link leading out
        CHECK_FALSE(resolve_served_path(real, "/up/secret.txt"));  // folder link leading out
        CHECK_FALSE(resolve_served_path(real, "/.staging/index.html"));
        CHECK_FALSE(resolve_served_path(real, "/empty"));  // a folder without index: no listing
        CHECK_FALSE(resolve_served_path(real, "/tiles"));
        CHECK_FALSE(resolve_served_path(real, "/missing.html"));
        CHECK_FALSE(resolve_served_path(real, "/..\\secret.txt"));
        CHECK_FALSE(resolve_served_path(real, std::string_view("/index.html\0.png", 16)));
        CHECK_FALSE(resolve_served_path(real, "index.html"));
        CHECK_FALSE(resolve_served_path(real, ""));
        // An absolute path is a path under the folder.
        CHECK_FALSE(resolve_served_path(real, (base / "secret.txt").string()));
    }
}

TEST_CASE("serve: content types by extension", "[serve]") {
    CHECK(served_content_type("index.html") == "text/html; charset=utf-8");
    CHECK(served_content_type("maplibre-gl.JS") == "text/javascript; charset=utf-8");
    CHECK(served_content_type("style.json") == "application/json");
    CHECK(served_content_type("13/4198/2739.pbf") == "application/x-protobuf");
    CHECK(served_content_type("parcels.geojson") == "application/geo+json");
    CHECK(served_content_type("legend.svg") == "image/svg+xml");
    CHECK(served_content_type("LICENSE") == "application/octet-stream");
}
