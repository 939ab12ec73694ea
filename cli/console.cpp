#include "console.hpp"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace spaceuse::cli {

namespace {

MessageFormat g_format = MessageFormat::text;

void write_line(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

/// JSON text of `event`; invalid UTF-8 (a path in another encoding) is replaced, not fatal.
std::string json_line(const nlohmann::ordered_json& event) {
    return event.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

void set_message_format(MessageFormat format) { g_format = format; }

MessageFormat message_format() { return g_format; }

void say(const std::string& line) {
    if (g_format == MessageFormat::jsonl) {
        write_line(json_line({{"type", "message"}, {"message", line}}));
    } else {
        write_line(line);
    }
}

void sayf(const char* format, ...) {
    std::va_list args;
    va_start(args, format);
    std::va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string line;
    if (n > 0) {
        std::vector<char> buf(static_cast<std::size_t>(n) + 1);
        std::vsnprintf(buf.data(), buf.size(), format, args);
        line.assign(buf.data(), static_cast<std::size_t>(n));
    }
    va_end(args);
    // Callers write whole lines; a trailing newline is the line's end, not part of it.
    while (!line.empty() && line.back() == '\n') {
        line.pop_back();
    }
    say(line);
}

void say_event(const nlohmann::ordered_json& event) {
    if (g_format == MessageFormat::jsonl) {
        write_line(json_line(event));
    }
}

void say_error(const std::string& message, int exit_code, bool cancelled) {
    if (g_format == MessageFormat::jsonl) {
        write_line(json_line({{"type", cancelled ? "cancelled" : "error"},
                              {"message", message},
                              {"exit_code", exit_code}}));
    } else if (cancelled) {
        write_line("spaceuse: " + message);
    } else {
        write_line("spaceuse: error: " + message);
    }
}

}  // namespace spaceuse::cli
