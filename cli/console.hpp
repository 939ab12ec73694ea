#pragma once

// Messages for people on stderr — plain lines — or, with `--progress-format jsonl`, one JSON
// object a line for tools (QGIS's Processing provider reads them):
//   {"type":"progress","percent":42.5,"stage":"overlay","message":"occupancy: zone 3 of 9"}
//   {"type":"message","message":"wrote out/parcels.geojson: parcels, 43 features"}
//   {"type":"outputs","manifest":"out/run.json","files":[{"path":…,"layer":…,"features":43}]}
//   {"type":"error","message":"…","exit_code":3}
// Result tables stay on stdout, as text, in both forms.

#include <nlohmann/json.hpp>

#include <string>

namespace spaceuse::cli {

enum class MessageFormat { text, jsonl };

/// Set once, by main, from --progress-format.
void set_message_format(MessageFormat format);
MessageFormat message_format();

/// One message line on stderr (no trailing newline in `line`).
void say(const std::string& line);
/// printf-style say().
void sayf(const char* format, ...) __attribute__((format(printf, 1, 2)));
/// An event for tools: written only in the jsonl form (`event` holds "type").
void say_event(const nlohmann::ordered_json& event);
/// The final error line: "spaceuse: error: MESSAGE" (or "spaceuse: MESSAGE" when cancelled, the
/// message starting with "cancelled"), or its event.
void say_error(const std::string& message, int exit_code, bool cancelled = false);

}  // namespace spaceuse::cli
